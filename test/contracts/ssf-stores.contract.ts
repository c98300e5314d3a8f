import type { Storage } from '../../src/storage/ports.js';
import { eachFreshStorage } from './fresh-storage.js';
import { POLL, PUSH, type Stream } from '../../src/storage/ssf-ports.js';
import { anAccount, at, rid } from '../helpers/factories.js';

export function aStream(accountId: string, over: Partial<Stream> = {}): Stream {
  return {
    accountId, streamId: rid('st'), receiverId: 'client-1', aud: 'https://receiver.example.com',
    eventsRequested: ['https://schemas.openid.net/secevent/caep/event-type/risk-level-change'],
    eventsDelivered: ['https://schemas.openid.net/secevent/caep/event-type/risk-level-change'],
    description: 'test stream', delivery: { method: POLL, endpointUrl: 'https://tx.example.com/poll/x', authorizationHeaderSealed: null },
    status: 'enabled', statusReason: null, profile: 'standard', createdAt: at('2026-01-01T00:00:00.000Z'), updatedAt: at('2026-01-01T00:00:00.000Z'),
    lastVerificationAt: null, ...over,
  };
}

/** SigningKeyStore, ReceiverStore, StreamStore and OutboxStore contracts. */
export function describeSsfStoreContracts(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: SSF store contracts`, () => {
    let s: Storage;
    let a: string;
    eachFreshStorage(makeStorage, (storage, id) => {
      s = storage;
      a = id;
    });

    it('signing keys: insert, list oldest first, retire all but one, scoped by account', async () => {
      const key = (kid: string, createdAt: string) => ({
        accountId: a, kid, alg: 'RS256' as const, publicJwk: { kty: 'RSA', n: 'abc', e: 'AQAB', kid }, privateKeySealed: `sealed-${kid}`,
        createdAt: at(createdAt), activatesAt: at(createdAt), retiresAt: null,
      });
      await s.signingKeys.insert(key('k1', '2026-01-01T00:00:00.000Z'));
      await s.signingKeys.insert(key('k2', '2026-02-01T00:00:00.000Z'));
      await s.signingKeys.retireOthers(a, 'k2', at('2026-02-02T00:00:00.000Z'));
      await s.signingKeys.retireOthers(a, 'k2', at('2026-03-02T00:00:00.000Z')); // keeps the first retirement
      const keys = await s.signingKeys.list(a);
      expect(keys.map((k) => [k.kid, k.retiresAt])).toEqual([['k1', at('2026-02-02T00:00:00.000Z')], ['k2', null]]);
      expect(keys[0]).toMatchObject({ publicJwk: { kty: 'RSA', kid: 'k1' }, privateKeySealed: 'sealed-k1' });
      await expect(s.signingKeys.list(anAccount().id)).resolves.toEqual([]);
    });

    it('receivers: insert, get, list, delete, scoped by account', async () => {
      const r = { accountId: a, clientId: rid('c'), name: 'okta', audience: 'https://okta.example.com', scopes: ['ssf.read', 'ssf.manage'] as const, secretHash: 'f'.repeat(64), createdAt: at('2026-01-01T00:00:00.000Z') };
      await s.receivers.insert({ ...r, scopes: [...r.scopes] });
      await expect(s.receivers.get(a, r.clientId)).resolves.toEqual({ ...r, scopes: ['ssf.read', 'ssf.manage'] });
      await expect(s.receivers.get(anAccount().id, r.clientId)).resolves.toBeNull();
      expect((await s.receivers.list(a)).map((x) => x.clientId)).toEqual([r.clientId]);
      await expect(s.receivers.delete(a, r.clientId)).resolves.toBe(true);
      await expect(s.receivers.delete(a, r.clientId)).resolves.toBe(false);
    });

    it('streams: insert, read, update, list by receiver and deliverable, delete with subjects and outbox', async () => {
      const st = aStream(a, { aud: ['a1', 'a2'], delivery: { method: PUSH, endpointUrl: 'https://r.example.com/events', authorizationHeaderSealed: 'sealed' } });
      await s.streams.insert(st);
      await expect(s.streams.get(a, st.streamId)).resolves.toEqual(st);
      await expect(s.streams.get(anAccount().id, st.streamId)).resolves.toBeNull();
      const other = aStream(a, { receiverId: 'client-2', status: 'disabled', createdAt: at('2026-01-02T00:00:00.000Z') });
      await s.streams.insert(other);
      expect((await s.streams.listByReceiver(a, 'client-1')).map((x) => x.streamId)).toEqual([st.streamId]);
      expect((await s.streams.listDeliverable(a)).map((x) => x.streamId)).toEqual([st.streamId]);
      const updated = { ...st, status: 'paused' as const, statusReason: 'maintenance', description: null, updatedAt: at('2026-01-05T00:00:00.000Z'), lastVerificationAt: at('2026-01-05T00:00:00.000Z') };
      await expect(s.streams.update(updated)).resolves.toBe(true);
      await expect(s.streams.get(a, st.streamId)).resolves.toEqual(updated);
      await s.streams.addSubject(a, st.streamId, 'email:x', { format: 'email', email: 'x@example.com' });
      await s.streams.addSubject(a, st.streamId, 'email:x', { format: 'email', email: 'x@example.com' });
      await expect(s.streams.listSubjects(a, st.streamId)).resolves.toEqual([{ format: 'email', email: 'x@example.com' }]);
      await expect(s.streams.removeSubject(a, st.streamId, 'email:x')).resolves.toBe(true);
      await expect(s.streams.removeSubject(a, st.streamId, 'email:x')).resolves.toBe(false);
      await s.outbox.enqueue({ accountId: a, streamId: st.streamId, jti: rid('j'), set: 'x.y.z', subjectKey: 'k', eventType: 'e', sourceId: 'src', createdAt: at('2026-01-05T00:00:00.000Z') });
      await expect(s.streams.delete(a, st.streamId)).resolves.toBe(true);
      await expect(s.streams.get(a, st.streamId)).resolves.toBeNull();
      await expect(s.outbox.countPending(a, st.streamId)).resolves.toBe(0);
      await expect(s.streams.delete(a, st.streamId)).resolves.toBe(false);
      await expect(s.streams.update(updated)).resolves.toBe(false);
    });

    it('outbox: idempotent by source, pending in order, delivered and failed leave the queue, dropPending empties it', async () => {
      const st = aStream(a);
      const e = (sourceId: string, n: number) => ({ accountId: a, streamId: st.streamId, jti: rid('j'), set: `set-${n}`, subjectKey: 'user:1', eventType: 'risk', sourceId, createdAt: at(`2026-01-0${n}T00:00:00.000Z`) });
      const first = e('c1', 1);
      await expect(s.outbox.enqueue(first)).resolves.toBe(true);
      await expect(s.outbox.enqueue({ ...e('c1', 2) })).resolves.toBe(false);
      await s.outbox.enqueue(e('c2', 2));
      await s.outbox.enqueue(e('c3', 3));
      const pending = await s.outbox.pending(a, st.streamId, 10);
      expect(pending.map((p) => p.set)).toEqual(['set-1', 'set-2', 'set-3']);
      expect(pending[0]).toMatchObject({ jti: first.jti, state: 'pending', attempts: 0, subjectKey: 'user:1', sourceId: 'c1' });
      expect(pending[0]!.seq).toBeLessThan(pending[1]!.seq);
      expect((await s.outbox.pending(a, st.streamId, 2)).length).toBe(2);
      await expect(s.outbox.markDelivered(a, st.streamId, [pending[0]!.jti, 'nope'], at('2026-01-09T00:00:00.000Z'))).resolves.toBe(1);
      await expect(s.outbox.markDelivered(a, st.streamId, [pending[0]!.jti], at('2026-01-09T00:00:00.000Z'))).resolves.toBe(0);
      await expect(s.outbox.markFailed(a, st.streamId, [{ jti: pending[1]!.jti, error: 'invalid_key: bad' }], at('2026-01-09T00:00:00.000Z'))).resolves.toBe(1);
      expect((await s.outbox.pending(a, st.streamId, 10)).map((p) => p.set)).toEqual(['set-3']);
      await expect(s.outbox.markDelivered(anAccount().id, st.streamId, [pending[2]!.jti], at('2026-01-09T00:00:00.000Z'))).resolves.toBe(0);
      await expect(s.outbox.dropPending(a, st.streamId)).resolves.toBe(1);
      await expect(s.outbox.countPending(a, st.streamId)).resolves.toBe(0);
    });
  });
}

/** IntegrationStore contract. */
export function describeIntegrationStoreContract(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: IntegrationStore contract`, () => {
    let s: Storage;
    let a: string;
    eachFreshStorage(makeStorage, (storage, id) => {
      s = storage;
      a = id;
    });

    it('insert, get, by reference, list, update, delete — scoped by account', async () => {
      const i = { accountId: a, id: rid('i'), integrationType: 'Okta' as const, tenantUrl: 'https://acme.okta.com', referenceId: 'ref-1', active: true, streamId: 'st-1', createdAt: at('2026-01-01T00:00:00.000Z') };
      const j = { ...i, id: rid('i'), referenceId: null, createdAt: at('2026-01-02T00:00:00.000Z') };
      await s.integrations.insert(i);
      await s.integrations.insert(j);
      await expect(s.integrations.get(a, i.id)).resolves.toEqual(i);
      await expect(s.integrations.get(anAccount().id, i.id)).resolves.toBeNull();
      await expect(s.integrations.getByReference(a, 'ref-1')).resolves.toEqual(i);
      await expect(s.integrations.getByReference(a, 'nope')).resolves.toBeNull();
      await expect(s.integrations.getByReference(anAccount().id, 'ref-1')).resolves.toBeNull();
      expect((await s.integrations.list(a)).map((x) => x.id)).toEqual([i.id, j.id]);
      const updated = { ...i, tenantUrl: 'https://acme.oktapreview.com', referenceId: null, active: false };
      await expect(s.integrations.update(updated)).resolves.toBe(true);
      await expect(s.integrations.get(a, i.id)).resolves.toEqual(updated);
      await expect(s.integrations.delete(a, i.id)).resolves.toBe(true);
      await expect(s.integrations.delete(a, i.id)).resolves.toBe(false);
      await expect(s.integrations.update(updated)).resolves.toBe(false);
    });

    it('getById finds an integration in whichever account holds it; unknown, deleted or ambiguous ids are null', async () => {
      const i = { accountId: a, id: rid('i'), integrationType: 'Okta' as const, tenantUrl: 'https://acme.okta.com', referenceId: null, active: false, streamId: 'st-1', createdAt: at('2026-01-01T00:00:00.000Z') };
      const elsewhere = { ...i, accountId: anAccount().id, id: rid('i') };
      await s.integrations.insert(i);
      await s.integrations.insert(elsewhere);
      await expect(s.integrations.getById(i.id)).resolves.toEqual(i);
      await expect(s.integrations.getById(elsewhere.id)).resolves.toEqual(elsewhere);
      await expect(s.integrations.getById(rid('i'))).resolves.toBeNull();
      // One id in two accounts names neither: the public document must not pick an account.
      await s.integrations.insert({ ...i, accountId: anAccount().id });
      await expect(s.integrations.getById(i.id)).resolves.toBeNull();
      await s.integrations.delete(elsewhere.accountId, elsewhere.id);
      await expect(s.integrations.getById(elsewhere.id)).resolves.toBeNull();
    });
  });
}

