/*
 * What an Okta integration sends (vendors reference §1.8, §3.1.3–§3.1.5): Okta's user-risk-change
 * SETs, RS256 with `kid`, `aud` = the tenant URL, verified the way Okta would — against the JWKS
 * named by the integration's well_known_url document, fetched over HTTP, with node:crypto only
 * (never jose, never src/).
 *
 * The tenants are fake Okta orgs on 127.0.0.1 (hence RISKWIRE_ALLOW_PRIVATE_NETWORK). SETs are
 * read from the integration stream's outbox and, should a push worker deliver them first, from
 * what the fake org received: the union by jti, so the test holds with or without push delivery.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey, verify as verifySignature, type JsonWebKey } from 'node:crypto';
import Cloudflare from 'cloudflare';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';

const PUBLIC_URL = 'https://riskwire.test';
const OKTA_EVENT = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';
const LEVELS = ['low', 'medium', 'high', 'secure', 'none'];

/** A fake Okta org: records what is POSTed to /security/api/v1/security-events and answers 202 (§3.1.3). */
async function fakeOkta() {
  const received: Array<{ path: string; contentType: string | undefined; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
      res.statusCode = req.url === '/security/api/v1/security-events' ? 202 : 404;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Integration = Awaited<ReturnType<Cloudflare['zeroTrust']['riskScoring']['integrations']['create']>>;

interface Jwks {
  keys: Array<JsonWebKey & { kid?: string }>;
}

const part = (p: string) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, any>;

/** Verifies a compact JWS (RS256 = RSASSA-PKCS1-v1_5 + SHA-256, RFC 7518 §3.3) against the JWKS key named by `kid`. */
function verifySet(jws: string, jwks: Jwks) {
  const parts = jws.split('.');
  expect(parts).toHaveLength(3);
  const [h, p, s] = parts as [string, string, string];
  const header = part(h);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`kid ${String(header.kid)} is not in the JWKS`);
  const valid = verifySignature('RSA-SHA256', Buffer.from(`${h}.${p}`, 'ascii'), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
  return { header, claims: part(p), valid };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Okta integration SETs (user-risk-change, §3.1.4)', () => {
  let t: TestApp;
  let cf: Cloudflare;
  let okta: Awaited<ReturnType<typeof fakeOkta>>;
  let idle: Awaited<ReturnType<typeof fakeOkta>>;
  let active: Integration;
  let inactive: Integration;
  let streamOf: (i: { id: string }) => Promise<string>;
  let jwks: Jwks;
  let issuer: string;
  const account_id = 'acme';
  const seen = new Set<string>();

  beforeAll(async () => {
    okta = await fakeOkta();
    idle = await fakeOkta();
    t = await startTestApp({ PUBLIC_URL, RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true' });
    cf = new Cloudflare({ apiToken: t.token, baseURL: `${t.url}/client/v4`, maxRetries: 0 });
    active = await cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta', tenant_url: okta.url });
    inactive = await cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta', tenant_url: idle.url });
    await cf.zeroTrust.riskScoring.integrations.update(inactive.id, { account_id, active: false, tenant_url: idle.url });
    streamOf = async (i) => (await t.app.storage.integrations.get('acme', i.id))!.streamId;

    // What Okta does with the well-known URL (§3.1.2): read issuer and jwks_uri, fetch the JWKS.
    const doc = await call(active.well_known_url.replace(PUBLIC_URL, t.url));
    expect(doc.status).toBe(200);
    issuer = doc.body.issuer as string;
    expect(issuer).toBe(`${PUBLIC_URL}/ssf/acme`);
    const keys = await call((doc.body.jwks_uri as string).replace(PUBLIC_URL, t.url));
    expect(keys.status).toBe(200);
    jwks = JSON.parse(keys.text) as Jwks;
    expect(jwks.keys.length).toBeGreaterThan(0);

    const r = await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, {
      method: 'PUT', token: t.token,
      json: { behaviors: { imp_travel: { enabled: true, risk_level: 'high' }, high_dlp: { enabled: true, risk_level: 'medium' } } },
    });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    await okta.close();
    await idle.close();
  });

  /** Every SET queued for or pushed to an integration's tenant so far, keyed by jti. */
  const setsOf = async (i: { id: string }, tenant: Awaited<ReturnType<typeof fakeOkta>>) => {
    const out = new Map<string, string>();
    for (const e of await t.app.storage.outbox.pending('acme', await streamOf(i), 100)) out.set(e.jti, e.set);
    for (const r of tenant.received) {
      expect(r.path).toBe('/security/api/v1/security-events');
      expect(r.contentType).toBe('application/secevent+jwt');
      out.set(part(r.body.split('.')[1]!).jti as string, r.body);
    }
    return out;
  };
  /** Waits for the fan-out to settle, then for one SET not seen before; returns it verified. */
  const nextSet = async () => {
    await new Promise((r) => setTimeout(r, 20));
    await t.app.ssf.idle();
    const jws = await waitFor('a new SET for the active integration', async () => {
      const fresh = [...(await setsOf(active, okta)).entries()].filter(([jti]) => !seen.has(jti));
      expect(fresh.length).toBeLessThanOrEqual(1);
      return fresh[0];
    });
    seen.add(jws[0]);
    const { header, claims, valid } = verifySet(jws[1], jwks);
    expect(valid).toBe(true);
    // Okta requires kid, typ and alg = RS256 (§2.1, §3.1.3).
    expect(header).toEqual({ alg: 'RS256', typ: 'secevent+jwt', kid: expect.any(String) });
    // Exactly Okta's SecurityEventTokenRequestJwtBody members (§3.1.5): no sub, sub_id, exp or txn.
    expect(Object.keys(claims).sort()).toEqual(['aud', 'events', 'iat', 'iss', 'jti']);
    expect(claims.iss).toBe(issuer);
    expect(claims.aud).toBe(okta.url); // the Okta org URL (§3.1.3)
    expect(claims.jti).toBe(jws[0]);
    expect(Number.isInteger(claims.iat)).toBe(true);
    expect(Math.abs(claims.iat - Date.now() / 1000)).toBeLessThan(60);
    expect(Object.keys(claims.events)).toEqual([OKTA_EVENT]);
    const event = claims.events[OKTA_EVENT] as Record<string, any>;
    expect(LEVELS).toContain(event.current_level);
    expect(LEVELS).toContain(event.previous_level);
    expect(Number.isInteger(event.event_timestamp)).toBe(true); // seconds, not milliseconds
    expect(Math.abs(event.event_timestamp - claims.iat)).toBeLessThan(60);
    for (const k of ['reason_admin', 'reason_user']) {
      expect(event[k]).toEqual({ en: expect.any(String) });
      expect(event[k].en.length).toBeGreaterThan(0);
    }
    return event;
  };
  const signal = async (user: Record<string, unknown>, behavior = 'imp_travel') => {
    const r = await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/signals`, { method: 'POST', token: t.token, json: { signals: [{ behavior, user }] } });
    expect(r.status).toBe(200);
    expect(r.body.result.items[0].status).toBe('accepted');
    return r.body.result.items[0].user_id as string;
  };

  it('a raised level, a higher level and a reset each become one Okta user-risk-change with the subject inside the event', async () => {
    const jane = await signal({ email: 'jane@example.com' }, 'high_dlp');
    const first = await nextSet();
    expect(first).toEqual({
      subject: { user: { format: 'email', email: 'jane@example.com' } },
      current_level: 'medium',
      previous_level: 'none',
      event_timestamp: expect.any(Number),
      initiating_entity: 'policy',
      reason_admin: { en: expect.stringContaining('high_dlp') },
      reason_user: { en: expect.any(String) },
    });

    await signal({ email: 'jane@example.com' }, 'imp_travel');
    expect(await nextSet()).toMatchObject({
      subject: { user: { format: 'email', email: 'jane@example.com' } }, current_level: 'high', previous_level: 'medium', initiating_entity: 'policy',
      reason_admin: { en: expect.stringContaining('imp_travel') },
    });

    const reset = await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/${jane}/reset`, { method: 'POST', token: t.token });
    expect(reset.status).toBe(200);
    const none = await nextSet();
    expect(none).toMatchObject({ subject: { user: { format: 'email', email: 'jane@example.com' } }, current_level: 'none', previous_level: 'high', initiating_entity: 'admin' });
    expect(none.reason_admin.en).not.toMatch(/LOW/); // Okta gets `none` itself, not the CAEP stand-in
  });

  it('a user without an email is skipped for Okta and counted, not queued or retried', async () => {
    const skipped = async () => Number(/^riskwire_okta_skipped_no_email_total (\d+)$/m.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1] ?? NaN);
    const before = await skipped();
    const queued = (await setsOf(active, okta)).size;
    await signal({ identifiers: [{ type: 'okta_user_id', value: '00u1' }] }, 'imp_travel');
    await waitFor('the skip to be counted', async () => ((await skipped()) > before ? true : undefined));
    await t.app.ssf.idle();
    // One active Okta stream ⇒ counted once; the inactive one is not even considered.
    expect(await skipped()).toBe(before + 1);
    expect((await setsOf(active, okta)).size).toBe(queued);
    // The change was consumed: nothing is left to re-run it.
    expect(await t.app.storage.risk.pendingChanges(10)).toEqual([]);
    // Once the user has an email, their next change goes out.
    expect(await signal({ email: 'noemail-later@example.com' }, 'high_dlp')).toBeDefined();
    expect((await nextSet()).subject).toEqual({ user: { format: 'email', email: 'noemail-later@example.com' } });
  });

  it('an inactive integration queues and pushes nothing', async () => {
    await signal({ email: 'bob@example.com' }, 'imp_travel');
    expect((await nextSet()).current_level).toBe('high'); // the active one got it…
    expect(await t.app.storage.outbox.countPending('acme', await streamOf(inactive))).toBe(0); // …the inactive one did not
    expect(idle.received).toEqual([]);

    // Switched on, it gets the next change (and only from then on).
    await cf.zeroTrust.riskScoring.integrations.update(inactive.id, { account_id, active: true, tenant_url: idle.url });
    await signal({ email: 'carol@example.com' }, 'high_dlp');
    await nextSet();
    const sets = await waitFor('a SET for the re-activated integration', async () => {
      const s = await setsOf(inactive, idle);
      return s.size ? s : undefined;
    });
    expect(sets.size).toBe(1);
    const { claims, valid } = verifySet([...sets.values()][0]!, jwks);
    expect(valid).toBe(true);
    expect(claims.aud).toBe(idle.url);
    expect(claims.events[OKTA_EVENT].subject).toEqual({ user: { format: 'email', email: 'carol@example.com' } });
  });
});
