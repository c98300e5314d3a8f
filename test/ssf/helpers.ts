/*
 * Shared helpers of the SSF transmitter conformance tests (test/ssf/*.test.ts).
 *
 * Everything here talks to the real app over HTTP, the way a receiver would. SETs are checked
 * with an implementation of our own, independent of the service: node:crypto verifies the RS256
 * signature against the JWKS fetched from the published jwks_uri (never `jose`, never src/).
 */
import { createPublicKey, verify as verifySignature, type JsonWebKey } from 'node:crypto';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';

export { call };
export type { TestApp };

/** The public base URL of every test app: metadata and SET URLs are asserted against it. */
export const PUBLIC_URL = 'https://riskwire.test';
export const ACCOUNT = 'acme';
export const ISSUER = `${PUBLIC_URL}/ssf/${ACCOUNT}`;

export const PUSH = 'urn:ietf:rfc:8935';
export const POLL = 'urn:ietf:rfc:8936';
export const EV = {
  verification: 'https://schemas.openid.net/secevent/ssf/event-type/verification',
  streamUpdated: 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated',
  riskLevelChange: 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change',
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  deviceComplianceChange: 'https://schemas.openid.net/secevent/caep/event-type/device-compliance-change',
} as const;

/**
 * The real app with test-friendly SSF settings: a fixed https PUBLIC_URL, no minimum verification
 * interval, 2-second long polls. `env` overrides any of them.
 */
export function startSsfApp(env: Record<string, string> = {}, opts: { now?: () => Date } = {}): Promise<TestApp> {
  return startTestApp({
    PUBLIC_URL,
    RISKWIRE_SSF_MIN_VERIFICATION_INTERVAL_SECONDS: '0',
    RISKWIRE_SSF_LONG_POLL_SECONDS: '2',
    ...env,
  }, opts);
}

/** A server path of the transmitter of `account` (`/streams`, `/streams/verify`, …) on the test server. */
export const ssfUrl = (t: TestApp, path: string, account = ACCOUNT) => `${t.url}/ssf/${account}${path}`;

/** A URL the service published (metadata, delivery.endpoint_url) rewritten to reach the test server. */
export function local(t: TestApp, published: string): string {
  if (!published.startsWith(`${PUBLIC_URL}/`)) throw new Error(`${published} is not under ${PUBLIC_URL}`);
  return t.url + published.slice(PUBLIC_URL.length);
}

// ---------------------------------------------------------------------------------------------
// Receivers and their credentials

export interface TestReceiver {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly audience: string;
  /** An access token with every scope the receiver has (client_credentials, client_secret_basic). */
  readonly token: string;
}

/** Registers a receiver (operator API) and fetches an access token for it. */
export async function createReceiver(t: TestApp, opts: { name?: string; audience?: string; scopes?: string[] } = {}): Promise<TestReceiver> {
  const r = await call(`${t.url}/client/v4/accounts/${ACCOUNT}/ssf/receivers`, {
    method: 'POST', token: t.token,
    json: { name: opts.name ?? 'test receiver', ...(opts.audience ? { audience: opts.audience } : {}), ...(opts.scopes ? { scopes: opts.scopes } : {}) },
  });
  if (r.status !== 201) throw new Error(`creating a receiver failed: ${r.status} ${r.text}`);
  const { client_id: clientId, client_secret: clientSecret, audience } = r.body.result as { client_id: string; client_secret: string; audience: string };
  const token = await accessToken(t, clientId, clientSecret);
  return { clientId, clientSecret, audience, token };
}

