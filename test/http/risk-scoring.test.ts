import { createLogger } from '../../src/observability/logger.js';
import { runDecayPass } from '../../src/risk/decay-worker.js';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { testStores } from '../helpers/stores.js';

describe.each(testStores())('risk scoring API ($name)', (store) => {
  let t: TestApp;
  let base: string;
  let clock = new Date('2026-11-22T12:00:00.000Z');
  beforeAll(async () => {
    t = await startTestApp(store.env(), { now: () => clock });
    base = `${t.url}/client/v4/accounts/acme/zt_risk_scoring`;
    await call(`${base}/behaviors`, {
      method: 'PUT', token: t.token,
      json: { behaviors: { imp_travel: { enabled: true, risk_level: 'high' }, high_dlp: { enabled: true, risk_level: 'medium' }, sentinel_one_suspicious: { enabled: true, risk_level: 'low' } } },
    });
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  const signals = (list: unknown[], token = t.token) => call(`${base}/signals`, { method: 'POST', token, json: { signals: list } });
  const detail = (userId: string, q = '') => call(`${base}/${userId}${q}`, { token: t.token });

  describe('behaviors', () => {
    it('PUT names an unknown id and a bad level, changes nothing, and audits real changes', async () => {
      const unknown = await call(`${base}/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { imp_travel: { enabled: false, risk_level: 'low' }, bogus: { enabled: true, risk_level: 'low' } } } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors[0]).toMatchObject({ message: expect.stringContaining('bogus'), source: { pointer: '/body/behaviors/bogus' } });
      expect((await t.app.storage.behaviors.get('acme', 'imp_travel'))?.enabled).toBe(true);

      const level = await call(`${base}/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { imp_travel: { enabled: true, risk_level: 'critical' } } } });
      expect(level.status).toBe(400);
      expect(level.body.errors[0].source.pointer).toBe('/body/behaviors/imp_travel/risk_level');

      await call(`${base}/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { okta_threat_detected: { enabled: true, risk_level: 'High' } } } });
      const audit = (await t.app.storage.auditLog.list('acme')).find((e) => e.action === 'behavior.updated' && e.target === 'okta_threat_detected');
      expect(audit?.details).toEqual({ from: { enabled: false, risk_level: 'medium' }, to: { enabled: true, risk_level: 'high' } });
    });

    it('custom behaviors: created, scored, deleted; catalog behaviors cannot be redefined or deleted', async () => {
      const created = await call(`${base}/behaviors/vip_travel`, { method: 'POST', token: t.token, json: { name: 'VIP travel', risk_level: 'medium' } });
      expect(created.status).toBe(200);
      expect(created.body.result).toMatchObject({ id: 'vip_travel', enabled: true, risk_level: 'medium', custom: true });
      const r = await signals([{ behavior: 'vip_travel', user: { email: 'vip@example.com' } }]);
      expect(r.body.result.accepted).toBe(1);
      expect((await call(`${base}/behaviors/imp_travel`, { method: 'POST', token: t.token, json: { name: 'x', risk_level: 'low' } })).status).toBe(409);
      expect((await call(`${base}/behaviors/imp_travel`, { method: 'DELETE', token: t.token })).status).toBe(409);
      expect((await call(`${base}/behaviors/vip_travel`, { method: 'DELETE', token: t.token })).status).toBe(200);
      expect((await call(`${base}/behaviors/vip_travel`, { method: 'DELETE', token: t.token })).status).toBe(404);
      // Its recorded events stay in the user's history.
      const vip = (await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'vip@example.com' }))!;
      expect((await detail(vip)).body.result.events[0].name).toBe('VIP travel');
    });
  });

  describe('signals', () => {
    it('scores the highest level, ignores disabled and unknown behaviors with a reason, and never scores a repeat twice', async () => {
      const r = await signals([
        { id: 'a-1', behavior: 'sentinel_one_suspicious', user: { email: 'amy@example.com', name: 'Amy' } },
        { id: 'a-2', behavior: 'high_dlp', user: { email: 'amy@example.com' } },
        { id: 'a-2', behavior: 'high_dlp', user: { email: 'amy@example.com' } },
        { id: 'a-3', behavior: 'sentinel_one', user: { email: 'amy@example.com' } },
        { id: 'a-4', behavior: 'made_up', user: { email: 'amy@example.com' } },
      ]);
      expect(r.status).toBe(200);
      expect(r.body.result).toMatchObject({ accepted: 2, duplicates: 1, ignored: 2 });
      expect(r.body.result.items.map((i: { status: string }) => i.status)).toEqual(['accepted', 'accepted', 'duplicate', 'ignored', 'ignored']);
      expect(r.body.result.items[3].reason).toMatch(/disabled/);
      expect(r.body.result.items[4].reason).toMatch(/unknown behavior/);
      const again = await signals([{ id: 'a-2', behavior: 'imp_travel', user: { email: 'amy@example.com' } }]);
      expect(again.body.result).toMatchObject({ accepted: 0, duplicates: 1 });
      const amy = r.body.result.items[0].user_id;
      expect((await detail(amy)).body.result).toMatchObject({ risk_level: 'medium', name: 'Amy' });
    });

    it('a repeated id is a duplicate before anything else: after its behavior was disabled, or with other user data (no user created)', async () => {
      const first = await signals([{ id: 'dup-1', behavior: 'high_dlp', user: { email: 'dora@example.com' } }]);
      const dora = first.body.result.items[0].user_id;
      await call(`${base}/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { high_dlp: { enabled: false, risk_level: 'medium' } } } });
      try {
        const repeated = await signals([
          { id: 'dup-1', behavior: 'high_dlp', user: { email: 'dora@example.com' } },
          { id: 'dup-1', behavior: 'imp_travel', user: { email: 'someone-else@example.com', name: 'Else' } },
        ]);
        expect(repeated.body.result).toMatchObject({ accepted: 0, duplicates: 2, ignored: 0 });
        expect(repeated.body.result.items).toEqual([{ id: 'dup-1', status: 'duplicate', user_id: dora }, { id: 'dup-1', status: 'duplicate', user_id: dora }]);
        expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'someone-else@example.com' })).toBeNull();
      } finally {
        await call(`${base}/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { high_dlp: { enabled: true, risk_level: 'medium' } } } });
      }
    });

    it('resolves users by UUID, email (any case) and identifiers, and creates unknown ones with all identifiers', async () => {
      const first = await signals([{ behavior: 'high_dlp', user: { email: 'Bob@Example.com', identifiers: [{ type: 'okta_user_id', value: '00ubob' }, { type: 'iss_sub', iss: 'https://idp.example.com', sub: 'bob-1' }] } }]);
      const bob = first.body.result.items[0].user_id;
      const viaOkta = await signals([{ behavior: 'high_dlp', user: { identifiers: [{ type: 'okta_user_id', value: '00ubob' }] } }]);
      const viaIssSub = await signals([{ behavior: 'high_dlp', user: { identifiers: [{ type: 'iss_sub', iss: 'https://idp.example.com', sub: 'bob-1' }, { type: 'windows_account', value: 'CORP\\bob' }] } }]);
      const viaId = await signals([{ behavior: 'high_dlp', user: { id: bob } }]);
      const viaWindows = await signals([{ behavior: 'high_dlp', user: { identifiers: [{ type: 'windows_account', value: 'corp\\BOB' }] } }]);
      for (const r of [viaOkta, viaIssSub, viaId, viaWindows]) expect(r.body.result.items[0].user_id).toBe(bob);
      const unknownId = await signals([{ behavior: 'high_dlp', user: { id: '11111111-1111-4111-8111-111111111111' } }]);
      expect(unknownId.body.result.items[0]).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/unknown user id/) });
    });

    it('disabling a behavior later does not lower a score; changing a level affects later events only', async () => {
      const r = await signals([{ behavior: 'imp_travel', user: { email: 'carol@example.com' } }]);
      const carol = r.body.result.items[0].user_id;
      await call(`${base}/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { imp_travel: { enabled: false, risk_level: 'low' } } } });
      expect((await detail(carol)).body.result.risk_level).toBe('high');
      expect((await detail(carol)).body.result.events[0].risk_level).toBe('high');
      await call(`${base}/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { imp_travel: { enabled: true, risk_level: 'low' } } } });
      const dave = (await signals([{ behavior: 'imp_travel', user: { email: 'dave@example.com' } }])).body.result.items[0].user_id;
      expect((await detail(dave)).body.result.risk_level).toBe('low');
      await call(`${base}/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { imp_travel: { enabled: true, risk_level: 'high' } } } });
    });

    it.each([
      [{ signals: [] }, '/body/signals'],
      [{ signals: Array.from({ length: 1001 }, () => ({ behavior: 'imp_travel', user: { email: 'x@example.com' } })) }, '/body/signals'],
      [{ signals: [{ behavior: 'imp_travel', user: {} }] }, '/body/signals/0/user'],
      [{ signals: [{ behavior: 'imp_travel', user: { email: 'not-an-email' } }] }, '/body/signals/0/user/email'],
      [{ signals: [{ behavior: 'imp_travel', user: { id: 'nope' } }] }, '/body/signals/0/user/id'],
      [{ signals: [{ behavior: 'imp_travel', user: { email: 'x@example.com' }, occurred_at: 'yesterday' }] }, '/body/signals/0/occurred_at'],
      [{ signals: [{ behavior: 'Bad Id', user: { email: 'x@example.com' } }] }, '/body/signals/0/behavior'],
      [{ signals: [{ behavior: 'imp_travel', user: { email: 'x@example.com' }, id: 'x'.repeat(129) }] }, '/body/signals/0/id'],
      [{ signals: [{ behavior: 'imp_travel', user: { identifiers: [{ type: 'fax', value: '1' }] } }] }, '/body/signals/0/user/identifiers/0'],
      [{ signals: 'all of them' }, '/body/signals'],
    ])('rejects %#: 400 naming %s, and stores nothing', async (json, pointer) => {
      const before = await t.app.storage.risk.pendingChanges(100000);
      const r = await call(`${base}/signals`, { method: 'POST', token: t.token, json });
      expect(r.status).toBe(400);
      expect(r.body.errors.map((e: { source?: { pointer: string } }) => e.source?.pointer)).toContain(pointer);
      expect((await t.app.storage.risk.pendingChanges(100000)).length).toBe(before.length);
    });
  });

  describe('reading and resetting', () => {
    it('user detail pages events and orders them by time or level; result_info counts all', async () => {
      const r = await signals([
        { behavior: 'sentinel_one_suspicious', user: { email: 'erin@example.com' }, occurred_at: '2026-11-01T01:00:00Z' },
        { behavior: 'imp_travel', user: { email: 'erin@example.com' }, occurred_at: '2026-11-01T02:00:00Z' },
        { behavior: 'high_dlp', user: { email: 'erin@example.com' }, occurred_at: '2026-11-01T03:00:00+01:00' },
      ]);
      const erin = r.body.result.items[0].user_id;
      const page1 = await detail(erin, '?per_page=2&page=1&order_by=timestamp&direction=asc');
      expect(page1.body.result.events.map((e: { timestamp: string }) => e.timestamp)).toEqual(['2026-11-01T01:00:00.000Z', '2026-11-01T02:00:00.000Z']);
      expect(page1.body.result_info).toEqual({ page: 1, per_page: 2, count: 2, total_count: 3 });
      const byLevel = await detail(erin, '?order_by=risk_level');
      expect(byLevel.body.result.events.map((e: { risk_level: string }) => e.risk_level)).toEqual(['high', 'medium', 'low']);
    });

    it('event_details keep the sender\'s details but never let them overwrite what riskwire recorded', async () => {
      const r = await signals([{ id: 'spoofing-1', behavior: 'imp_travel', user: { email: 'mallory@example.com' }, details: { behavior_id: 'spoof', source: 'spoof', signal_id: 'spoof', received_at: 'spoof', note: 'kept' } }]);
      const events = (await detail(r.body.result.items[0].user_id)).body.result.events;
      expect(events[0].event_details).toMatchObject({ behavior_id: 'imp_travel', signal_id: 'spoofing-1', note: 'kept' });
      expect(events[0].event_details.source).not.toBe('spoof');
      expect(events[0].event_details.received_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    it('summary pages scored users by every order and direction; result_info counts them all', async () => {
      // Three users of their own account, so earlier tests' users do not count.
      await t.app.accounts.ensure({ id: 'sums' }, 'test');
      const { token } = await t.app.tokens.create({ accountId: 'sums', name: 'sums', scopes: ['risk:write', 'risk:read', 'pii:read'] }, 'test');
      const sums = `${t.url}/client/v4/accounts/sums/zt_risk_scoring`;
      await call(`${sums}/behaviors`, { method: 'PUT', token, json: { behaviors: { imp_travel: { enabled: true, risk_level: 'high' }, high_dlp: { enabled: true, risk_level: 'medium' }, sentinel_one_suspicious: { enabled: true, risk_level: 'low' } } } });
      const send = (behavior: string, email: string, at: string) => call(`${sums}/signals`, { method: 'POST', token, json: { signals: [{ behavior, user: { email }, occurred_at: at }] } });
      // ann: high, 1 event, oldest; bob: medium, 3 events; cyd: low, 2 events, newest. dee: never scored.
      await send('imp_travel', 'ann@example.com', '2026-11-01T01:00:00Z');
      for (const h of ['02', '03', '04']) await send('high_dlp', 'bob@example.com', `2026-11-01T${h}:00:00Z`);
      for (const h of ['05', '06']) await send('sentinel_one_suspicious', 'cyd@example.com', `2026-11-01T${h}:00:00Z`);
      await call(`${sums}/signals`, { method: 'POST', token, json: { signals: [{ behavior: 'unknown_behavior', user: { email: 'dee@example.com' } }] } });
      const order = async (q: string) => {
        const r = await call(`${sums}/summary${q}`, { token });
        expect(r.status).toBe(200);
        return { emails: r.body.result.users.map((u: { email: string }) => u.email), info: r.body.result_info };
      };
      expect((await order('?order_by=max_risk_level&direction=desc')).emails).toEqual(['ann@example.com', 'bob@example.com', 'cyd@example.com']);
      expect((await order('?order_by=max_risk_level&direction=asc')).emails).toEqual(['cyd@example.com', 'bob@example.com', 'ann@example.com']);
      expect((await order('?order_by=event_count&direction=desc')).emails).toEqual(['bob@example.com', 'cyd@example.com', 'ann@example.com']);
      expect((await order('?order_by=event_count&direction=asc')).emails).toEqual(['ann@example.com', 'cyd@example.com', 'bob@example.com']);
      expect((await order('?order_by=timestamp&direction=desc')).emails).toEqual(['cyd@example.com', 'bob@example.com', 'ann@example.com']);
      expect((await order('?order_by=timestamp&direction=asc')).emails).toEqual(['ann@example.com', 'bob@example.com', 'cyd@example.com']);
      const page2 = await order('?order_by=timestamp&direction=asc&per_page=2&page=2');
      expect(page2).toEqual({ emails: ['cyd@example.com'], info: { page: 2, per_page: 2, count: 1, total_count: 3 } });
      const first = await call(`${sums}/summary?order_by=event_count&direction=desc&per_page=1`, { token });
      expect(first.body.result.users[0]).toMatchObject({ email: 'bob@example.com', max_risk_level: 'medium', event_count: 3, last_event: '2026-11-01T04:00:00.000Z' });
    });

    it.each([
      ['?per_page=0', '/query/per_page'],
      ['?per_page=5000', '/query/per_page'],
      ['?page=-1', '/query/page'],
      ['?order_by=name', '/query/order_by'],
      ['?direction=sideways', '/query/direction'],
    ])('summary %s → 400 naming %s', async (q, pointer) => {
      const r = await call(`${base}/summary${q}`, { token: t.token });
      expect(r.status).toBe(400);
      expect(r.body.errors[0].source.pointer).toBe(pointer);
    });

    it('unknown and malformed user ids: 404 and 400; reset of an unknown user is 404', async () => {
      expect((await detail('6a1f1f1f-1f1f-4f1f-8f1f-1f1f1f1f1f1f')).status).toBe(404);
      const bad = await detail('not-a-uuid');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].source.pointer).toBe('/params/user_id');
      expect((await call(`${base}/6a1f1f1f-1f1f-4f1f-8f1f-1f1f1f1f1f1f/reset`, { method: 'POST', token: t.token })).status).toBe(404);
    });

    it('each level change is a RiskChange in the feed, including the reset', async () => {
      const r = await signals([{ behavior: 'high_dlp', user: { email: 'fay@example.com' } }, { behavior: 'imp_travel', user: { email: 'fay@example.com' } }]);
      const fay = r.body.result.items[0].user_id;
      await call(`${base}/${fay}/reset`, { method: 'POST', token: t.token });
      const changes = await t.app.storage.risk.changesOf('acme', fay, 100);
      expect(changes.map((c) => [c.previous, c.current, c.cause])).toEqual([
        ['unscored', 'medium', 'signal'],
        ['medium', 'high', 'signal'],
        ['high', 'unscored', 'reset'],
      ]);
      expect(changes[2]!.reason).toMatch(/reset by token:/);
    });
  });

  describe('scopes', () => {
    it('behaviors GET needs risk:read, PUT risk:write; summary and detail need pii:read; signals risk:write', async () => {
      const { token: reader } = await t.app.tokens.create({ accountId: 'acme', name: 'reader', scopes: ['risk:read'] }, 'test');
      expect((await call(`${base}/behaviors`, { token: reader })).status).toBe(200);
      expect((await call(`${base}/behaviors`, { method: 'PUT', token: reader, json: { behaviors: {} } })).status).toBe(403);
      expect((await call(`${base}/summary`, { token: reader })).status).toBe(403);
      expect((await signals([{ behavior: 'imp_travel', user: { email: 'x@example.com' } }], reader)).status).toBe(403);
      const { token: pii } = await t.app.tokens.create({ accountId: 'acme', name: 'pii', scopes: ['pii:read'] }, 'test');
      expect((await call(`${base}/summary`, { token: pii })).status).toBe(200);
      // User detail needs pii:read; a reset risk:write.
      const someone = (await signals([{ behavior: 'imp_travel', user: { email: 'scoped@example.com' } }])).body.result.items[0].user_id;
      expect((await call(`${base}/${someone}`, { token: reader })).status).toBe(403);
      expect((await call(`${base}/${someone}`, { token: pii })).status).toBe(200);
      for (const token of [reader, pii]) expect((await call(`${base}/${someone}/reset`, { method: 'POST', token })).status).toBe(403);
      expect((await call(`${base}/${someone}/reset`, { method: 'POST', token: t.token })).status).toBe(200);
    });
  });

  describe('decay (our extension)', () => {
    it('is off by default; with a window, a pass lowers levels as events age out and records why', async () => {
      expect((await call(`${base}/settings`, { token: t.token })).body.result).toEqual({ decay_window_seconds: null });
      expect((await call(`${base}/settings`, { method: 'PUT', token: t.token, json: { decay_window_seconds: 10 } })).status).toBe(400);
      expect((await call(`${base}/settings`, { method: 'PUT', token: t.token, json: { decay_window_seconds: 3600 } })).body.result).toEqual({ decay_window_seconds: 3600 });
      const r = await signals([
        { behavior: 'imp_travel', user: { email: 'gus@example.com' }, occurred_at: '2026-11-22T11:30:00Z' },
        { behavior: 'sentinel_one_suspicious', user: { email: 'gus@example.com' }, occurred_at: '2026-11-22T11:50:00Z' },
      ]);
      const gus = r.body.result.items[0].user_id;
      const deps = { storage: t.app.storage, settings: t.app.risk.settings, now: () => clock, logger: createLogger({ level: 'error', format: 'json', silent: true }) };
      await runDecayPass(deps); // (users scored by earlier tests, with older events, may decay here)
      expect((await detail(gus)).body.result.risk_level).toBe('high');
      clock = new Date('2026-11-22T12:35:00.000Z'); // the high event aged out, the low one has not
      await runDecayPass(deps);
      expect((await detail(gus)).body.result.risk_level).toBe('low');
      clock = new Date('2026-11-22T12:55:00.000Z');
      await runDecayPass(deps);
      expect((await detail(gus)).body.result.risk_level).toBeNull();
      const causes = (await t.app.storage.risk.changesOf('acme', gus, 100)).map((c) => [c.current, c.cause]);
      expect(causes).toEqual([['high', 'signal'], ['low', 'decay'], ['unscored', 'decay']]);
      await call(`${base}/settings`, { method: 'PUT', token: t.token, json: { decay_window_seconds: null } });
    });

    it('switching a window on re-evaluates users scored before it', async () => {
      const r = await signals([{ behavior: 'imp_travel', user: { email: 'otto@example.com' }, occurred_at: '2026-11-22T11:00:00Z' }]);
      const otto = r.body.result.items[0].user_id;
      const deps = { storage: t.app.storage, settings: t.app.risk.settings, now: () => clock, logger: createLogger({ level: 'error', format: 'json', silent: true }) };
      clock = new Date('2026-11-23T12:00:00.000Z'); // a day later, decay still off: the level stays
      await runDecayPass(deps);
      expect((await detail(otto)).body.result.risk_level).toBe('high');
      expect((await call(`${base}/settings`, { method: 'PUT', token: t.token, json: { decay_window_seconds: 3600 } })).status).toBe(200);
      await runDecayPass(deps);
      expect((await detail(otto)).body.result.risk_level).toBeNull();
      await call(`${base}/settings`, { method: 'PUT', token: t.token, json: { decay_window_seconds: null } });
    });

    it('one pass works through every due user, a page at a time', async () => {
      const r = await signals(Array.from({ length: 7 }, (_, i) => ({ behavior: 'imp_travel', user: { email: `paged${i}@example.com` }, occurred_at: '2026-11-23T13:00:00Z' })));
      const ids = (r.body.result.items as Array<{ user_id: string }>).map((x) => x.user_id);
      const deps = { storage: t.app.storage, settings: t.app.risk.settings, now: () => clock, logger: createLogger({ level: 'error', format: 'json', silent: true }) };
      expect((await call(`${base}/settings`, { method: 'PUT', token: t.token, json: { decay_window_seconds: 3600 } })).status).toBe(200);
      clock = new Date('2026-11-23T15:00:00.000Z'); // every event aged out
      await runDecayPass(deps, 2); // pages of 2: four pages in one pass
      for (const id of ids) expect((await detail(id)).body.result.risk_level).toBeNull();
      await call(`${base}/settings`, { method: 'PUT', token: t.token, json: { decay_window_seconds: null } });
    });
  });
});
