import { PUSH, type Integration } from '../../storage/ssf-ports.js';
import type { Storage } from '../../storage/ports.js';
import { errors } from '../../domain/errors.js';

/*
 * The per-integration SSF configuration document behind `well_known_url` (vendors reference §1.8,
 * §3.1.2): Okta's "Receive shared signals → Well-known URL" reads only `issuer` and `jwks_uri` from
 * it, then trusts SETs whose `iss` is that issuer and whose signature verifies against that JWKS.
 *
 * Where it lives: `/.well-known/ssf-configuration/integrations/{account_id}/{integration_id}`, and
 * the same under the legacy `/.well-known/sse-configuration/` prefix Cloudflare's URLs use (§1.8).
 * Cloudflare's own shape has the integration id alone; here the account is in the path too,
 * because every store read is scoped by account (storage ports): the account in the URL makes
 * the lookup one keyed read on every adapter and every instance, with no process-local index to
 * keep in step and no scan across accounts on an unauthenticated endpoint. Okta treats the URL as
 * opaque, so nothing depends on its shape.
 */

/** The SSF and legacy SSE prefixes the document is served under. */
export const WELL_KNOWN_PREFIXES = ['/.well-known/ssf-configuration/integrations', '/.well-known/sse-configuration/integrations'] as const;

/** The published `well_known_url` of an integration (always the SSF name). */
export const integrationWellKnownUrl = (publicUrl: string, i: Pick<Integration, 'accountId' | 'id'>) =>
  `${publicUrl}${WELL_KNOWN_PREFIXES[0]}/${i.accountId}/${i.id}`;

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
  return {
    spec_version: '1_0',
    issuer: endpoints.issuer(i.accountId),
    jwks_uri: endpoints.jwksUri(i.accountId),
    delivery_methods_supported: [PUSH],
  };
}
