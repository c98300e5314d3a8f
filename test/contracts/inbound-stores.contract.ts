import type { Storage } from '../../src/storage/ports.js';
import { eachFreshStorage } from './fresh-storage.js';
import type { Subscription } from '../../src/storage/inbound-ports.js';
import { anAccount, at, rid } from '../helpers/factories.js';

/** SubscriptionStore and ReceivedSetStore contracts. */
export function describeInboundStoreContracts(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: receiver store contracts`, () => {
    let s: Storage;
    let a: string;
    eachFreshStorage(makeStorage, (storage, id) => {
      s = storage;
      a = id;
    });
    const sub = (over: Partial<Subscription> = {}): Subscription => ({
      accountId: a, id: rid('sub'), mode: 'static', issuer: 'https://tx.example.com', jwksUri: 'https://tx.example.com/jwks', audience: 'https://riskwire.test/aud',
      streamId: null, pushAuthorizationSealed: null, managed: null, pendingStates: [], status: 'active', lastError: null, verifiedAt: null, lastEventAt: null,
      createdAt: at('2026-01-01T00:00:00.000Z'), ...over,
    });

    it('subscriptions: insert, get, list, update, delete — scoped by account', async () => {
      const x = sub();
      const y = sub({
        mode: 'managed', streamId: 'st1', pushAuthorizationSealed: 'sealed', createdAt: at('2026-01-02T00:00:00.000Z'),
        managed: { configurationEndpoint: 'https://tx/streams', statusEndpoint: null, verificationEndpoint: 'https://tx/verify', addSubjectEndpoint: null, removeSubjectEndpoint: null, delivery: 'poll', pollEndpoint: 'https://tx/poll?x=1', authSealed: 'v1.a.b.c' },
      });
      await s.subscriptions.insert(x);
      await s.subscriptions.insert(y);
      await expect(s.subscriptions.get(a, y.id)).resolves.toEqual(y);
      await expect(s.subscriptions.get(anAccount().id, y.id)).resolves.toBeNull();
      expect((await s.subscriptions.list(a)).map((z) => z.id)).toEqual([x.id, y.id]);
      const updated = { ...x, pendingStates: ['s1', 's2'], status: 'error' as const, lastError: 'iss mismatch', verifiedAt: at('2026-01-03T00:00:00.000Z'), lastEventAt: at('2026-01-04T00:00:00.000Z') };
      await expect(s.subscriptions.update(updated)).resolves.toBe(true);
      await expect(s.subscriptions.get(a, x.id)).resolves.toEqual(updated);
      await expect(s.subscriptions.delete(a, x.id)).resolves.toBe(true);
      await expect(s.subscriptions.delete(a, x.id)).resolves.toBe(false);
      await expect(s.subscriptions.update(updated)).resolves.toBe(false);
    });

    it('subscriptions: a revision changes with what the push endpoint reads, not with what it writes, and is null once deleted', async () => {
      const x = sub();
      await expect(s.subscriptions.revision(a, x.id)).resolves.toBeNull();
      await s.subscriptions.insert(x);
      const first = await s.subscriptions.revision(a, x.id);
      expect(first).toEqual(expect.any(String));
      await expect(s.subscriptions.revision(anAccount().id, x.id)).resolves.toBeNull();
      await s.subscriptions.touchLastEvent(a, x.id, at('2026-01-05T00:00:00.000Z'));
      await s.subscriptions.setLastError(a, x.id, 'transient');
      await expect(s.subscriptions.revision(a, x.id)).resolves.toBe(first);
      const seen = new Set([first]);
      for (const change of [{ status: 'error' as const }, { issuer: 'https://other.example' }, { audience: 'other' }, { jwksUri: 'https://other.example/jwks' }, { pushAuthorizationSealed: 'v1.p' }, { streamId: 'st9' }]) {
        await s.subscriptions.update({ ...x, ...change });
        const r = await s.subscriptions.revision(a, x.id);
        expect(seen.has(r)).toBe(false);
        seen.add(r);
      }
      await s.subscriptions.delete(a, x.id);
      await expect(s.subscriptions.revision(a, x.id)).resolves.toBeNull();
    });

    it('subscriptions: a verification state is consumed once, last_event_at only moves forward, last_error is set — each touching nothing else', async () => {
      const x = sub({ pendingStates: ['s1', 's2'] });
      await s.subscriptions.insert(x);
      const t1 = at('2026-02-01T00:00:00.000Z');
      await expect(s.subscriptions.consumeState(a, x.id, 's1', t1)).resolves.toBe(true);
      await expect(s.subscriptions.consumeState(a, x.id, 's1', t1)).resolves.toBe(false);
      await expect(s.subscriptions.consumeState(a, x.id, 'never-sent', t1)).resolves.toBe(false);
      await expect(s.subscriptions.consumeState(anAccount().id, x.id, 's2', t1)).resolves.toBe(false);
      await expect(s.subscriptions.get(a, x.id)).resolves.toEqual({ ...x, pendingStates: ['s2'], verifiedAt: t1 });
      await s.subscriptions.touchLastEvent(a, x.id, at('2026-02-02T00:00:00.000Z'));
      await s.subscriptions.touchLastEvent(a, x.id, at('2026-02-01T12:00:00.000Z')); // older: ignored
      await s.subscriptions.touchLastEvent(anAccount().id, x.id, at('2026-02-03T00:00:00.000Z'));
      await expect(s.subscriptions.get(a, x.id)).resolves.toEqual({ ...x, pendingStates: ['s2'], verifiedAt: t1, lastEventAt: at('2026-02-02T00:00:00.000Z') });
      await s.subscriptions.setLastError(a, x.id, 'poll answered HTTP 503');
      await s.subscriptions.setLastError(anAccount().id, x.id, 'not this one');
      await expect(s.subscriptions.get(a, x.id)).resolves.toEqual({ ...x, pendingStates: ['s2'], verifiedAt: t1, lastEventAt: at('2026-02-02T00:00:00.000Z'), lastError: 'poll answered HTTP 503' });
      await s.subscriptions.setLastError(a, x.id, null);
      expect((await s.subscriptions.get(a, x.id))?.lastError).toBeNull();
      // (Run at the same moment, the two also keep each other's field on SQLite and MongoDB; not
      // asserted here because FerretDB, which CI runs this contract on, rewrites whole documents.)
    });

    it('received SETs stored with a subscription revision: stored while the subscription has it; stale, storing nothing, once it changed or is gone', async () => {
      const x = sub();
      await s.subscriptions.insert(x);
      const set = (jti: string) => ({
        accountId: a, subscriptionId: x.id, jti, issuer: x.issuer, eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
        subject: { format: 'email', email: 'jane@example.com' }, claims: { jti }, receivedAt: at('2026-01-01T00:00:00.000Z'), state: 'pending' as const, outcome: null,
      });
      const r1 = (await s.subscriptions.revision(a, x.id))!;
      await expect(s.receivedSets.insert(set('k1'), r1)).resolves.toBe(true);
      await expect(s.receivedSets.insert(set('k1'), r1)).resolves.toBe(false);
      // What the push path does not read leaves the revision, and so the kept subscription, valid.
      await s.subscriptions.touchLastEvent(a, x.id, at('2026-01-02T00:00:00.000Z'));
      await expect(s.receivedSets.insert(set('k2'), r1)).resolves.toBe(true);
      await s.subscriptions.update({ ...x, status: 'error' });
      await expect(s.receivedSets.insert(set('k3'), r1)).resolves.toBe('stale');
      await expect(s.receivedSets.has(a, x.id, 'k3')).resolves.toBe(false);
      const r2 = (await s.subscriptions.revision(a, x.id))!;
      await s.subscriptions.delete(a, x.id);
      await expect(s.receivedSets.insert(set('k3'), r2)).resolves.toBe('stale');
      await expect(s.receivedSets.has(a, x.id, 'k3')).resolves.toBe(false);
    });

    it('received SETs: idempotent by (subscription, jti), pending until processed, listed newest first', async () => {
      const r = (jti: string, n: number) => ({
        accountId: a, subscriptionId: 'sub1', jti, issuer: 'https://tx.example.com', eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
        subject: { format: 'email', email: 'jane@example.com' }, claims: { jti, n }, receivedAt: at(`2026-01-0${n}T00:00:00.000Z`), state: 'pending' as const, outcome: null,
      });
      await expect(s.receivedSets.insert(r('j1', 1))).resolves.toBe(true);
      await expect(s.receivedSets.insert({ ...r('j1', 2), claims: { changed: true } })).resolves.toBe(false);
      await expect(s.receivedSets.insert({ ...r('j1', 1), subscriptionId: 'sub2' })).resolves.toBe(true);
      await expect(s.receivedSets.has(a, 'sub1', 'j1')).resolves.toBe(true);
      await expect(s.receivedSets.has(a, 'sub1', 'j9')).resolves.toBe(false);
      await expect(s.receivedSets.has(a, 'sub3', 'j1')).resolves.toBe(false);
      await expect(s.receivedSets.has(anAccount().id, 'sub1', 'j1')).resolves.toBe(false);
      // Claims and subjects are kept as sent, field names a document store refuses included.
      const odd = { ...r('j3', 3), subscriptionId: 'sub-odd', subject: { format: 'complex', $gt: { 'a.b': 1 } }, claims: { jti: 'j3', events: { 'https://x.example/e': { $where: 'x' } } } };
      await s.receivedSets.insert(odd);
      expect(await s.receivedSets.list(a, 'sub-odd', 10)).toEqual([odd]);
      await s.receivedSets.markProcessed([{ accountId: a, subscriptionId: 'sub-odd', jti: 'j3', outcome: 'ignored: test' }]);
      await s.receivedSets.insert(r('j2', 2));
      const mine = (await s.receivedSets.pending(100)).filter((x) => x.accountId === a && x.subscriptionId === 'sub1');
      expect(mine.map((x) => x.jti)).toEqual(['j1', 'j2']);
      expect(mine[0]).toEqual(r('j1', 1));
      await s.receivedSets.markProcessed([{ accountId: a, subscriptionId: 'sub1', jti: 'j1', outcome: 'scored: session_revoked_upstream' }]);
      // A second scorer (a recovery sweep racing the queue) finds it duplicate: the first outcome stays.
      await s.receivedSets.markProcessed([{ accountId: a, subscriptionId: 'sub1', jti: 'j1', outcome: 'duplicate: session_revoked_upstream' }]);
      expect((await s.receivedSets.pending(100)).filter((x) => x.accountId === a && x.subscriptionId === 'sub1').map((x) => x.jti)).toEqual(['j2']);
      const listed = await s.receivedSets.list(a, 'sub1', 10);
      expect(listed.map((x) => [x.jti, x.state, x.outcome])).toEqual([['j2', 'pending', null], ['j1', 'processed', 'scored: session_revoked_upstream']]);
      // Several in one call, each once.
      await s.receivedSets.insert(r('j4', 4));
      await s.receivedSets.markProcessed([
        { accountId: a, subscriptionId: 'sub1', jti: 'j2', outcome: 'accepted: two' }, { accountId: a, subscriptionId: 'sub1', jti: 'j1', outcome: 'again' },
        { accountId: a, subscriptionId: 'sub1', jti: 'j4', outcome: 'accepted: four' },
      ]);
      expect((await s.receivedSets.list(a, 'sub1', 10)).map((x) => [x.jti, x.state, x.outcome])).toEqual([
        ['j4', 'processed', 'accepted: four'], ['j2', 'processed', 'accepted: two'], ['j1', 'processed', 'scored: session_revoked_upstream'],
      ]);
      await expect(s.receivedSets.list(anAccount().id, 'sub1', 10)).resolves.toEqual([]);
    });
  });
}