/**
 * The push-delivery side of the OutboxStore. `makeInstances` opens two stores on one fresh
 * database, as two riskwire instances sharing it would.
 */
export function describeOutboxPushContract(name: string, makeStorage: () => Promise<Storage>, makeInstances: () => Promise<[Storage, Storage]>): void {
  describe(`${name}: OutboxStore push contract`, () => {
    let s: Storage;
    let a: string;
    const T0 = at('2026-01-01T00:00:00.000Z');
    const later = (ms: number) => new Date(T0.getTime() + ms);
    eachFreshStorage(makeStorage, (storage, id) => {
      s = storage;
      a = id;
    });
    const pushStream = async (over: Partial<Stream> = {}) => {
      const st = aStream(a, { delivery: { method: PUSH, endpointUrl: 'https://r.example.com/events', authorizationHeaderSealed: null }, ...over });
      await s.streams.insert(st);
      return st;
    };
    const put = (st: Stream, sourceId: string, subjectKey: string, createdAt = T0) =>
      s.outbox.enqueue({ accountId: a, streamId: st.streamId, jti: rid('j'), set: `set-${sourceId}`, subjectKey, eventType: 'e', sourceId, createdAt });

    it('claims the oldest due SET per subject, leases it, and keeps later SETs of that subject waiting', async () => {
      const st = await pushStream();
      await put(st, 'a1', 'user:a');
      await put(st, 'a2', 'user:a');
      await put(st, 'b1', 'user:b');
      const first = await s.outbox.claimDue(later(1), 'w1', later(60_000), 10);
      expect(first.map((e) => e.set)).toEqual(['set-a1', 'set-b1']);
      // Leased and in flight: nothing more for these subjects, for another worker either.
      expect(await s.outbox.claimDue(later(2), 'w2', later(60_000), 10)).toEqual([]);
      // a1 fails and is retried later: a2 still waits behind it (per-subject order).
      expect(await s.outbox.retryLater(first[0]!.jti, 'w1', later(10_000), 'HTTP 503')).toBe(true);
      expect(await s.outbox.finish(first[1]!.jti, 'w1', 'delivered', null, later(3))).toBe(true);
      expect(await s.outbox.claimDue(later(5_000), 'w1', later(60_000), 10)).toEqual([]);
      const retried = await s.outbox.claimDue(later(10_000), 'w1', later(70_000), 10);
      expect(retried.map((e) => [e.set, e.attempts, e.lastError])).toEqual([['set-a1', 1, 'HTTP 503']]);
      await s.outbox.finish(retried[0]!.jti, 'w1', 'delivered', null, later(10_001));
      expect((await s.outbox.claimDue(later(10_002), 'w1', later(70_000), 10)).map((e) => e.set)).toEqual(['set-a2']);
    });

    it('an expired lease can be claimed by another worker; the first worker can no longer finish it', async () => {
      const st = await pushStream();
      await put(st, 'x', 'user:x');
      const [e] = await s.outbox.claimDue(later(1), 'w1', later(1000), 10);
      const [again] = await s.outbox.claimDue(later(2000), 'w2', later(60_000), 10);
      expect(again?.jti).toBe(e!.jti);
      expect(await s.outbox.finish(e!.jti, 'w1', 'delivered', null, later(2001))).toBe(false);
      expect(await s.outbox.finish(e!.jti, 'w2', 'delivered', null, later(2002))).toBe(true);
    });

    it('SETs queued by two instances at once get distinct seqs, growing in the order each instance queued them', async () => {
      const [one, two] = await makeInstances();
      try {
        const acct = anAccount().id;
        const st = aStream(acct, { delivery: { method: PUSH, endpointUrl: 'https://r.example.com/events', authorizationHeaderSealed: null } });
        await one.streams.insert(st);
        // Per-subject order rests on this: a SET about a subject is queued after the previous one was.
        const queue = async (s: Storage, tag: string) => {
          const jtis: string[] = [];
          for (let i = 0; i < 15; i++) {
            const jti = rid('j');
            await s.outbox.enqueue({ accountId: acct, streamId: st.streamId, jti, set: `set-${tag}${i}`, subjectKey: `user:${tag}`, eventType: 'e', sourceId: `${tag}${i}`, createdAt: T0 });
            jtis.push(jti);
          }
          return jtis;
        };
        const lists = await Promise.all([queue(one, 'a'), queue(two, 'b')]);
        const seqOf = new Map((await one.outbox.pending(acct, st.streamId, 100)).map((e) => [e.jti, e.seq]));
        expect(new Set(seqOf.values()).size).toBe(30);
        for (const jtis of lists) {
          const seqs = jtis.map((j) => seqOf.get(j)!);
          expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        }
      } finally {
        await one.close();
        await two.close();
      }
    });

    it('workers of two instances claiming at once never lease one SET twice, nor take over one expired lease twice', async () => {
      const [one, two] = await makeInstances();
      try {
        const acct = anAccount().id;
        const st = aStream(acct, { delivery: { method: PUSH, endpointUrl: 'https://r.example.com/events', authorizationHeaderSealed: null } });
        await one.streams.insert(st);
        const all = new Set<string>();
        for (let i = 0; i < 30; i++) {
          const jti = rid('j');
          all.add(jti);
          await (i % 2 ? two : one).outbox.enqueue({ accountId: acct, streamId: st.streamId, jti, set: `set-${i}`, subjectKey: `user:${i}`, eventType: 'e', sourceId: `c${i}`, createdAt: T0 });
        }
        /** Four workers, two per instance, claim at the same moment; then one more picks up what the race left. */
        const round = async (at: number, until: number, tag: string) => {
          const owners = [`${tag}1`, `${tag}2`, `${tag}3`, `${tag}4`];
          const batches = await Promise.all(owners.map((o, k) => (k % 2 ? two : one).outbox.claimDue(later(at), o, later(until), 10)));
          const rest = await one.outbox.claimDue(later(at + 1), `${tag}5`, later(until), 100);
          return [...batches.flatMap((b, k) => b.map((e) => ({ jti: e.jti, owner: owners[k]! }))), ...rest.map((e) => ({ jti: e.jti, owner: `${tag}5` }))];
        };
        const first = await round(1, 1000, 'w');
        expect(first).toHaveLength(all.size);
        expect(new Set(first.map((c) => c.jti))).toEqual(all);
        // Every lease has expired: the instances take them over, again each SET once.
        const taken = await round(2000, 60_000, 't');
        expect(taken).toHaveLength(all.size);
        expect(new Set(taken.map((c) => c.jti))).toEqual(all);
        // Only the new holder can finish a SET; its first holder cannot any more.
        const c = taken[0]!;
        const before = first.find((f) => f.jti === c.jti)!;
        await expect(two.outbox.finish(c.jti, before.owner, 'delivered', null, later(2002))).resolves.toBe(false);
        await expect(one.outbox.finish(c.jti, c.owner, 'delivered', null, later(2003))).resolves.toBe(true);
        await expect(two.outbox.claimDue(later(70_000), 'late', later(80_000), 100)).resolves.toHaveLength(all.size - 1);
      } finally {
        await one.close();
        await two.close();
      }
    });

    it('claims nothing for paused, disabled or poll streams', async () => {
      for (const over of [{ status: 'paused' as const }, { status: 'disabled' as const }]) {
        const st = await pushStream(over);
        await put(st, `s-${over.status}`, 'user:1');
      }
      const poll = aStream(a);
      await s.streams.insert(poll);
      await put(poll, 'p', 'user:1');
      expect(await s.outbox.claimDue(later(1), 'w', later(60_000), 10)).toEqual([]);
    });

    it('dead and failed SETs are listed by state and can be redriven', async () => {
      const st = await pushStream();
      await put(st, 'd', 'user:d');
      await put(st, 'f', 'user:f');
      const claimed = await s.outbox.claimDue(later(1), 'w', later(60_000), 10);
      const dead = claimed.find((e) => e.set === 'set-d')!;
      const failed = claimed.find((e) => e.set === 'set-f')!;
      await s.outbox.finish(dead.jti, 'w', 'dead', 'gave up after 12 attempts', later(2));
      await s.outbox.finish(failed.jti, 'w', 'failed', 'invalid_key: unknown kid', later(2));
      expect((await s.outbox.listByState(a, st.streamId, 'dead', 10)).map((e) => [e.set, e.lastError])).toEqual([['set-d', 'gave up after 12 attempts']]);
      expect((await s.outbox.listByState(a, st.streamId, 'failed', 10)).map((e) => e.set)).toEqual(['set-f']);
      await expect(s.outbox.redrive(a, st.streamId, null, later(3))).resolves.toBe(1);
      await expect(s.outbox.redrive(a, st.streamId, [failed.jti], later(3))).resolves.toBe(1);
      const back = await s.outbox.claimDue(later(4), 'w', later(60_000), 10);
      expect(back.map((e) => [e.set, e.attempts]).sort()).toEqual([['set-d', 0], ['set-f', 0]]);
      await expect(s.outbox.redrive(anAccount().id, st.streamId, null, later(5))).resolves.toBe(0);
    });
  });
}
