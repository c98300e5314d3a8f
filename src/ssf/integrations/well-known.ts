import { PUSH, type Integration } from '../../storage/ssf-ports.js';
import type { Storage } from '../../storage/ports.js';
import { errors } from '../../domain/errors.js';

/*
 * The per-integration SSF configuration document behind `well_known_url` (vendors reference §1.8,
 * §3.1.2): Okta's "Receive shared signals → Well-known URL" reads only `issuer` and `jwks_uri` from
 * it, then trusts SETs whose `iss` is that issuer and whose signature verifies against that JWKS.
 *
 * Where it lives, under both the SSF prefix `/.well-known/ssf-configuration/` and the legacy
 * `/.well-known/sse-configuration/` that Cloudflare's URLs use (§1.8):
 * - `…/{integration_id}`: Cloudflare's own shape
 *   (`https://ssf.risk-score.teams.cloudflare.com/.well-known/sse-configuration/<uuid>`). The id
 *   alone finds the integration (IntegrationStore.getById): ids are random UUIDs riskwire
 *   generates, so they are unique across accounts; anything not shaped like one is 404 without a
 *   store read, and an id two accounts hold is 404 too. The read is not scoped by account, the
 *   one such read on an unauthenticated endpoint: indexed on MongoDB, a read of the small
 *   integrations table on SQLite.
 * - `…/integrations/{account_id}/{integration_id}`: the first shape riskwire published, with the
 *   account in the path so the lookup is one read scoped by account like every other. It keeps
 *   working: Okta stores the URL it was given and fetches it again.
 * `well_known_url` in API results is Cloudflare's exact shape, sse prefix included. Okta treats
 * the URL as opaque, so it works either way; but clients written against Cloudflare's API (and
 * people following Cloudflare's docs) see the URL they expect, and tools that take the last path
 * segment as the integration id keep working. Both shapes serve the same document, which holds
 * nothing the account's public transmitter metadata does not already publish.
 */

/** The SSF and legacy SSE prefixes the document is served under. */
export const WELL_KNOWN_ROOTS = ['/.well-known/ssf-configuration', '/.well-known/sse-configuration'] as const;
/** The account-scoped shape's prefixes (`{root}/integrations/{account_id}/{integration_id}`). */
export const WELL_KNOWN_PREFIXES = WELL_KNOWN_ROOTS.map((r) => `${r}/integrations`);

/** The published `well_known_url` of an integration: Cloudflare's shape (see above). */
export const integrationWellKnownUrl = (publicUrl: string, i: Pick<Integration, 'id'>) =>
  `${publicUrl}${WELL_KNOWN_ROOTS[1]}/${i.id}`;

/** What riskwire generates as integration ids (create-integration.ts: randomUUID). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Where an account's SETs are signed from: the account's transmitter (SETs carry its `iss`). */
export interface IssuerEndpoints {
  issuer(accountId: string): string;
  jwksUri(accountId: string): string;
}

/**
 * The document for an integration (SSF §7.1 metadata, the subset that applies to a stream riskwire
 * manages itself): `issuer` = the `iss` of the integration's SETs, `jwks_uri` = the account's JWKS,
 * push delivery only (Okta takes push only, §3.1). Inactive integrations keep their document (Okta
 * may be configured before the integration is switched on).
 * @throws 404 for an unknown account or integration.
 */
export async function integrationConfiguration(storage: Storage, endpoints: IssuerEndpoints, accountId: string, id: string) {
  const i = await storage.integrations.get(accountId, id);
  if (!i) throw errors.notFound('unknown integration');
  return documentOf(i, endpoints);
}

/**
 * The same document, found by integration id alone (Cloudflare's URL shape).
 * @throws 404 for an id that is not a UUID, unknown, or held by more than one account.
 */
export async function integrationConfigurationById(storage: Storage, endpoints: IssuerEndpoints, id: string) {
  const i = UUID.test(id) ? await storage.integrations.getById(id) : null;
  if (!i) throw errors.notFound('unknown integration');
  return documentOf(i, endpoints);
}

function documentOf(i: Integration, endpoints: IssuerEndpoints) {
  return {
    spec_version: '1_0',
    issuer: endpoints.issuer(i.accountId),
    jwks_uri: endpoints.jwksUri(i.accountId),
    delivery_methods_supported: [PUSH],
  };
}
