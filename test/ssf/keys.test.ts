/*
 * Signing key rotation as a receiver sees it (SSF §4.1.4: keys are resolved through jwks_uri;
 * CAEP interop §2.3.3: the JWKS "MUST provide the current signing key"). A rotated-in key is
 * published before it signs; the old key signs until then and stays published for the retention
 * time, so every SET in flight can be verified from the JWKS.
 */
import { createPublicKey } from 'node:crypto';
import {
  ACCOUNT, ack, call, checkSet, createReceiver, createStream, fetchJwks, pollNow, requestVerification, startSsfApp, staticToken, verifyJws,
  type Jwks, type StreamConfig, type TestApp, type TestReceiver,
} from './helpers.js';
import { testStores } from '../helpers/stores.js';

const PREPUBLISH_S = 60;
const RETENTION_S = 120;

describe.each(testStores())('SSF signing key rotation ($name)', (store) => {
  let t: TestApp;
  const t0 = new Date();
  let clock = t0;
  let r: TestReceiver;
  let s: StreamConfig;
  beforeAll(async () => {
    t = await startSsfApp({
      ...store.env(),
      RISKWIRE_SSF_KEY_PREPUBLISH_SECONDS: String(PREPUBLISH_S),
      RISKWIRE_SSF_KEY_RETENTION_SECONDS: String(RETENTION_S),
      RISKWIRE_SSF_ACCESS_TOKEN_TTL_SECONDS: '3600',
    }, { now: () => clock });
    r = await createReceiver(t);
    s = await createStream(t, r.token);
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  const at = (seconds: number) => {
    clock = new Date(t0.getTime() + seconds * 1000);
  };
  const rotate = (token = t.token) => call(`${t.url}/client/v4/accounts/${ACCOUNT}/ssf/keys/rotate`, { method: 'POST', token });
  /** Requests a verification SET, receives it, checks it against `jwks`, returns it and its kid. */
  const signedNow = async (jwks: Jwks, state: string) => {
    expect((await requestVerification(t, r.token, s.stream_id, state)).status).toBe(204);
    const sets = await pollNow(t, r.token, s);
    const entries = Object.entries(sets);
    expect(entries).toHaveLength(1);
    const [jti, jws] = entries[0]!;
    const d = checkSet(jws, { jwks, aud: s.aud, jti, now: clock });
    expect(d.event).toEqual({ state });
    await ack(t, r.token, s, [jti]);
    return { jws, kid: d.header.kid as string };
  };
  const kids = (jwks: Jwks) => jwks.keys.map((k) => k.kid);

  let k1: string;
  let k2: string;
  let oldSet: string;

  it('before any rotation: one published key, and it signs', async () => {
    const jwks = await fetchJwks(t);
    expect(jwks.keys).toHaveLength(1);
    k1 = jwks.keys[0]!.kid!;
    const signed = await signedNow(jwks, 'before-rotation');
    expect(signed.kid).toBe(k1);
    oldSet = signed.jws;
  });

  it('rotation needs the operator API: receivers cannot rotate', async () => {
    expect((await rotate(r.token)).status).toBe(401);
    const receiverStatic = await staticToken(t, r.clientId, ['ssf.manage']);
    expect([401, 403]).toContain((await rotate(receiverStatic)).status);
    expect((await call(`${t.url}/client/v4/accounts/${ACCOUNT}/ssf/keys/rotate`, { method: 'POST' })).status).toBe(401);
    expect(kids(await fetchJwks(t))).toEqual([k1]);
  });

  it('rotate: the new key is in the JWKS at once (RSA ≥ 2048, RS256, sig), but the old key still signs', async () => {
    const res = await rotate();
    expect(res.status).toBe(200);
    k2 = res.body.result.kid;
    expect(k2).not.toBe(k1);
    expect(new Date(res.body.result.activates_at).getTime()).toBe(t0.getTime() + PREPUBLISH_S * 1000);
    const jwks = await fetchJwks(t);
    expect(kids(jwks).sort()).toEqual([k1, k2].sort());
    const jwk = jwks.keys.find((k) => k.kid === k2)!;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(createPublicKey({ key: jwk, format: 'jwk' }).asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
    expect((await signedNow(jwks, 'just-rotated')).kid).toBe(k1);
    at(PREPUBLISH_S - 5);
    expect((await signedNow(await fetchJwks(t), 'almost')).kid).toBe(k1);
  });

  it('after the pre-publication delay the new key signs; the retired key stays published, so older SETs still verify', async () => {
    at(PREPUBLISH_S + 1);
    const jwks = await fetchJwks(t);
    expect((await signedNow(jwks, 'new-key')).kid).toBe(k2);
    expect(kids(jwks).sort()).toEqual([k1, k2].sort());
    expect(verifyJws(oldSet, jwks).valid).toBe(true);
    at(PREPUBLISH_S + RETENTION_S - 5);
    expect(verifyJws(oldSet, await fetchJwks(t)).valid).toBe(true);
  });

  it('after the retention time the retired key disappears from the JWKS; the current key keeps signing', async () => {
    at(PREPUBLISH_S + RETENTION_S + 1);
    const jwks = await fetchJwks(t);
    expect(kids(jwks)).toEqual([k2]);
    expect(() => verifyJws(oldSet, jwks)).toThrow(/not in the JWKS/);
    expect((await signedNow(jwks, 'later')).kid).toBe(k2);
  });

  it('a second rotation repeats the cycle from the current key', async () => {
    const base = PREPUBLISH_S + RETENTION_S + 10;
    at(base);
    const res = await rotate();
    expect(res.status).toBe(200);
    const k3 = res.body.result.kid as string;
    expect([k1, k2]).not.toContain(k3);
    expect(kids(await fetchJwks(t)).sort()).toEqual([k2, k3].sort());
    expect((await signedNow(await fetchJwks(t), 'k2-still')).kid).toBe(k2);
    at(base + PREPUBLISH_S + 1);
    expect((await signedNow(await fetchJwks(t), 'k3-now')).kid).toBe(k3);
  });
});
