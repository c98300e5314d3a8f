/*
 * The SETs riskwire emits for risk changes (reference §6, §9, §12.1 items 9 and 14; RFC 8417,
 * SSF §4, CAEP §2 and §3.8, CAEP interop §2.6, §2.8). CS module: stream-caep-interop's event
 * checks. Every SET is verified with node:crypto against the JWKS fetched over HTTP.
 */
import {
  EV, ISSUER, ack, call, checkCaepCommon, checkSets, createReceiver, createStream, enableBehaviors, fetchJwks, pollNow, requestVerification,
  resetRisk, signal, startSsfApp, verifyJws, waitForSets, type DecodedSet, type Jwks, type StreamConfig, type TestApp, type TestReceiver,
} from './helpers.js';
import { testStores } from '../helpers/stores.js';

const LEVELS = ['LOW', 'MEDIUM', 'HIGH'];

describe.each(testStores())('SSF SETs for risk changes ($name)', (store) => {
  let t: TestApp;
  let r: TestReceiver;
  let jwks: Jwks;
  /** Every jti this file received: RFC 8417 §2.2 "unique within a particular event feed". */
  const seen = new Set<string>();
  beforeAll(async () => {
    t = await startSsfApp(store.env());
    r = await createReceiver(t, { name: 'sets receiver', audience: 'https://receiver.example/caep' });
    await enableBehaviors(t, {
      imp_travel: { enabled: true, risk_level: 'high' },
      high_dlp: { enabled: true, risk_level: 'medium' },
      device_noncompliant: { enabled: true, risk_level: 'medium' },
    });
    jwks = await fetchJwks(t);
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  /** Waits for `n` SETs, validates each (signature, header, claims), acknowledges them, and returns them in order. */
  const receive = async (s: StreamConfig, n: number, token = r.token): Promise<DecodedSet[]> => {
    const sets = await waitForSets(t, token, s, n);
    const decoded = checkSets(sets, { jwks, aud: s.aud });
    expect(decoded).toHaveLength(n);
    for (const d of decoded) {
      expect(seen.has(d.claims.jti)).toBe(false);
      seen.add(d.claims.jti);
    }
    await ack(t, token, s, Object.keys(sets));
    return decoded;
  };
  /** CAEP §3.8 risk-level-change payload rules (CS OIDSSFValidateCaepRiskLevelChangeEvent) and our own. */
  const expectRiskLevelChange = (d: DecodedSet, want: { current: string; previous?: string; initiator: string }) => {
    expect(d.type).toBe(EV.riskLevelChange);
    const e = d.event;
    expect(e.principal).toBe('USER');
    expect(LEVELS).toContain(e.current_level);
    expect(e.current_level).toBe(want.current);
    if (want.previous === undefined) expect(e).not.toHaveProperty('previous_level');
    else expect(e.previous_level).toBe(want.previous);
    expect(typeof e.risk_reason).toBe('string'); // RECOMMENDED
    expect(e.risk_reason.length).toBeGreaterThan(0);
    expect(typeof e.event_timestamp).toBe('number');
    expect(e.event_timestamp).toBeLessThanOrEqual(d.claims.iat);
    expect(e.event_timestamp).toBeGreaterThan(d.claims.iat - 600);
    expect(e.initiating_entity).toBe(want.initiator);
    checkCaepCommon(e, { reasonAdminRequired: true }); // reference §14 item 17: reason_admin on every CAEP event
    expect(typeof d.claims.txn).toBe('string'); // SSF §4.1.9: SHOULD, and it is tied to the change
  };

  it('the independent verifier rejects a tampered SET and an unknown kid (so its passes mean something)', async () => {
    const s = await createStream(t, r.token);
    await requestVerification(t, r.token, s.stream_id, 'self-test');
    const [jws] = Object.values(await waitForSets(t, r.token, s, 1));
    expect(verifyJws(jws!, jwks).valid).toBe(true);
    const [h, p, sig] = jws!.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, aud: 'attacker' })).toString('base64url');
    expect(verifyJws(`${h}.${forged}.${sig}`, jwks).valid).toBe(false);
    const otherKid = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url').toString('utf8')), kid: 'unknown' })).toString('base64url');
    expect(() => verifyJws(`${otherKid}.${p}.${sig}`, jwks)).toThrow(/not in the JWKS/);
    // The iss of SETs is the metadata issuer fetched over HTTP (SSF §4.1.6, §7.1).
    expect((await call(`${t.url}/.well-known/ssf-configuration/ssf/acme`)).body.issuer).toBe(ISSUER);
    expect(claims.iss).toBe(ISSUER);
  });

  describe('risk-level-change (CAEP §3.8)', () => {
    let s: StreamConfig;
    let firstTxn: string;
    let janeId: string;
    beforeAll(async () => {
      s = await createStream(t, r.token);
    });

    it('an unscored user rising to MEDIUM: one SET, no previous_level, initiated by policy, sub_id the user\'s email', async () => {
      janeId = await signal(t, 'high_dlp', { email: 'jane@example.com' });
      const [d] = await receive(s, 1);
      expectRiskLevelChange(d!, { current: 'MEDIUM', initiator: 'policy' });
      expect(d!.claims.sub_id).toEqual({ format: 'email', email: 'jane@example.com' });
      expect(d!.claims.aud).toBe('https://receiver.example/caep');
      firstTxn = d!.claims.txn;
    });

    it('rising to HIGH: risk-level-change and session-revoked, sharing one txn, each with its own jti', async () => {
      await signal(t, 'imp_travel', { email: 'jane@example.com' });
      const sets = await receive(s, 2);
      const rlc = sets.find((d) => d.type === EV.riskLevelChange)!;
      const revoked = sets.find((d) => d.type === EV.sessionRevoked)!;
      expectRiskLevelChange(rlc, { current: 'HIGH', previous: 'MEDIUM', initiator: 'policy' });
      expect(revoked).toBeDefined();
      // CAEP §3.1 session-revoked: no required claims; CAEP interop §3.1: reason_admin MUST be non-empty.
      checkCaepCommon(revoked.event, { reasonAdminRequired: true });
      expect(typeof revoked.event.event_timestamp).toBe('number');
      expect(revoked.claims.sub_id).toEqual(rlc.claims.sub_id);
      expect(revoked.claims.txn).toBe(rlc.claims.txn);
      expect(revoked.claims.jti).not.toBe(rlc.claims.jti);
      // A different underlying event has a different txn (SSF §4.1.9: unique to the cause).
      expect(rlc.claims.txn).not.toBe(firstTxn);
    });

    it('no SET when the level does not change', async () => {
      await signal(t, 'imp_travel', { email: 'jane@example.com' });
      await signal(t, 'high_dlp', { email: 'jane@example.com' });
      // A later change of another user arrives: jane's signals were fanned out before it.
      await signal(t, 'high_dlp', { email: 'marker@example.com' });
      const [d] = await receive(s, 1);
      expect(d!.claims.sub_id).toEqual({ format: 'email', email: 'marker@example.com' });
      expect(await pollNow(t, r.token, s)).toEqual({});
    });

    it('a reset goes out as LOW, initiated by an admin, with a reason saying it was a reset; no session-revoked', async () => {
      await resetRisk(t, janeId);
      const [d] = await receive(s, 1);
      expectRiskLevelChange(d!, { current: 'LOW', previous: 'HIGH', initiator: 'admin' });
      expect(d!.event.reason_admin.en).toMatch(/reset/i);
      expect(d!.event.reason_admin.en).toMatch(/LOW/);
      expect(d!.claims.sub_id).toEqual({ format: 'email', email: 'jane@example.com' });
      expect(await pollNow(t, r.token, s)).toEqual({});
    });

    it('an unscored user going straight to HIGH: no previous_level, plus session-revoked', async () => {
      await signal(t, 'imp_travel', { email: 'straight.high@example.com' });
      const sets = await receive(s, 2);
      expect(sets.map((d) => d.type).sort()).toEqual([EV.riskLevelChange, EV.sessionRevoked].sort());
      expectRiskLevelChange(sets.find((d) => d.type === EV.riskLevelChange)!, { current: 'HIGH', initiator: 'policy' });
    });
  });

  describe('subjects of SETs (SSF §3, RFC 9493)', () => {
    it('a user known by iss/sub only is sent as iss_sub; one known by neither as a complex subject, never a bare opaque id', async () => {
      const s = await createStream(t, r.token, { events_requested: [EV.riskLevelChange] });
      await signal(t, 'high_dlp', { identifiers: [{ type: 'iss_sub', iss: 'https://idp.example.com/', sub: 'kim-1' }] });
      const [issSub] = await receive(s, 1);
      expect(issSub!.claims.sub_id).toEqual({ format: 'iss_sub', iss: 'https://idp.example.com/', sub: 'kim-1' });
      await signal(t, 'high_dlp', { identifiers: [{ type: 'okta_user_id', value: '00u-no-email' }] });
      const [other] = await receive(s, 1);
      const sub = other!.claims.sub_id;
      expect(sub.format).toBe('complex'); // SSF §3.3; CAEP interop rejects bare opaque subjects for CAEP events
      expect(sub.user).toEqual(expect.objectContaining({ format: expect.any(String) }));
      for (const [k, v] of Object.entries(sub)) if (k !== 'format') expect(['complex', 'aliases']).not.toContain((v as { format: string }).format);
    });
  });

  describe('what each stream gets (SSF §8.1.1 events_delivered, §4.1.8 aud)', () => {
    it('only the delivered event types, with the stream\'s aud; every stream its own SETs with one txn per change', async () => {
      const other = await createReceiver(t, { name: 'second receiver' });
      const rlcOnly = await createStream(t, r.token, { events_requested: [EV.riskLevelChange] });
      const revokedOnly = await createStream(t, r.token, { events_requested: [EV.sessionRevoked] });
      const all = await createStream(t, other.token);
      expect(all.aud).toBe(other.audience);

      await signal(t, 'high_dlp', { email: 'filter@example.com' }); // MEDIUM: risk-level-change only
      await signal(t, 'imp_travel', { email: 'filter@example.com' }); // HIGH: both
      const a = await receive(rlcOnly, 2);
      expect(a.map((d) => d.type)).toEqual([EV.riskLevelChange, EV.riskLevelChange]);
      expect(a.map((d) => d.event.current_level)).toEqual(['MEDIUM', 'HIGH']);
      const b = await receive(revokedOnly, 1);
      expect(b.map((d) => d.type)).toEqual([EV.sessionRevoked]);
      const c = await receive(all, 3, other.token);
      expect(c.map((d) => d.claims.aud)).toEqual([other.audience, other.audience, other.audience]);
      for (const d of [...a, ...b]) expect(d.claims.aud).toBe('https://receiver.example/caep');
      // The HIGH change: same txn on every stream and every SET, distinct jti everywhere.
      const highTxn = a[1]!.claims.txn;
      expect(b[0]!.claims.txn).toBe(highTxn);
      expect(c.filter((d) => d.claims.txn === highTxn).map((d) => d.type).sort()).toEqual([EV.riskLevelChange, EV.sessionRevoked].sort());
      expect(a[0]!.claims.txn).not.toBe(highTxn);
    });

    it('a device behavior also yields device-compliance-change (CAEP §3.5) with the required statuses', async () => {
      const s = await createStream(t, r.token, { events_requested: [EV.deviceComplianceChange, EV.riskLevelChange] });
      expect(s.events_delivered.sort()).toEqual([EV.deviceComplianceChange, EV.riskLevelChange].sort());
      await signal(t, 'device_noncompliant', { email: 'device.user@example.com' });
      const sets = await receive(s, 2);
      const dcc = sets.find((d) => d.type === EV.deviceComplianceChange)!;
      expect(dcc).toBeDefined();
      expect(['compliant', 'not-compliant']).toContain(dcc.event.previous_status);
      expect(dcc.event.current_status).toBe('not-compliant');
      checkCaepCommon(dcc.event, { reasonAdminRequired: true });
      expect(dcc.claims.txn).toBe(sets.find((d) => d.type === EV.riskLevelChange)!.claims.txn);
    });

    it('another account\'s streams never get this account\'s SETs (each account is its own transmitter)', async () => {
      await t.app.accounts.ensure({ id: 'globex' }, 'test');
      const { receiver, clientSecret } = await t.app.ssf.receivers.create('globex', { name: 'globex receiver' }, 'test');
      const token = (await call(`${t.url}/ssf/globex/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: receiver.clientId, client_secret: clientSecret }).toString(),
      })).body.access_token as string;
      const created = await call(`${t.url}/ssf/globex/streams`, { method: 'POST', token, json: {} });
      expect(created.status).toBe(201);
      expect(created.body.iss).toBe('https://riskwire.test/ssf/globex');
      const mine = await createStream(t, r.token, { events_requested: [EV.riskLevelChange] });
      await signal(t, 'high_dlp', { email: 'tenant.check@example.com' });
      expect((await receive(mine, 1))[0]!.claims.sub_id).toEqual({ format: 'email', email: 'tenant.check@example.com' });
      const theirs = await call(`${t.url}/ssf/globex/poll/${created.body.stream_id}`, { method: 'POST', token, json: { returnImmediately: true } });
      expect(theirs.status).toBe(200);
      expect(theirs.body.sets).toEqual({});
    });

    it('every jti received in this file was unique', () => {
      expect(seen.size).toBeGreaterThanOrEqual(15);
    });
  });
});
