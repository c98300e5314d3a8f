import { randomBytes } from 'node:crypto';
import { errors } from '../../domain/errors.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { ManagedTransmitter, Subscription } from '../../storage/inbound-ports.js';
import type { Storage } from '../../storage/ports.js';
import type { GuardedFetch } from '../../ssf/outbound/guarded-fetch.js';
import type { OutboundUrlPolicy } from '../../ssf/streams/outbound-url.js';
import { transmitterClient, type ManagedAuth } from './transmitter-client.js';

const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';

/** How the caller authenticates us; without `token_endpoint` it is discovered (RFC 8414). */
export type ManagedAuthInput =
  | { client_id: string; client_secret: string; token_endpoint?: string | undefined; scope?: string | undefined }
  | { access_token: string };

export interface RegisterManagedInput {
  issuer?: string | undefined;
  well_known_url?: string | undefined;
  auth: ManagedAuthInput;
  delivery: 'push' | 'poll';
  events_requested?: string[] | undefined;
  audience?: string | undefined;
}

/** SSF §7.2: `/.well-known/ssf-configuration` inserted between host and path; a trailing `/` removed first. */
export function wellKnownOf(issuer: string): string {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.origin}/.well-known/ssf-configuration${path === '/' ? '' : path}`;
}

type Meta = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' && v ? v : null);

/** A metadata document (a JSON object, 200); anything else is a 400 saying `what` at `url` could not be read. */
async function readMetadata(url: string, deps: { fetch: GuardedFetch }, what: string): Promise<Meta> {
  try {
    const res = await deps.fetch(url, { headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    const meta = (await res.json()) as unknown;
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new Error('not a JSON object');
    return meta as Meta;
  } catch (err) {
    throw errors.badRequest(`${what} at ${url} could not be read: ${(err as Error).message}`);
  }
}

/** RFC 8414 §3.1: `/.well-known/oauth-authorization-server` inserted between host and path. */
const oauthMetadataOf = (issuer: string) => wellKnownOf(issuer).replace('/.well-known/ssf-configuration', '/.well-known/oauth-authorization-server');

/**
 * The token endpoint of the transmitter's authorization server, when the caller gave none: its
 * RFC 8414 metadata at the transmitter's issuer, whose `issuer` must be that issuer (§3.3).
 */
async function discoverTokenEndpoint(issuer: string, deps: { fetch: GuardedFetch; outboundUrls: OutboundUrlPolicy }): Promise<string> {
  const url = oauthMetadataOf(issuer);
  await deps.outboundUrls.check(url, 'issuer');
  const meta = await readMetadata(url, deps, 'auth.token_endpoint was not given and the authorization server metadata');
  const tokenEndpoint = str(meta.token_endpoint);
  if (meta.issuer !== issuer || !tokenEndpoint) throw errors.badRequest(`auth.token_endpoint was not given and the metadata at ${url} names no token_endpoint for issuer ${issuer}`);
  await deps.outboundUrls.check(tokenEndpoint, 'token_endpoint');
  return tokenEndpoint;
}

/**
 * Managed mode: discover the transmitter, create (or on 409 take over) our stream there, check
 * the `iss` it answers with, and trigger verification. The subscription is stored before the
 * verification request, with its `state` pending, because the verification SET may arrive before
 * the request returns.
 */
export async function registerManaged(
  deps: { storage: Storage; secrets: SecretBox; fetch: GuardedFetch; outboundUrls: OutboundUrlPolicy; allowPrivateNetwork: boolean; pushEndpoint: (a: string, id: string) => string; now: () => Date },
  accountId: string,
  input: RegisterManagedInput,
  defaultEvents: readonly string[],
): Promise<Subscription> {
  if (!input.issuer && !input.well_known_url) throw errors.badRequest('issuer or well_known_url is required');
  const wellKnown = input.well_known_url ?? wellKnownOf(input.issuer!);
  await deps.outboundUrls.check(wellKnown, input.well_known_url ? 'well_known_url' : 'issuer');
  const meta = await readMetadata(wellKnown, deps, 'the transmitter configuration');
  const issuer = str(meta.issuer);
  // SSF §7.2.4: the issuer must be identical to the one the configuration was looked up for —
  // the issuer given, character for character; or, given only the well-known URL, the issuer
  // whose well-known URL it is.
  const lookedUpFor = (i: string) => { try { return wellKnownOf(i) === wellKnown; } catch { return false; } };
  if (!issuer || (input.issuer ? issuer !== input.issuer : !lookedUpFor(issuer))) {
    throw errors.badRequest(`the transmitter configuration names issuer ${String(meta.issuer)}, not ${input.issuer ?? `one whose configuration is at ${wellKnown}`}`);
  }
  const configurationEndpoint = str(meta.configuration_endpoint);
  const jwksUri = str(meta.jwks_uri);
  if (!configurationEndpoint || !jwksUri) throw errors.badRequest('the transmitter publishes no configuration_endpoint or jwks_uri');
  for (const [field, url] of [['configuration_endpoint', configurationEndpoint], ['jwks_uri', jwksUri]] as const) await deps.outboundUrls.check(url, field);

  const auth: ManagedAuth = 'access_token' in input.auth
    ? input.auth
    : { ...input.auth, token_endpoint: input.auth.token_endpoint ?? (await discoverTokenEndpoint(issuer, deps)) };
  const client = transmitterClient(auth, { fetch: deps.fetch, allowPrivateNetwork: deps.allowPrivateNetwork, issuer });
  const id = randomBytes(12).toString('hex');
  const pushSecret = `Bearer ${randomBytes(32).toString('base64url')}`;
  const delivery = input.delivery === 'push'
    ? { method: PUSH, endpoint_url: deps.pushEndpoint(accountId, id), authorization_header: pushSecret }
    : { method: POLL };
  const body = { delivery, events_requested: input.events_requested ?? [...defaultEvents], description: `riskwire subscription ${id}` };
  let created = await client.call('POST', configurationEndpoint, body);
  const tookOver = created.status === 409;
  if (tookOver) {
    // SSF §8.1.1.1: one stream per receiver at this transmitter — read it and make it ours.
    const list = await client.call('GET', configurationEndpoint);
    const existing = Array.isArray(list.json) ? (list.json[0] as Meta | undefined) : (list.json as Meta | null);
    if (!existing?.stream_id) throw errors.badRequest('the transmitter answered 409 but lists no stream to update');
    created = await client.call('PATCH', configurationEndpoint, { ...body, stream_id: existing.stream_id });
  }
  if (created.status !== 201 && created.status !== 200) throw errors.badRequest(`the transmitter refused the stream: HTTP ${created.status}`);
  const stream = created.json as Meta;
  const streamId = str(stream.stream_id);
  if (!streamId) throw errors.badRequest('the transmitter answered without a stream_id');
  const aud = input.audience ?? (typeof stream.aud === 'string' ? stream.aud : Array.isArray(stream.aud) ? String(stream.aud[0]) : deps.pushEndpoint(accountId, id));
  const managed: ManagedTransmitter = {
    configurationEndpoint, statusEndpoint: str(meta.status_endpoint), verificationEndpoint: str(meta.verification_endpoint),
    addSubjectEndpoint: str(meta.add_subject_endpoint), removeSubjectEndpoint: str(meta.remove_subject_endpoint), delivery: input.delivery,
    pollEndpoint: input.delivery === 'poll' ? str((stream.delivery as Meta | undefined)?.endpoint_url) : null,
    authSealed: deps.secrets.seal(JSON.stringify(auth), `${accountId}/subscriptions/${id}/auth`),
    criticalSubjectMembers: Array.isArray(meta.critical_subject_members) ? meta.critical_subject_members.filter((m): m is string => typeof m === 'string') : [],
  };
  // SSF §8.1.1.1.1: the stream's iss must be the issuer we discovered; otherwise it is not used.
  const issOk = stream.iss === issuer;
  const state = randomBytes(16).toString('base64url');
  const sub: Subscription = {
    accountId, id, mode: 'managed', issuer, jwksUri, audience: aud, streamId,
    pushAuthorizationSealed: input.delivery === 'push' ? deps.secrets.seal(pushSecret, `${accountId}/subscriptions/${id}/authorization`) : null,
    managed, pendingStates: issOk && managed.verificationEndpoint ? [state] : [], status: issOk ? 'active' : 'error',
    lastError: issOk ? null : `the stream's iss ${String(stream.iss)} is not the transmitter's issuer ${issuer}: subscription not used`,
    verifiedAt: null, lastEventAt: null, createdAt: deps.now(),
  };
  await deps.storage.subscriptions.insert(sub);
  if (tookOver) {
    // The transmitter's one stream for this client now serves this subscription: an older one
    // on the same stream stops being used, so deleting it later cannot delete this stream.
    for (const old of await deps.storage.subscriptions.list(accountId)) {
      if (old.id !== id && old.status === 'active' && old.issuer === issuer && old.streamId === streamId) {
        await deps.storage.subscriptions.update({ ...old, status: 'error', lastError: `superseded by subscription ${id}, which took over stream ${streamId}` });
      }
    }
  }
  if (!issOk || !managed.verificationEndpoint) return sub;
  const v = await client.call('POST', managed.verificationEndpoint, { stream_id: streamId, state });
  if (v.status !== 204 && v.status !== 200) {
    const failed = { ...sub, lastError: `verification request answered HTTP ${v.status}` };
    await deps.storage.subscriptions.update(failed);
    return failed;
  }
  return sub;
}

/** The client for a stored managed subscription. */
export function clientFor(sub: Subscription, deps: { secrets: SecretBox; fetch: GuardedFetch; allowPrivateNetwork: boolean }) {
  const auth = JSON.parse(deps.secrets.open(sub.managed!.authSealed, `${sub.accountId}/subscriptions/${sub.id}/auth`).toString('utf8')) as ManagedAuth;
  return transmitterClient(auth, { fetch: deps.fetch, allowPrivateNetwork: deps.allowPrivateNetwork, issuer: sub.issuer });
}
