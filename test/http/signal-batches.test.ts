import { randomBytes } from 'node:crypto';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { testStores } from '../helpers/stores.js';

/*
 * A batch of signals resolves its users in waves (src/risk/resolve-user.ts `resolutionWaves`):
 * new users of one wave are created together. The outcome must be exactly that of resolving the
 * signals one at a time: one user per person however often and however spelled they recur, and
 * an identifier first seen with one person stays theirs.
 */
describe.each(testStores())('signal batches with new users ($name)', (store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(store.env());
    const r = await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { imp_travel: { enabled: true, risk_level: 'high' } } } });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await store.cleanup();
  });

  test('people recurring within one batch are one user each, as one at a time', async () => {
    const run = randomBytes(4).toString('hex');
    const email = (p: number) => `person${p}-${run}@example.com`;
    const signals = [];
    for (let round = 0; round < 3; round++) {
      for (let p = 0; p < 20; p++) {
        // The same person by email, once upper-cased, and (from round 1) with a UPN learnt along the way.
        const user = round === 1 ? { email: email(p).toUpperCase(), identifiers: [{ type: 'upn', value: `upn${p}-${run}` }] } : { email: email(p) };
        signals.push({ id: `${run}-${round}-${p}`, behavior: 'imp_travel', user });
      }
    }
    // A UPN alone, after it was learnt: that person again.
    signals.push({ id: `${run}-upn`, behavior: 'imp_travel', user: { identifiers: [{ type: 'upn', value: `upn7-${run}` }] } });
    const r = await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/signals`, { method: 'POST', token: t.token, json: { signals } });
    expect(r.status).toBe(200);
    expect(r.body.result.accepted).toBe(61);
    const items = r.body.result.items as Array<{ id: string; user_id?: string; userId?: string }>;
    const userOf = (id: string) => {
      const item = items.find((i) => i.id === id)!;
      return item.user_id ?? item.userId;
    };
    const people = Array.from({ length: 20 }, (_, p) => userOf(`${run}-0-${p}`));
    expect(new Set(people).size).toBe(20);
    for (let p = 0; p < 20; p++) {
      expect(userOf(`${run}-1-${p}`)).toBe(people[p]);
      expect(userOf(`${run}-2-${p}`)).toBe(people[p]);
    }
    expect(userOf(`${run}-upn`)).toBe(people[7]);
    for (const id of [people[0]!, people[7]!]) {
      const u = await t.app.storage.users.get('acme', id);
      expect(u?.eventCount).toBe(id === people[7] ? 4 : 3);
    }
  });

  test('two signals reaching one known user by different identifiers: the first one’s name is kept, as one at a time', async () => {
    const run = randomBytes(4).toString('hex');
    const post = (signals: unknown[]) => call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/signals`, { method: 'POST', token: t.token, json: { signals } });
    // A user known by an email and a UPN, without a name.
    const first = await post([{ behavior: 'imp_travel', user: { email: `a-${run}@example.com`, identifiers: [{ type: 'upn', value: `x-${run}` }] } }]);
    const id = first.body.result.items[0].user_id ?? first.body.result.items[0].userId;
    // The first signal finds the user by its second identifier (one more lookup), the second by its first.
    const r = await post([
      { behavior: 'imp_travel', user: { email: `new-${run}@example.com`, identifiers: [{ type: 'upn', value: `x-${run}` }], name: 'One' } },
      { behavior: 'imp_travel', user: { email: `a-${run}@example.com`, name: 'Two' } },
    ]);
    expect(r.status).toBe(200);
    expect(r.body.result.items.map((i: { user_id?: string; userId?: string }) => i.user_id ?? i.userId)).toEqual([id, id]);
    expect((await t.app.storage.users.get('acme', id))?.name).toBe('One');
  });
});