/** POSTs a form to the account's token endpoint. */
export function tokenRequest(t: TestApp, form: Record<string, string>, headers: Record<string, string> = {}) {
  return call(ssfUrl(t, '/oauth/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

/** RFC 6749 §2.3.1 Basic credentials (client id and secret form-urlencoded first). */
export const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A client-credentials access token; throws unless the endpoint grants one. */
export async function accessToken(t: TestApp, clientId: string, secret: string, scope?: string): Promise<string> {
  const r = await tokenRequest(t, { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, { authorization: basicAuth(clientId, secret) });
  if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${r.text}`);
  return r.body.access_token as string;
}

/** A static API token bound to a receiver (operator API). */
export async function staticToken(t: TestApp, receiverId: string, scopes: string[]): Promise<string> {
  const r = await call(`${t.url}/client/v4/accounts/${ACCOUNT}/tokens`, { method: 'POST', token: t.token, json: { name: 'static ssf token', scopes, receiver_id: receiverId } });
  if (r.status !== 201) throw new Error(`creating a static token failed: ${r.status} ${r.text}`);
  return r.body.result.value as string;
}

// ---------------------------------------------------------------------------------------------
// Streams

/** POST {configuration_endpoint}; throws unless 201. Returns the stream configuration. */
export async function createStream(t: TestApp, token: string, body: Record<string, unknown> = {}): Promise<StreamConfig> {
  const r = await call(ssfUrl(t, '/streams'), { method: 'POST', token, json: body });
  if (r.status !== 201) throw new Error(`creating a stream failed: ${r.status} ${r.text}`);
  return r.body as StreamConfig;
}

export interface StreamConfig {
  stream_id: string;
  iss: string;
  aud: string | string[];
  events_supported?: string[];
  events_requested?: string[];
  events_delivered: string[];
  delivery: { method: string; endpoint_url?: string; [k: string]: unknown };
  description?: string;
  min_verification_interval?: number;
  [k: string]: unknown;
}

export const setStatus = (t: TestApp, token: string, streamId: string, status: string, reason?: string) =>
  call(ssfUrl(t, '/streams/status'), { method: 'POST', token, json: { stream_id: streamId, status, ...(reason ? { reason } : {}) } });

export const requestVerification = (t: TestApp, token: string, streamId: string, state?: string) =>
  call(ssfUrl(t, '/streams/verify'), { method: 'POST', token, json: { stream_id: streamId, ...(state !== undefined ? { state } : {}) } });

export const addSubject = (t: TestApp, token: string, streamId: string, subject: unknown, extra: Record<string, unknown> = {}) =>
  call(ssfUrl(t, '/streams/subjects/add'), { method: 'POST', token, json: { stream_id: streamId, subject, ...extra } });

export const removeSubject = (t: TestApp, token: string, streamId: string, subject: unknown) =>
  call(ssfUrl(t, '/streams/subjects/remove'), { method: 'POST', token, json: { stream_id: streamId, subject } });

// ---------------------------------------------------------------------------------------------
// Poll delivery (RFC 8936)

/** POSTs a poll request to the stream's published delivery.endpoint_url. */
export async function poll(t: TestApp, token: string, stream: StreamConfig, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const r = await call(local(t, stream.delivery.endpoint_url!), { method: 'POST', token, json: body, headers });
  return { ...r, sets: (r.body?.sets ?? undefined) as Record<string, string> | undefined, moreAvailable: r.body?.moreAvailable as boolean | undefined };
}

/** A short poll that must succeed; returns the `sets` map. */
export async function pollNow(t: TestApp, token: string, stream: StreamConfig, body: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const r = await poll(t, token, stream, { returnImmediately: true, ...body });
  if (r.status !== 200 || !r.sets) throw new Error(`poll failed: ${r.status} ${r.text}`);
  return r.sets;
}

/**
 * Short-polls (without acknowledging) until at least `n` SETs are offered or `timeoutMs` passes;
 * returns what the last poll offered.
 */
export async function waitForSets(t: TestApp, token: string, stream: StreamConfig, n: number, timeoutMs = 5000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sets = await pollNow(t, token, stream);
    if (Object.keys(sets).length >= n || Date.now() > deadline) return sets;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Acknowledges SETs with an acknowledge-only request (RFC 8936 §2.4). */
export async function ack(t: TestApp, token: string, stream: StreamConfig, jtis: string[]): Promise<void> {
  const r = await poll(t, token, stream, { maxEvents: 0, returnImmediately: true, ack: jtis });
  if (r.status !== 200) throw new Error(`ack failed: ${r.status} ${r.text}`);
}

// ---------------------------------------------------------------------------------------------
// Risk changes (operator API)

export async function enableBehaviors(t: TestApp, behaviors: Record<string, { enabled: boolean; risk_level: string }> = {
  imp_travel: { enabled: true, risk_level: 'high' },
  high_dlp: { enabled: true, risk_level: 'medium' },
}): Promise<void> {
  const r = await call(`${t.url}/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/behaviors`, { method: 'PUT', token: t.token, json: { behaviors } });
  if (r.status !== 200) throw new Error(`enabling behaviors failed: ${r.status} ${r.text}`);
}

/** Sends one signal; returns the user id it was recorded for. Waits until the fan-out it kicked is done. */
export async function signal(t: TestApp, behavior: string, user: Record<string, unknown>): Promise<string> {
  const r = await call(`${t.url}/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/signals`, { method: 'POST', token: t.token, json: { signals: [{ behavior, user }] } });
  if (r.status !== 200 || r.body.result.items[0].status !== 'accepted') throw new Error(`signal failed: ${r.status} ${r.text}`);
  await t.app.ssf.idle();
  return r.body.result.items[0].user_id as string;
}

/** Resets a user's risk (operator API); waits for the fan-out it kicked. */
export async function resetRisk(t: TestApp, userId: string): Promise<void> {
  const r = await call(`${t.url}/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/${userId}/reset`, { method: 'POST', token: t.token });
  if (r.status !== 200) throw new Error(`reset failed: ${r.status} ${r.text}`);
  await t.app.ssf.idle();
}

// ---------------------------------------------------------------------------------------------
// SET validation, independent of the service's code

export interface Jwks {
  keys: Array<JsonWebKey & { kid?: string; alg?: string; use?: string }>;
}

/** GET jwks_uri (as published in the metadata) over HTTP. */
export async function fetchJwks(t: TestApp, account = ACCOUNT): Promise<Jwks> {
  const meta = await call(`${t.url}/.well-known/ssf-configuration/ssf/${account}`);
  const r = await call(local(t, meta.body.jwks_uri as string));
  if (r.status !== 200) throw new Error(`JWKS fetch failed: ${r.status}`);
  return JSON.parse(r.text) as Jwks;
}

const b64urlJson = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

export interface DecodedSet {
  header: Record<string, unknown>;
  claims: Record<string, any>;
  /** The single event type URI of `events`. */
  type: string;
  /** Its payload. */
  event: Record<string, any>;
}

/**
 * Parses a compact JWS and verifies its RS256 signature with node:crypto against the JWKS key
 * named by `kid`. Returns null for the signature when it does not verify (so callers and the
 * self-test can tell a bad signature from a missing key).
 */
export function verifyJws(jws: string, jwks: Jwks): { header: Record<string, unknown>; claims: Record<string, any>; valid: boolean } {
  const parts = jws.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) throw new Error('not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  const header = b64urlJson(h);
  const claims = b64urlJson(p);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`kid ${String(header.kid)} is not in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  // RS256 = RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), node's default padding for RSA keys.
  const valid = verifySignature('RSA-SHA256', Buffer.from(`${h}.${p}`, 'ascii'), key, Buffer.from(s, 'base64url'));
  return { header, claims, valid };
}

/**
 * Validates a SET the way a receiver must (RFC 8935 §2, SSF §4, CAEP interop §2.6, §2.8.1,
 * reference §6 and §12.1 item 9) and returns it decoded. `jti` is the key it was offered under.
 */
export function checkSet(jws: string, ctx: { jwks: Jwks; aud: unknown; now?: Date; jti?: string; issuer?: string }): DecodedSet {
  const { header, claims, valid } = verifyJws(jws, ctx.jwks);
  expect(valid).toBe(true);
  // JOSE header: explicit typing (SSF §4.1.1, RFC 8417 §2.3), RS256 (CAEP interop §2.6).
  expect(header.typ).toBe('secevent+jwt');
  expect(header.alg).toBe('RS256');
  expect(typeof header.kid).toBe('string');
  // Claims (RFC 8417 §2.2, SSF §4.1).
  expect(claims.iss).toBe(ctx.issuer ?? ISSUER);
  expect(Number.isInteger(claims.iat)).toBe(true);
  const now = Math.floor((ctx.now ?? new Date()).getTime() / 1000);
  expect(claims.iat).toBeLessThanOrEqual(now + 1);
  expect(claims.iat).toBeGreaterThan(now - 600);
  expect(typeof claims.jti).toBe('string');
  expect(claims.jti.length).toBeGreaterThan(0);
  if (ctx.jti !== undefined) expect(claims.jti).toBe(ctx.jti);
  expect(claims.aud).toEqual(ctx.aud);
  expect(claims).not.toHaveProperty('sub'); // SSF §4.1.2
  expect(claims).not.toHaveProperty('exp'); // SSF §4.1.7
  if ('txn' in claims) expect(typeof claims.txn).toBe('string'); // SSF §4.1.9
  // Top-level sub_id (SSF §3.1) naming one subject with a format (RFC 9493 §3).
  expect(claims.sub_id).toEqual(expect.objectContaining({ format: expect.any(String) }));
  // Exactly one event (CAEP interop §2.8.1, SSF §4.2.1); its payload is an object (RFC 8417 §2.2).
  expect(claims.events !== null && typeof claims.events === 'object' && !Array.isArray(claims.events)).toBe(true);
  const types = Object.keys(claims.events);
  expect(types).toHaveLength(1);
  const type = types[0]!;
  const event = claims.events[type];
  expect(event !== null && typeof event === 'object' && !Array.isArray(event)).toBe(true);
  return { header, claims, type, event };
}

/** Checks every SET of a poll response (keyed by jti) and returns them decoded, in response order. */
export function checkSets(sets: Record<string, string>, ctx: { jwks: Jwks; aud: unknown; now?: Date }): DecodedSet[] {
  return Object.entries(sets).map(([jti, jws]) => checkSet(jws, { ...ctx, jti }));
}

/** CAEP §2 common claims, when present (reference §9.1; CS validates them as FAILUREs). */
export function checkCaepCommon(event: Record<string, any>, opts: { reasonAdminRequired?: boolean } = {}): void {
  if ('event_timestamp' in event) expect(typeof event.event_timestamp).toBe('number');
  if ('initiating_entity' in event) expect(['admin', 'user', 'policy', 'system']).toContain(event.initiating_entity);
  for (const k of ['reason_admin', 'reason_user']) {
    if (!(k in event) && !(k === 'reason_admin' && opts.reasonAdminRequired)) continue;
    const v = event[k];
    expect(v !== null && typeof v === 'object' && !Array.isArray(v)).toBe(true);
    const entries = Object.entries(v as Record<string, unknown>);
    expect(entries.length).toBeGreaterThan(0);
    for (const [lang, text] of entries) {
      expect(lang).toMatch(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/); // BCP 47 shape
      expect(typeof text).toBe('string');
      expect((text as string).length).toBeGreaterThan(0);
    }
  }
}
