import type { Storage } from '../../src/storage/ports.js';
import { eachFreshStorage } from './fresh-storage.js';
import { anAccount, at, rid } from '../helpers/factories.js';

/** SourceStore contract. */
export function describeSourceStoreContract(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: SourceStore contract`, () => {
    let s: Storage;
    let a: string;
    eachFreshStorage(makeStorage, (storage, id) => {
      s = storage;
      a = id;
    });

    it('sources: insert, get, list, update, delete with their events — scoped by account', async () => {
      const src = { accountId: a, id: rid('src'), type: 'crowdstrike' as const, name: 'falcon', settings: { replay_window_seconds: 300 }, secretSealed: 'v1.x', createdAt: at('2026-01-01T00:00:00.000Z'), updatedAt: at('2026-01-01T00:00:00.000Z') };
      await s.sources.insert(src);
      await expect(s.sources.get(a, src.id)).resolves.toEqual(src);
      await expect(s.sources.get(anAccount().id, src.id)).resolves.toBeNull();
      expect((await s.sources.list(a)).map((x) => x.id)).toEqual([src.id]);
      const upd = { ...src, name: 'falcon eu', settings: { replay_window_seconds: 60 }, secretSealed: 'v1.y', updatedAt: at('2026-01-02T00:00:00.000Z') };
      await expect(s.sources.update(upd)).resolves.toBe(true);
      await expect(s.sources.get(a, src.id)).resolves.toEqual(upd);
      await s.sources.recordEvent({ accountId: a, sourceId: src.id, eventId: 'e1', kind: 'k', receivedAt: at('2026-01-03T00:00:00.000Z'), outcome: 'pending' });
      await expect(s.sources.delete(a, src.id)).resolves.toBe(true);
      await expect(s.sources.listEvents(a, src.id, 10)).resolves.toEqual([]);
      await expect(s.sources.delete(a, src.id)).resolves.toBe(false);
    });

    it('a delivery whose recording fails leaves its nonce unclaimed: the same signed request is recorded when retried', async () => {
      const e = (id: string, signal: Record<string, unknown> | null = null) => ({ accountId: a, sourceId: 'src1', eventId: id, kind: 'k', receivedAt: at('2026-01-01T00:00:00.000Z'), outcome: 'received', signal });
      const nonce = { value: 'sig-fail', at: at('2026-01-01T00:00:00.000Z') };
      // A signal that cannot be stored (JSON has no BigInt): the write throws after the nonce.
      await expect(s.sources.recordDelivery(a, 'src1', [e('f1'), e('f2', { n: BigInt(1) })], nonce)).rejects.toThrow();
      // Not a replay. (SQLite undid f1 with the rest; MongoDB, without transactions, kept it, and a
      // kept event still holding its signal is scored by recovery: either way nothing is lost.)
      const retried = await s.sources.recordDelivery(a, 'src1', [e('f1'), e('f2')], nonce);
      expect(retried).not.toBe('replayed');
      expect((retried as boolean[])[1]).toBe(true);
      expect((await s.sources.listEvents(a, 'src1', 10)).map((x) => x.eventId).sort()).toEqual(['f1', 'f2']);
    });

    it('a revision changes with the secret or the settings, is null once deleted, and stays otherwise', async () => {
      const src = { accountId: a, id: rid('src'), type: 'crowdstrike' as const, name: 'falcon', settings: { replay_window_seconds: 300 }, secretSealed: 'v1.x', createdAt: at('2026-01-01T00:00:00.000Z'), updatedAt: at('2026-01-01T00:00:00.000Z') };
      await expect(s.sources.revision(a, src.id)).resolves.toBeNull();
      await s.sources.insert(src);
      const first = await s.sources.revision(a, src.id);
      expect(first).toEqual(expect.any(String));
      await expect(s.sources.revision(anAccount().id, src.id)).resolves.toBeNull();
      await s.sources.recordEvent({ accountId: a, sourceId: src.id, eventId: 'e1', kind: 'k', receivedAt: at('2026-01-03T00:00:00.000Z'), outcome: 'pending' });
      await expect(s.sources.revision(a, src.id)).resolves.toBe(first);
      // Every update counts, within the same millisecond too.
      await s.sources.update({ ...src, secretSealed: 'v1.rotated' });
      const rotated = await s.sources.revision(a, src.id);
      expect(rotated).not.toBe(first);
      await s.sources.update({ ...src, secretSealed: 'v1.rotated', settings: { replay_window_seconds: 60 } });
      expect(await s.sources.revision(a, src.id)).not.toBe(rotated);
      await s.sources.delete(a, src.id);
      await expect(s.sources.revision(a, src.id)).resolves.toBeNull();
    });

    it('events: idempotent by (source, event id), newest first', async () => {
      const ev = (id: string, n: number) => ({ accountId: a, sourceId: 'src1', eventId: id, kind: 'EppDetectionSummaryEvent', receivedAt: at(`2026-01-0${n}T00:00:00.000Z`), outcome: 'received' });
      await expect(s.sources.recordEvent(ev('e1', 1))).resolves.toBe(true);
      await expect(s.sources.recordEvent({ ...ev('e1', 2), outcome: 'other' })).resolves.toBe(false);
      await s.sources.recordEvent(ev('e2', 2));
      const list = await s.sources.listEvents(a, 'src1', 10);
      expect(list.map((e) => [e.eventId, e.outcome])).toEqual([['e2', 'received'], ['e1', 'received']]);
      await expect(s.sources.listEvents(anAccount().id, 'src1', 10)).resolves.toEqual([]);
    });

    it('events keep their signal until the outcome is set, once; unscored lists them, oldest first, up to a time', async () => {
      const signal = { id: 'crowdstrike:d1', behavior: 'crowdstrike_detection_high', user: { email: 'x@example.com' }, occurredAt: '2026-01-01T00:00:00.000Z', source: 'crowdstrike', details: { n: 1 } };
      const ev = (id: string, n: number, withSignal: boolean) => ({ accountId: a, sourceId: 'src1', eventId: id, kind: 'k', receivedAt: at(`2026-01-0${n}T00:00:00.000Z`), outcome: withSignal ? 'received' : 'ignored: x', signal: withSignal ? { ...signal, id: `crowdstrike:${id}` } : null });
      await s.sources.recordEvent(ev('late', 3, true));
      await s.sources.recordEvent(ev('early', 1, true));
      await s.sources.recordEvent(ev('ignored', 2, false));
      const mine = async (by: string) => (await s.sources.unscored(at(by), 100)).filter((e) => e.accountId === a);
      expect((await mine('2026-01-05T00:00:00.000Z')).map((e) => [e.eventId, e.signal])).toEqual([
        ['early', { ...signal, id: 'crowdstrike:early' }],
        ['late', { ...signal, id: 'crowdstrike:late' }],
      ]);
      expect((await mine('2026-01-02T00:00:00.000Z')).map((e) => e.eventId)).toEqual(['early']);
      await s.sources.setOutcomes(a, 'src1', [{ eventId: 'early', outcome: 'scored: crowdstrike_detection_high' }]);
      // A second scorer (a recovery sweep racing the queue) finds it duplicate: the first outcome stays.
      await s.sources.setOutcomes(a, 'src1', [{ eventId: 'early', outcome: 'duplicate' }]);
      await s.sources.setOutcomes(a, 'src1', [{ eventId: 'ignored', outcome: 'scored: never' }]); // never held a signal: not scored, nothing set
      expect((await mine('2026-01-05T00:00:00.000Z')).map((e) => e.eventId)).toEqual(['late']);
      expect((await s.sources.listEvents(a, 'src1', 10)).find((e) => e.eventId === 'ignored')?.outcome).toBe('ignored: x');
      expect((await s.sources.listEvents(a, 'src1', 10)).find((e) => e.eventId === 'early')).toEqual({ accountId: a, sourceId: 'src1', eventId: 'early', kind: 'k', receivedAt: at('2026-01-01T00:00:00.000Z'), outcome: 'scored: crowdstrike_detection_high' });
      // Several in one call: each set once.
      await s.sources.setOutcomes(a, 'src1', [{ eventId: 'late', outcome: 'scored: late' }, { eventId: 'early', outcome: 'again' }]);
      expect(await mine('2026-01-05T00:00:00.000Z')).toEqual([]);
      const outcomes = Object.fromEntries((await s.sources.listEvents(a, 'src1', 10)).map((e) => [e.eventId, e.outcome]));
      expect(outcomes).toMatchObject({ late: 'scored: late', early: 'scored: crowdstrike_detection_high' });
    });

    it('offsets: per partition, monotonic, scoped by account and source', async () => {
      await expect(s.sources.getOffsets(a, 'src1')).resolves.toEqual({});
      await s.sources.saveOffset(a, 'src1', '0', 100);
      await s.sources.saveOffset(a, 'src1', '0', 90);
      await s.sources.saveOffset(a, 'src1', '1', 7);
      await expect(s.sources.getOffsets(a, 'src1')).resolves.toEqual({ 0: 100, 1: 7 });
      await expect(s.sources.getOffsets(a, 'src2')).resolves.toEqual({});
      await expect(s.sources.getOffsets(anAccount().id, 'src1')).resolves.toEqual({});
      // Deleting a source deletes its offsets: nothing orphaned is left in the store.
      const src = { accountId: a, id: rid('src'), type: 'crowdstrike' as const, name: 'falcon', settings: {}, secretSealed: 'v1.x', createdAt: at('2026-01-01T00:00:00.000Z'), updatedAt: at('2026-01-01T00:00:00.000Z') };
      await s.sources.insert(src);
      await s.sources.saveOffset(a, src.id, '0', 5);
      await s.sources.delete(a, src.id);
      await expect(s.sources.getOffsets(a, src.id)).resolves.toEqual({});
    });

    it('a delivery with a nonce: recorded with its claim; a replay of the nonce records nothing; nonces pruned by time', async () => {
      const e = (id: string) => ({ accountId: a, sourceId: 'src1', eventId: id, kind: 'k', receivedAt: at('2026-01-01T00:00:00.000Z'), outcome: 'received' });
      const nonce = (t: string) => ({ value: 'sig-1', at: at(t) });
      await expect(s.sources.recordDelivery(a, 'src1', [e('d1'), e('d2')], nonce('2026-01-01T00:00:00.000Z'))).resolves.toEqual([true, true]);
      // The same signature again: refused whole, even for an event not recorded yet.
      await expect(s.sources.recordDelivery(a, 'src1', [e('d3')], nonce('2026-01-01T00:01:00.000Z'))).resolves.toBe('replayed');
      expect((await s.sources.listEvents(a, 'src1', 10)).map((x) => x.eventId)).toEqual(['d2', 'd1']);
      // Nonces are per source; events are idempotent without one.
      await expect(s.sources.recordDelivery(a, 'src2', [], nonce('2026-01-01T00:01:00.000Z'))).resolves.toEqual([]);
      await expect(s.sources.recordDelivery(a, 'src1', [e('d1'), e('d3')])).resolves.toEqual([false, true]);
      expect(await s.sources.pruneNonces(at('2026-01-01T00:00:30.000Z'))).toBeGreaterThanOrEqual(1);
      await expect(s.sources.recordDelivery(a, 'src1', [], nonce('2026-01-01T00:02:00.000Z'))).resolves.toEqual([]);
    });

    it('a delivery made with a revision is written only while the source still has it: stale after an update or a deletion, and then nothing is recorded or claimed', async () => {
      const t0 = at('2026-01-01T00:00:00.000Z');
      const src = { accountId: a, id: rid('src'), type: 'crowdstrike' as const, name: 'falcon', settings: {}, secretSealed: 'v1.x', createdAt: t0, updatedAt: t0 };
      await s.sources.insert(src);
      const e = (id: string) => ({ accountId: a, sourceId: src.id, eventId: id, kind: 'k', receivedAt: t0, outcome: 'received' });
      const r1 = (await s.sources.revision(a, src.id))!;
      await expect(s.sources.recordDelivery(a, src.id, [e('r1')], { value: 'n1', at: t0 }, r1)).resolves.toEqual([true]);
      await s.sources.update({ ...src, secretSealed: 'v1.rotated', updatedAt: at('2026-01-01T00:00:01.000Z') });
      await expect(s.sources.recordDelivery(a, src.id, [e('r2')], { value: 'n2', at: t0 }, r1)).resolves.toBe('stale');
      // Nothing of the stale delivery stays: its event is not recorded and its nonce is still free.
      expect((await s.sources.listEvents(a, src.id, 10)).map((x) => x.eventId)).toEqual(['r1']);
      const r2 = (await s.sources.revision(a, src.id))!;
      await expect(s.sources.recordDelivery(a, src.id, [e('r2')], { value: 'n2', at: t0 }, r2)).resolves.toEqual([true]);
      await s.sources.delete(a, src.id);
      await expect(s.sources.recordDelivery(a, src.id, [e('r3')], undefined, r2)).resolves.toBe('stale');
      await expect(s.sources.listEvents(a, src.id, 10)).resolves.toEqual([]);
    });
  });
}
