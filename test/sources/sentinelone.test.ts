import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import type { IdentifierKind } from '../../src/domain/user.js';
import { useNockForVendorClouds } from '../helpers/nock-vendor-clouds.js';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { testStores } from '../helpers/stores.js';

/**
 * SentinelOne webhook source (vendors reference §5). Payloads are the reference's samples
 * (test/fixtures/sentinelone); the Management API cannot run here, so the verification re-fetch
 * is mocked with nock and nothing reaches the internet (loopback allowed for riskwire itself).
 */
const S1 = 'https://usea1.sentinelone.net';
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.resolve('test/fixtures/sentinelone', name), 'utf8')) as Record<string, any>;
/** A copy of a fixture threat under another id (both `id` and `threatInfo.threatId`, §5.1). */
const threatWithId = (name: string, id: string, patch: (t: Record<string, any>) => void = () => undefined) => {
  const t = fixture(name);
  t.id = id;
  t.threatInfo.threatId = id;
  patch(t);
  return t;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testStores())('SentinelOne webhook source ($name)', (store) => {
  useNockForVendorClouds();
  let t: TestApp;
  let source: { id: string; webhook_url: string; secret: string; settings: Record<string, unknown> };

  const createSource = async (settings: Record<string, unknown>) =>
    call(`${t.url}/client/v4/accounts/acme/sources`, { method: 'POST', token: t.token, json: { type: 'sentinelone', name: 's1', settings } });
  const deliver = (body: unknown, opts: { to?: typeof source; header?: string; secret?: string | undefined } = {}) => {
    const to = opts.to ?? source;
    const secret = 'secret' in opts ? opts.secret : to.secret;
    return call(`${t.url}/sources/acme/${to.id}`, {
      method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(secret !== undefined ? { [opts.header ?? 'x-webhook-secret']: secret } : {}) },
    });
  };
  /** The user once scored (scoring runs just after the 204), or null after 2 s. */
  const scored = async (kind: IdentifierKind, value: string) => {
    for (let i = 0; i < 40; i++) {
      const id = await t.app.storage.users.findByIdentifier('acme', { kind, value });
      const u = id ? await t.app.storage.users.get('acme', id) : null;
      if (u && u.eventCount > 0) return u;
      await sleep(50);
    }
    return null;
  };
  const events = async (to = source) =>
    (await call(`${t.url}/client/v4/accounts/acme/sources/${to.id}/events`, { token: t.token })).body.result as Array<{ event_id: string; kind: string; outcome: string }>;
  /** The outcome of one event, once it is final (a scored event first reads `received`). */
  const outcomeOf = async (eventId: string, to = source) => {
    for (let i = 0; i < 40; i++) {
      const e = (await events(to)).find((x) => x.event_id === eventId);
      if (e && e.outcome !== 'received') return e;
      await sleep(50);
    }
    return (await events(to)).find((x) => x.event_id === eventId);
  };

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://riskwire.test', ...store.env() });
    const r = await createSource({});
    expect(r.status).toBe(201);
    source = r.body.result;
    const b = await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, {
      method: 'PUT', token: t.token,
      json: { behaviors: { sentinel_one: { enabled: true, risk_level: 'medium' }, sentinel_one_suspicious: { enabled: true, risk_level: 'low' } } },
    });
    expect(b.status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  it('creates the source with the default header and verification off; bad settings are 400 naming the field', async () => {
    expect(source).toMatchObject({ webhook_url: `https://riskwire.test/sources/acme/${source.id}`, secret: expect.stringMatching(/^rwsrc_/) });
    expect(source.settings).toEqual({ header_name: 'x-webhook-secret', verify_with_api: false });
    for (const [settings, field] of [
      [{ verify_with_api: true }, /api_base_url.*required/],
      [{ verify_with_api: true, api_base_url: S1 }, /api_token.*required/],
      [{ verify_with_api: true, api_base_url: 'http://usea1.sentinelone.net', api_token: 'x' }, /api_base_url/],
      [{ api_base_url: `${S1}/web/api/v2.1` }, /api_base_url.*origin/],
      [{ header_name: 'bad header' }, /header_name/],
      [{ header_name: 'content-type' }, /header_name/],
      [{ hedaer_name: 'x' }, /hedaer_name|Unrecognized/],
    ] as const) {
      const r = await createSource(settings);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body.errors)).toMatch(field);
    }
  });

  it('a malicious threat (§5.1 sample) scores sentinel_one for the signed-in user, with their UPN and Windows account', async () => {
    expect((await deliver(fixture('threat-malicious.json'))).status).toBe(204);
    const u = await scored('email', 'jdoe@example.com');
    expect(u).toMatchObject({ level: 'medium', eventCount: 1 });
    expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'upn', value: 'jdoe@example.com' })).toBe(u!.id);
    expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'windows_account', value: 'corp\\jdoe' })).toBe(u!.id);
    expect(await outcomeOf('1234567890123456789')).toMatchObject({ kind: 'threat', outcome: `scored: sentinel_one for user ${u!.id}` });
  });

  it('a retry of the same threat id answers 204 and is scored once', async () => {
    expect((await deliver(fixture('threat-malicious.json'))).status).toBe(204);
    expect((await deliver(threatWithId('threat-malicious.json', '1234567890123456789', (x) => (x.threatInfo.confidenceLevel = 'suspicious')))).status).toBe(204);
    await sleep(200);
    expect(await scored('email', 'jdoe@example.com')).toMatchObject({ level: 'medium', eventCount: 1 });
    expect((await events()).filter((e) => e.event_id === '1234567890123456789')).toHaveLength(1);
  });

  it('a suspicious threat scores the suspicious behavior (low), not sentinel_one', async () => {
    expect((await deliver(fixture('threat-suspicious.json'))).status).toBe(204);
    const u = await scored('email', 'asmith@example.com');
    expect(u).toMatchObject({ level: 'low', eventCount: 1 });
    expect((await outcomeOf('1234567890123456790'))?.outcome).toMatch(/^scored: sentinel_one_suspicious /);
  });

  it('an analyst verdict false_positive and a resolved incident are recorded as ignored and not scored', async () => {
    expect((await deliver(fixture('threat-false-positive.json'))).status).toBe(204);
    expect((await deliver(fixture('threat-resolved.json'))).status).toBe(204);
    expect((await outcomeOf('1234567890123456791'))?.outcome).toBe('ignored: analyst_verdict is false_positive');
    expect((await outcomeOf('1234567890123456792'))?.outcome).toBe('ignored: incident_status is resolved');
    await sleep(150);
    expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'fp.user@example.com' })).toBeNull();
    expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'resolved.user@example.com' })).toBeNull();
  });

  it('confidence n/a is ignored; a threat that names only SYSTEM is ignored for want of a user', async () => {
    await deliver(threatWithId('threat-malicious.json', '900001', (x) => (x.threatInfo.confidenceLevel = 'n/a')));
    await deliver(threatWithId('threat-malicious.json', '900002', (x) => {
      x.threatInfo.processUser = 'NT AUTHORITY\\SYSTEM';
      x.agentDetectionInfo = { agentLastLoggedInUserName: null, agentLastLoggedInUpn: null, agentLastLoggedInUserMail: null };
    }));
    expect((await outcomeOf('900001'))?.outcome).toMatch(/^ignored: confidence n\/a is not mapped/);
    expect((await outcomeOf('900002'))?.outcome).toMatch(/^ignored: no user on the threat/);
    expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'windows_account', value: 'nt authority\\system' })).toBeNull();
  });

  it('a STAR alert (§5.2) treated as malicious scores the process user\'s Windows account', async () => {
    expect((await deliver(fixture('alert-star.json'))).status).toBe(204);
    expect(await scored('windows_account', 'corp\\bsmith')).toMatchObject({ level: 'medium' });
    expect(await outcomeOf('1234567890123456800')).toMatchObject({ kind: 'alert', outcome: expect.stringMatching(/^scored: sentinel_one /) });
    const fp = fixture('alert-star.json');
    fp.alertInfo.alertId = '1234567890123456803';
    fp.alertInfo.analystVerdict = 'FALSE_POSITIVE';
    await deliver(fp);
    expect((await outcomeOf('1234567890123456803'))?.outcome).toBe('ignored: analyst_verdict is false_positive');
  });

  it('the API list shape {data: [...]} takes several threats in one push', async () => {
    const a = threatWithId('threat-suspicious.json', '900010', (x) => (x.agentDetectionInfo.agentLastLoggedInUserMail = 'list1@example.com'));
    const b = threatWithId('threat-malicious.json', '900011', (x) => (x.agentDetectionInfo.agentLastLoggedInUserMail = 'list2@example.com'));
    expect((await deliver({ data: [a, b], pagination: { nextCursor: null, totalItems: 2 } })).status).toBe(204);
    expect(await scored('email', 'list1@example.com')).toMatchObject({ level: 'low' });
    expect(await scored('email', 'list2@example.com')).toMatchObject({ level: 'medium' });
  });

  it('a wrong, missing or misplaced secret is 401 without detail, and nothing is recorded', async () => {
    const before = (await events()).length;
    const body = threatWithId('threat-malicious.json', '900020');
    for (const opts of [{ secret: 'wrong' }, { secret: undefined }, { secret: `${source.secret}x` }, { header: 'authorization' }, { header: 'x-sentinelone-secret' }]) {
      const r = await deliver(body, opts);
      expect(r.status).toBe(401);
      expect(r.text).not.toMatch(/secret|header|mismatch|x-webhook/i);
    }
    expect((await events()).length).toBe(before);
    expect((await call(`${t.url}/metrics`)).text).toMatch(/riskwire_source_auth_failures_total\{type="sentinelone"\} ([5-9]|\d\d+)/);
  });

  it('a configured header name is the one read (case-insensitive)', async () => {
    const other = (await createSource({ header_name: 'X-S1-Token' })).body.result;
    expect(other.settings.header_name).toBe('x-s1-token');
    expect((await deliver(threatWithId('threat-suspicious.json', '900030', (x) => (x.agentDetectionInfo.agentLastLoggedInUserMail = 'hdr@example.com')), { to: other, header: 'X-S1-Token' })).status).toBe(204);
    expect(await scored('email', 'hdr@example.com')).toMatchObject({ level: 'low' });
    expect((await deliver(threatWithId('threat-suspicious.json', '900031'), { to: other })).status).toBe(401);
  });

  const without = (name: string, drop: (x: Record<string, any>) => void) => {
    const x = fixture(name);
    drop(x);
    return JSON.stringify(x);
  };
  it.each([
    ['not JSON', '{nope', /not JSON/],
    ['neither threat nor alert', '{"foo":1}', /threatInfo or alertInfo is required/],
    ['a threat without confidenceLevel', without('threat-malicious.json', (x) => delete x.threatInfo.confidenceLevel), /^threatInfo\.confidenceLevel is required$/],
    ['a threat without any id', without('threat-malicious.json', (x) => { delete x.id; delete x.threatInfo.threatId; }), /^id is required$/],
    ['a threat without threatInfo', without('threat-malicious.json', (x) => delete x.threatInfo), /^threatInfo is required$/],
    ['a threat with a numeric id', without('threat-malicious.json', (x) => (x.id = 12)), /^id: /],
    ['an alert without treatAsThreat', without('alert-star.json', (x) => delete x.ruleInfo.treatAsThreat), /^ruleInfo\.treatAsThreat is required$/],
    ['an alert without alertId', without('alert-star.json', (x) => delete x.alertInfo.alertId), /^alertInfo\.alertId is required$/],
    ['the second of a list', JSON.stringify({ data: [fixture('threat-suspicious.json'), { id: '5', threatInfo: {} }] }), /^data\[1\]\.threatInfo\.confidenceLevel is required$/],
  ])('%s → 400 naming the field, recorded as rejected', async (_name, body, message) => {
    const r = await deliver(body);
    expect(r.status).toBe(400);
    expect(r.body.error_description).toMatch(message);
    expect((await events())[0]).toMatchObject({ kind: 'rejected', outcome: expect.stringMatching(/^rejected: /) });
  });

  it('garbage in odd shapes never answers 500', async () => {
    const bodies = ['', '[]', 'null', '1', '"x"', '[null, 1, "x", []]', '{"data": {}}', '{"data": [null]}', '{"id": null}', '{"id": {"a": 1}, "threatInfo": []}',
      '{"__proto__": {"threatInfo": 1}, "constructor": 2}', '{"alertInfo": "x", "ruleInfo": []}', JSON.stringify({ id: 'x'.repeat(500), threatInfo: { confidenceLevel: 'malicious' } }),
      JSON.stringify(Array.from({ length: 101 }, () => fixture('threat-malicious.json'))), '\u0000\uffff', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'];
    for (const body of bodies) {
      const r = await deliver(body);
      expect([204, 400]).toContain(r.status);
    }
    const odd = await call(`${t.url}/sources/acme/${source.id}`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain', 'x-webhook-secret': source.secret } });
    expect(odd.status).toBe(400);
  });

  describe('with verify_with_api on (§5.3)', () => {
    let verified: typeof source;
    beforeAll(async () => {
      const r = await createSource({ verify_with_api: true, api_base_url: `${S1}/`, api_token: 'svc-user-token' });
      expect(r.status).toBe(201);
      verified = r.body.result;
      expect(verified.settings).toMatchObject({ verify_with_api: true, api_base_url: S1 });
    });

    it('keeps the API token sealed at rest and never shows it', async () => {
      expect(verified.settings).toMatchObject({ api_token: 'set' });
      const listed = await call(`${t.url}/client/v4/accounts/acme/sources/${verified.id}`, { token: t.token });
      expect(listed.text).not.toContain('svc-user-token');
      expect(JSON.stringify(await t.app.storage.sources.get('acme', verified.id))).not.toContain('svc-user-token');
    });
    let next = 0;
    const api = (id: string) => nock(S1).get('/web/api/v2.1/threats').query({ ids: id }).matchHeader('authorization', 'ApiToken svc-user-token');

    it('re-fetches the threat by id and scores what the console says, not what was pushed', async () => {
      const scope = api('1234567890123456795').reply(200, fixture('api-threats-list.json'));
      // The push claims malicious; the console says suspicious.
      const pushed = threatWithId('threat-malicious.json', '1234567890123456795', (x) => (x.agentDetectionInfo.agentLastLoggedInUserMail = 'vuser@example.com'));
      expect((await deliver(pushed, { to: verified })).status).toBe(204);
      expect(scope.isDone()).toBe(true);
      expect(await scored('email', 'vuser@example.com')).toMatchObject({ level: 'low', eventCount: 1 });
      expect((await outcomeOf('1234567890123456795', verified))?.outcome).toMatch(/^scored: sentinel_one_suspicious /);
    });

    it('a source changed elsewhere never calls the console with what it no longer holds: a rotated secret is refused, a deleted source is 404, neither reaches the API', async () => {
      const own = (await createSource({ verify_with_api: true, api_base_url: `${S1}/`, api_token: 'svc-user-token' })).body.result as typeof source;
      const listed = (id: string) => {
        const l = fixture('api-threats-list.json');
        Object.assign(l.data[0], { id });
        Object.assign(l.data[0].threatInfo, { threatId: id });
        return l;
      };
      const first = api('900070').reply(200, listed('900070'));
      expect((await deliver({ id: '900070' }, { to: own })).status).toBe(204);
      expect(first.isDone()).toBe(true);
      // Rotated through the API, which the webhook path sees only through the store (as a CLI change).
      const rotated = await call(`${t.url}/client/v4/accounts/acme/sources/${own.id}`, { method: 'PATCH', token: t.token, json: { rotate_secret: true } });
      expect(rotated.status).toBe(200);
      let calls = 0;
      api('900071').times(3).reply(200, () => {
        calls++;
        return listed('900071');
      });
      expect((await deliver({ id: '900071' }, { to: own })).status).toBe(401);
      expect(await call(`${t.url}/client/v4/accounts/acme/sources/${own.id}`, { method: 'DELETE', token: t.token })).toMatchObject({ status: 200 });
      expect((await deliver({ id: '900071' }, { to: { ...own, secret: rotated.body.result.secret } })).status).toBe(404);
      expect(calls).toBe(0);
    });

    it('a bare {id} hint is enough; the console\'s false_positive verdict means no risk', async () => {
      const listed = fixture('api-threats-list.json');
      Object.assign(listed.data[0], { id: '900040' });
      Object.assign(listed.data[0].threatInfo, { threatId: '900040', confidenceLevel: 'malicious', analystVerdict: 'false_positive' });
      listed.data[0].agentDetectionInfo.agentLastLoggedInUserMail = 'hint@example.com';
      const scope = api('900040').reply(200, listed);
      expect((await deliver({ id: '900040' }, { to: verified })).status).toBe(204);
      expect(scope.isDone()).toBe(true);
      expect((await outcomeOf('900040', verified))?.outcome).toBe('ignored: analyst_verdict is false_positive');
      expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'hint@example.com' })).toBeNull();
    });

    it('an alert is re-fetched from cloud-detection/alerts', async () => {
      const alert = fixture('alert-star.json');
      alert.alertInfo.alertId = '900045';
      alert.sourceProcessInfo.user = 'CORP\\alertv';
      alert.alertInfo.loginsUserName = 'alertv';
      const scope = nock(S1).get('/web/api/v2.1/cloud-detection/alerts').query({ ids: '900045' }).matchHeader('authorization', 'ApiToken svc-user-token')
        .reply(200, { data: [alert], pagination: { nextCursor: null, totalItems: 1 } });
      expect((await deliver({ alertInfo: { alertId: '900045' } }, { to: verified })).status).toBe(204);
      expect(scope.isDone()).toBe(true);
      expect(await scored('windows_account', 'corp\\alertv')).toMatchObject({ level: 'medium' });
    });

    it.each([
      ['an empty list', (s: nock.Interceptor) => s.reply(200, { data: [], pagination: { nextCursor: null, totalItems: 0 } }), /^ignored: not verified: threat 9000\d\d not found/],
      ['a 404', (s: nock.Interceptor) => s.reply(404, { errors: [{ code: 4040010 }] }), /^ignored: not verified: SentinelOne API answered 404$/],
      ['an invalid threat', (s: nock.Interceptor) => s.reply(200, (uri) => ({ data: [{ id: new URL(uri, S1).searchParams.get('ids'), threatInfo: {} }] })), /^ignored: not verified: the API's threat is invalid: threatInfo\.confidenceLevel is required$/],
    ])('when the console answers with %s the threat is recorded as not verified and not scored', async (_name, answer, outcome) => {
      const id = String(900050 + next++);
      const scope = answer(api(id));
      const pushed = threatWithId('threat-malicious.json', id, (x) => (x.agentDetectionInfo.agentLastLoggedInUserMail = `unverified${id}@example.com`));
      expect((await deliver(pushed, { to: verified })).status).toBe(204);
      expect(scope.isDone()).toBe(true);
      expect((await outcomeOf(id, verified))?.outcome).toMatch(outcome);
      await sleep(100);
      expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: `unverified${id}@example.com` })).toBeNull();
    });

    it.each([
      ['an error status', (s: nock.Interceptor) => s.reply(500, { errors: [{ code: 5000010 }] }), /SentinelOne API answered 500/],
      ['a refused token', (s: nock.Interceptor) => s.reply(401, { errors: [{ code: 4010010, title: 'Authentication Failed' }] }), /SentinelOne API answered 401/],
      ['rate limiting', (s: nock.Interceptor) => s.reply(429, {}), /SentinelOne API answered 429/],
      ['a connection failure', (s: nock.Interceptor) => s.replyWithError('socket hang up'), /SentinelOne API unreachable/],
      ['a body that is not JSON', (s: nock.Interceptor) => s.reply(200, '<html>', { 'content-type': 'text/html' }), /not JSON/],
    ])('when the console cannot answer (%s) the push gets 503 and nothing is recorded, so the retry scores it', async (_name, answer, reason) => {
      const id = String(900070 + next++);
      const email = `retried${id}@example.com`;
      const pushed = threatWithId('threat-malicious.json', id, (x) => (x.agentDetectionInfo.agentLastLoggedInUserMail = email));
      const failing = answer(api(id));
      const refused = await deliver(pushed, { to: verified });
      expect(failing.isDone()).toBe(true);
      expect(refused.status).toBe(503);
      expect(refused.body.error_description).toMatch(reason);
      expect((await events(verified)).find((e) => e.event_id === id)).toBeUndefined();
      // Listed for investigation as deferred, under an id of its own (never the vendor's).
      const listed = (await call(`${t.url}/client/v4/accounts/acme/sources/${verified.id}/events`, { token: t.token })).body.result as Array<{ kind: string; outcome: string }>;
      expect(listed[0]).toMatchObject({ kind: 'deferred', outcome: expect.stringMatching(reason) });
      // SentinelOne delivers it again once the console answers: scored, nothing lost.
      const listedThreat = fixture('api-threats-list.json');
      Object.assign(listedThreat.data[0], { id });
      Object.assign(listedThreat.data[0].threatInfo, { threatId: id, confidenceLevel: 'malicious' });
      listedThreat.data[0].agentDetectionInfo.agentLastLoggedInUserMail = email;
      const answering = api(id).reply(200, listedThreat);
      expect((await deliver(pushed, { to: verified })).status).toBe(204);
      expect(answering.isDone()).toBe(true);
      expect((await outcomeOf(id, verified))?.outcome).toMatch(/^scored: sentinel_one for user /);
    });

    it('a push without an id is 400 before any API call', async () => {
      const r = await deliver({ threatInfo: { confidenceLevel: 'malicious' } }, { to: verified });
      expect(r.status).toBe(400);
      expect(r.body.error_description).toBe('id is required');
    });
  });
});
