import fs from 'node:fs';
import path from 'node:path';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { testStores } from '../helpers/stores.js';

const fixture = (name: string) => fs.readFileSync(path.resolve('test/fixtures/okta', name), 'utf8');

describe.each(testStores())('Okta event hook source ($name)', (store) => {
  let t: TestApp;
  let source: { id: string; webhook_url: string; secret: string };
  let hook: string;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://riskwire.test', ...store.env() });
    const r = await call(`${t.url}/client/v4/accounts/acme/sources`, { method: 'POST', token: t.token, json: { type: 'okta_event_hook', name: 'okta prod' } });
    expect(r.status).toBe(201);
    source = r.body.result;
    hook = `${t.url}${new URL(source.webhook_url).pathname}`;
    await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, {
      method: 'PUT', token: t.token,
      json: { behaviors: { okta_threat_detected: { enabled: true, risk_level: 'medium' }, okta_session_hijack: { enabled: true, risk_level: 'high' } } },
    });
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  /** `auth` null sends no Authorization header at all. */
  const deliver = (body: string, auth: string | null = source.secret) =>
    call(hook, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(auth !== null ? { authorization: auth } : {}) } });
  const user = async (email: string) => {
    for (let i = 0; i < 40; i++) {
      const id = await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: email });
      const u = id ? await t.app.storage.users.get('acme', id) : null;
      if (u && u.eventCount > 0) return u;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  };
  const events = async () => (await call(`${t.url}/client/v4/accounts/acme/sources/${source.id}/events`, { token: t.token })).body.result as Array<{ event_id: string; kind: string; outcome: string }>;

  it('creates the source with a webhook URL and a secret shown once, stored sealed', async () => {
    expect(source.webhook_url).toBe(`https://riskwire.test/sources/acme/${source.id}`);
    expect(source.secret).toMatch(/^rwsrc_/);
    const listed = await call(`${t.url}/client/v4/accounts/acme/sources/${source.id}`, { token: t.token });
    expect(listed.text).not.toContain(source.secret);
    expect(JSON.stringify(await t.app.storage.sources.get('acme', source.id))).not.toContain(source.secret);
  });

  it('answers the one-time verification GET with the challenge', async () => {
    const r = await call(hook, { headers: { 'x-okta-verification-challenge': 'abc123' } });
    expect(r).toMatchObject({ status: 200, body: { verification: 'abc123' } });
    expect((await call(hook)).status).toBe(400);
  });

  it('ThreatInsight security.threat.detected scores the actor at the strongest detection', async () => {
    expect((await deliver(fixture('threat-detected.json'))).status).toBe(204);
    expect(await user('homer.simpson@duff.com')).toMatchObject({ level: 'medium', eventCount: 1 });
    expect(await outcomeOf('aaa-bb-ccc')).toMatch(/^scored: okta_threat_detected/);
  });

  it('a redelivery (same uuid) is a no-op: scored once', async () => {
    expect((await deliver(fixture('threat-detected.json'))).status).toBe(204);
    await new Promise((r) => setTimeout(r, 200));
    expect(await user('homer.simpson@duff.com')).toMatchObject({ eventCount: 1 });
  });

  it('user.risk.change at HIGH scores the target user (not the system actor) with the Okta risk behavior', async () => {
    expect((await deliver(fixture('user-risk-change.json'))).status).toBe(204);
    expect(await user('marge@example.com')).toMatchObject({ level: 'high' });
    const okId = await t.app.storage.users.findByIdentifier('acme', { kind: 'okta_user_id', value: '00u9marge' });
    expect(okId).not.toBeNull();
  });

  it('a sign-in is recorded for investigation, not scored', async () => {
    expect((await deliver(fixture('session-start.json'))).status).toBe(204);
    await new Promise((r) => setTimeout(r, 100));
    expect((await events()).find((e) => e.event_id === 'f790999f-fe87-467a-9880-6982a583986c')).toMatchObject({ kind: 'user.session.start', outcome: 'ignored: recorded for investigation' });
    expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'admin@example.com' })).toBeNull();
  });

  /** One System Log event in a delivery, with a fresh uuid; `extra` overrides fields. */
  let seq = 0;
  const oneEvent = (extra: Record<string, unknown>) => {
    const uuid = `evt-${++seq}`;
    return { uuid, body: JSON.stringify({ data: { events: [{ uuid, published: '2026-06-01T10:00:00.000Z', outcome: { result: 'SUCCESS' }, ...extra }] } }) };
  };
  const outcomeOf = async (uuid: string) => {
    for (let i = 0; i < 40; i++) {
      const e = (await events()).find((x) => x.event_id === uuid);
      if (e && e.outcome !== 'received') return e.outcome;
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  };
  const targetUser = (email: string, id: string) => ({
    actor: { id: '0oaSystem', type: 'SystemPrincipal', alternateId: 'system@okta.com' },
    target: [{ id, type: 'User', alternateId: email, displayName: email }],
  });

  it('a risk drop from HIGH is not risk: only the current `level` counts, never `previousLevel`', async () => {
    for (const risk of ['{previousLevel=HIGH, level=LOW, detectionName=Session Influenced User Risk}', { previousLevel: 'HIGH', level: 'LOW' }, '{"previousLevel":"HIGH","level":"LOW"}']) {
      const { uuid, body } = oneEvent({ eventType: 'user.risk.change', ...targetUser('bart@example.com', '00u9bart'), debugContext: { debugData: { risk } } });
      expect((await deliver(body)).status).toBe(204);
      expect(await outcomeOf(uuid)).toBe('ignored: risk level LOW below HIGH');
    }
    expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'bart@example.com' })).toBeNull();
  });

  it('user.risk.detect with securityContext.risk at HIGH scores the target user', async () => {
    const { uuid, body } = oneEvent({ eventType: 'user.risk.detect', ...targetUser('lisa@example.com', '00u9lisa'), securityContext: { risk: { level: 'HIGH', previousLevel: 'LOW', detectionName: 'Entity risk' } } });
    expect((await deliver(body)).status).toBe(204);
    expect(await user('lisa@example.com')).toMatchObject({ level: 'high' });
    expect(await outcomeOf(uuid)).toMatch(/^scored: okta_session_hijack/);
  });

  it('sign-in failures and sign-on policy denials are recorded for investigation with their outcome, not scored', async () => {
    const actor = { id: '00u9moe', type: 'User', alternateId: 'moe@example.com' };
    const failed = oneEvent({ eventType: 'user.authentication.verify', actor, outcome: { result: 'FAILURE', reason: 'VERIFICATION_ERROR' } });
    const denied = oneEvent({ eventType: 'policy.evaluate_sign_on', actor, outcome: { result: 'DENY', reason: 'Sign-on policy' } });
    for (const e of [failed, denied]) expect((await deliver(e.body)).status).toBe(204);
    expect(await outcomeOf(failed.uuid)).toBe('ignored: recorded for investigation: FAILURE (VERIFICATION_ERROR)');
    expect(await outcomeOf(denied.uuid)).toBe('ignored: recorded for investigation: DENY (Sign-on policy)');
    expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'moe@example.com' })).toBeNull();
  });

  it('debug data of odd types (objects where Okta sends strings) never answers 500', async () => {
    const hostile = { toString: 1, valueOf: 1 };
    const bodies = [
      oneEvent({ eventType: 'security.threat.detected', actor: { id: 'x', type: 'User', alternateId: 'ned@example.com' }, debugContext: { debugData: { threatDetections: { a: hostile } } } }),
      oneEvent({ eventType: 'security.threat.detected', actor: { id: 'x', type: 'User', alternateId: 'ned@example.com' }, debugContext: { debugData: { threatDetections: ['HIGH'] } } }),
      oneEvent({ eventType: 'user.risk.change', ...targetUser('ned@example.com', '00u9ned'), debugContext: { debugData: { risk: { level: hostile } } } }),
      oneEvent({ eventType: 'user.risk.detect', ...targetUser('ned@example.com', '00u9ned'), securityContext: { risk: { level: hostile } } }),
      oneEvent({ eventType: 'user.risk.detect', ...targetUser('ned@example.com', '00u9ned'), securityContext: { risk: 42 } }),
    ];
    for (const { uuid, body } of bodies) {
      const r = await deliver(body);
      expect([uuid, r.status]).toEqual([uuid, 204]);
      expect(await outcomeOf(uuid)).toMatch(/^ignored: (threat|risk) level none below/);
    }
  });

  it('answers 204 before the heavy work: scoring waits behind the answer (Okta allows 3 s)', async () => {
    // Scoring held at a gate: if the hook waited for scoring before answering, this delivery would never be answered.
    const risk = t.app.risk as { ingest: typeof t.app.risk.ingest };
    const ingest = risk.ingest;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    risk.ingest = async (...args) => {
      await gate;
      return ingest(...args);
    };
    try {
      const { uuid, body } = oneEvent({ eventType: 'user.risk.change', ...targetUser('gated@example.com', '00u9gated'), debugContext: { debugData: { risk: '{level=HIGH}' } } });
      expect((await deliver(body)).status).toBe(204);
      expect((await events()).find((e) => e.event_id === uuid)?.outcome).toBe('received');
      release();
      expect(await outcomeOf(uuid)).toMatch(/^scored: okta_session_hijack/);
    } finally {
      release();
      risk.ingest = ingest;
    }
  });

  it('a wrong or missing Authorization is 401 without detail, and counted', async () => {
    for (const auth of ['wrong', null, `${source.secret}x`]) {
      const r = await deliver(fixture('threat-detected.json'), auth);
      expect(r.status).toBe(401);
      expect(r.text).not.toMatch(/secret|authorization mismatch/i);
    }
    expect((await call(`${t.url}/metrics`)).text).toMatch(/riskwire_source_auth_failures_total\{type="okta_event_hook"\} 3/);
  });

  it.each([
    ['not JSON', '{nope', /not JSON/],
    ['no data', '{}', /data/],
    ['events not an array', '{"data":{"events":{}}}', /data\.events/],
    ['an event without uuid', '{"data":{"events":[{"eventType":"user.session.start"}]}}', /data\.events\[0\]\.uuid/],
    ['an event without eventType', '{"data":{"events":[{"uuid":"u-1"}]}}', /data\.events\[0\]\.eventType/],
  ])('%s → 400 naming the field, recorded as rejected, never 500', async (_name, body, message) => {
    const r = await deliver(body);
    expect(r.status).toBe(400);
    expect(r.body.error_description).toMatch(message);
    expect((await events())[0]).toMatchObject({ kind: 'rejected', outcome: expect.stringMatching(/^rejected: /) });
  });

  it('garbage in odd shapes never answers 500', async () => {
    for (const body of ['[]', 'null', '"x"', '{"data":{"events":[null,1,"x",[]]}}', '{"data":{"events":[{"uuid":{"a":1},"eventType":[]}]}}', JSON.stringify({ data: { events: [{ uuid: 'x'.repeat(300), eventType: 'e' }] } })]) {
      const r = await deliver(body);
      expect(r.status).toBeLessThan(500);
    }
  });

  it('the API manages sources: list, update (rename, rotate the secret), delete; unknown type 400; scope sources:admin', async () => {
    expect((await call(`${t.url}/client/v4/accounts/acme/sources`, { token: t.token })).body.result.length).toBeGreaterThanOrEqual(1);
    const rotated = await call(`${t.url}/client/v4/accounts/acme/sources/${source.id}`, { method: 'PATCH', token: t.token, json: { name: 'okta eu', rotate_secret: true } });
    expect(rotated.body.result).toMatchObject({ name: 'okta eu', secret: expect.stringMatching(/^rwsrc_/) });
    expect((await deliver(fixture('session-start.json'))).status).toBe(401); // the old secret stops working
    source.secret = rotated.body.result.secret;
    expect((await call(`${t.url}/client/v4/accounts/acme/sources`, { method: 'POST', token: t.token, json: { type: 'splunk', name: 'x' } })).status).toBe(400);
    const { token } = await t.app.tokens.create({ accountId: 'acme', name: 'r', scopes: ['risk:read'] }, 'test');
    expect((await call(`${t.url}/client/v4/accounts/acme/sources`, { token })).status).toBe(403);
    const extra = (await call(`${t.url}/client/v4/accounts/acme/sources`, { method: 'POST', token: t.token, json: { type: 'okta_event_hook', name: 'tmp' } })).body.result;
    // Known to the webhook path (it keeps the source it built) until deleted: then unknown at once.
    expect((await call(`${t.url}/sources/acme/${extra.id}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await call(`${t.url}/client/v4/accounts/acme/sources/${extra.id}`, { method: 'DELETE', token: t.token })).status).toBe(200);
    expect((await call(`${t.url}/sources/acme/${extra.id}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(404);
  });
});
