import { applyEvent, applyReset, type UserRiskState } from '../../src/domain/risk.js';
import { levelRank, type RiskLevel } from '../../src/domain/risk-level.js';
import type { Storage } from '../../src/storage/ports.js';
import type { EventTransition } from '../../src/storage/risk-ports.js';
import { aUser, anAccount, anEvent, at } from '../helpers/factories.js';

const NOW = at('2026-04-01T00:00:00.000Z');
const score: EventTransition = (s, e) => applyEvent(s, e, null, NOW);

/** RiskStore contract: runs unchanged against every adapter. */
export function describeRiskStoreContract(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: RiskStore contract`, () => {
    let s: Storage;
    let a: string;
    let userId: string;
    beforeEach(async () => {
      s = await makeStorage();
      a = anAccount().id;
      const u = aUser(a);
      await s.users.create(u);
      userId = u.id;
    });
    afterEach(async () => {
      await s.close();
    });
    const mine = async () => (await s.risk.pendingChanges(1000)).filter((c) => c.accountId === a);

    it('records an event, raises the level, and writes the change to the feed in the same step', async () => {
      const e = anEvent(a, userId, { riskLevel: 'medium' });
      const r = await s.risk.recordEvent(e, score);
      expect(r.status).toBe('recorded');
      expect(r.change).toMatchObject({ accountId: a, userId, previous: 'unscored', current: 'medium', cause: 'signal', behaviorId: 'imp_travel', at: NOW });
      expect(await s.users.get(a, userId)).toMatchObject({ level: 'medium', eventCount: 1, lastEventAt: e.occurredAt });
      const feed = await mine();
      expect(feed).toHaveLength(1);
      expect(feed[0]).toMatchObject({ id: r.change!.id, previous: 'unscored', current: 'medium' });
      expect(typeof feed[0]!.seq).toBe('number');
    });

    it('a repeated signal id is a duplicate: not stored twice, not scored twice', async () => {
      const e = anEvent(a, userId, { riskLevel: 'low' });
      await s.risk.recordEvent(e, score);
      const again = await s.risk.recordEvent({ ...anEvent(a, userId, { riskLevel: 'high' }), signalId: e.signalId }, score);
      expect(again).toEqual({ status: 'duplicate', change: null });
      expect(await s.users.get(a, userId)).toMatchObject({ level: 'low', eventCount: 1 });
      expect((await s.risk.listEvents(a, userId, { page: 1, perPage: 10, orderBy: 'timestamp', direction: 'desc' })).total).toBe(1);
    });

    it('the same signal id in another account is a different signal', async () => {
      const e = anEvent(a, userId);
      await s.risk.recordEvent(e, score);
      const b = anAccount().id;
      const other = aUser(b);
      await s.users.create(other);
      await expect(s.risk.recordEvent({ ...anEvent(b, other.id), signalId: e.signalId }, score)).resolves.toMatchObject({ status: 'recorded' });
    });

    it('recordEvents keeps input order and per-event guarantees, duplicates within the batch included', async () => {
      const first = anEvent(a, userId, { riskLevel: 'low' });
      const outcomes = await s.risk.recordEvents(
        [first, anEvent(a, userId, { riskLevel: 'high' }), { ...anEvent(a, userId, { riskLevel: 'medium' }), signalId: first.signalId }, anEvent(a, userId, { riskLevel: 'medium' })],
        score,
      );
      expect(outcomes.map((o) => [o.status, o.change?.current ?? null])).toEqual([
        ['recorded', 'low'], ['recorded', 'high'], ['duplicate', null], ['recorded', null],
      ]);
      expect(await s.users.get(a, userId)).toMatchObject({ level: 'high', eventCount: 3 });
      await expect(s.risk.recordEvents([], score)).resolves.toEqual([]);
    });

    it('a lower or equal event counts but writes no change', async () => {
      await s.risk.recordEvent(anEvent(a, userId, { riskLevel: 'high' }), score);
      const r = await s.risk.recordEvent(anEvent(a, userId, { riskLevel: 'low' }), score);
      expect(r).toEqual({ status: 'recorded', change: null });
      expect(await s.users.get(a, userId)).toMatchObject({ level: 'high', eventCount: 2 });
      expect(await mine()).toHaveLength(1);
    });

    it('concurrent events for one user never lose an update (atomic max)', async () => {
      const levels: RiskLevel[] = ['low', 'medium', 'low', 'high', 'medium', 'low', 'medium', 'low', 'low', 'medium', 'high', 'low'];
      await Promise.all(levels.map((riskLevel) => s.risk.recordEvent(anEvent(a, userId, { riskLevel }), score)));
      expect(await s.users.get(a, userId)).toMatchObject({ level: 'high', eventCount: levels.length });
      // The changes form one rising chain: each starts where the previous ended.
      const chain = (await mine()).sort((x, y) => x.seq - y.seq);
      expect(chain[0]!.previous).toBe('unscored');
      expect(chain.at(-1)!.current).toBe('high');
      for (let i = 1; i < chain.length; i++) {
        expect(chain[i]!.previous).toBe(chain[i - 1]!.current);
        expect(levelRank(chain[i]!.current)).toBeGreaterThan(levelRank(chain[i]!.previous));
      }
    });

    it('transition applies a reset atomically with its change; unknown users give null', async () => {
      await s.risk.recordEvent(anEvent(a, userId, { riskLevel: 'high' }), score);
      const r = await s.risk.transition(a, userId, (st: UserRiskState) => applyReset(st, NOW, 'admin'));
      expect(r?.state).toMatchObject({ level: 'unscored', eventCount: 0, lastResetAt: NOW });
      expect(r?.change).toMatchObject({ previous: 'high', current: 'unscored', cause: 'reset' });
      expect(await s.users.get(a, userId)).toMatchObject({ level: 'unscored', eventCount: 0, lastResetAt: NOW });
      expect((await mine()).map((c) => c.cause)).toEqual(['signal', 'reset']);
      await expect(s.risk.transition(a, '00000000-0000-4000-8000-000000000000', (st) => applyReset(st, NOW, 'x'))).resolves.toBeNull();
      // History stays after a reset.
      expect((await s.risk.listEvents(a, userId, { page: 1, perPage: 10, orderBy: 'timestamp', direction: 'desc' })).total).toBe(1);
    });

    it('lists events by time or level, paged, with every field; and events since a time', async () => {
      const e1 = anEvent(a, userId, { riskLevel: 'medium', occurredAt: at('2026-03-01T10:00:00.000Z'), details: { n: 1 } });
      const e2 = anEvent(a, userId, { riskLevel: 'high', occurredAt: at('2026-03-02T10:00:00.000Z') });
      const e3 = anEvent(a, userId, { riskLevel: 'low', occurredAt: at('2026-03-03T10:00:00.000Z') });
      for (const e of [e1, e2, e3]) await s.risk.recordEvent(e, score);
      const byTime = await s.risk.listEvents(a, userId, { page: 1, perPage: 2, orderBy: 'timestamp', direction: 'desc' });
      expect(byTime.total).toBe(3);
      expect(byTime.events).toEqual([e3, e2]);
      expect((await s.risk.listEvents(a, userId, { page: 2, perPage: 2, orderBy: 'timestamp', direction: 'desc' })).events).toEqual([e1]);
      expect((await s.risk.listEvents(a, userId, { page: 1, perPage: 3, orderBy: 'risk_level', direction: 'desc' })).events.map((e) => e.riskLevel)).toEqual(['high', 'medium', 'low']);
      expect((await s.risk.eventsSince(a, userId, at('2026-03-01T12:00:00.000Z'))).map((e) => e.id)).toEqual([e2.id, e3.id]);
      expect((await s.risk.listEvents(anAccount().id, userId, { page: 1, perPage: 10, orderBy: 'timestamp', direction: 'desc' })).total).toBe(0);
    });

    it('finds users due for decay by their check time', async () => {
      // Inside a one-hour window ending at NOW: the level may drop an hour after the event.
      await s.risk.recordEvent(anEvent(a, userId, { occurredAt: at('2026-03-31T23:30:00.000Z') }), (st, e) => applyEvent(st, e, 3600_000, NOW));
      expect((await s.users.get(a, userId))?.decayCheckAt).toEqual(at('2026-04-01T00:30:00.000Z'));
      expect(await s.risk.dueForDecay(at('2026-04-01T00:31:00.000Z'), 1000)).toContainEqual({ accountId: a, userId });
      expect(await s.risk.dueForDecay(NOW, 1000)).not.toContainEqual({ accountId: a, userId });
    });

    it('keeps details whose field names a document store refuses ($, dots) as sent', async () => {
      const e = anEvent(a, userId, { details: { $gt: 1, 'a.b': { $where: 'x' }, list: [{ '$ref': 'y' }] } });
      await s.risk.recordEvent(e, score);
      expect((await s.risk.listEvents(a, userId, { page: 1, perPage: 10, orderBy: 'timestamp', direction: 'desc' })).events).toEqual([e]);
    });

    it('knows which signal ids the account recorded, and for which user; another account\'s never count', async () => {
      const e = anEvent(a, userId);
      await s.risk.recordEvent(e, score);
      const other = anAccount().id;
      expect(await s.risk.knownSignals(a, [e.signalId, 'never-seen'])).toEqual(new Map([[e.signalId, userId]]));
      expect(await s.risk.knownSignals(other, [e.signalId])).toEqual(new Map());
      expect(await s.risk.knownSignals(a, [])).toEqual(new Map());
    });

    it('schedules every scored user of the account for a decay check (the window changed), nobody else', async () => {
      const unscored = aUser(a);
      await s.users.create(unscored);
      const other = aUser(anAccount().id);
      await s.users.create(other);
      for (const u of [{ accountId: a, id: userId }, other]) await s.risk.recordEvent(anEvent(u.accountId, u.id, { riskLevel: 'medium' }), score);
      expect((await s.users.get(a, userId))?.decayCheckAt).toBeNull();
      await expect(s.risk.scheduleDecay(a, NOW)).resolves.toBe(1);
      const due = await s.risk.dueForDecay(NOW, 1000);
      expect(due).toContainEqual({ accountId: a, userId });
      expect(due).not.toContainEqual({ accountId: a, userId: unscored.id });
      expect(due).not.toContainEqual({ accountId: other.accountId, userId: other.id });
      // The user's state is otherwise untouched, and later transitions still apply.
      expect(await s.users.get(a, userId)).toMatchObject({ level: 'medium', eventCount: 1, decayCheckAt: NOW });
      await s.risk.recordEvent(anEvent(a, userId, { riskLevel: 'high' }), score);
      expect(await s.users.get(a, userId)).toMatchObject({ level: 'high', eventCount: 2 });
    });

    it('the feed hands out changes in order until they are acknowledged; ack is idempotent', async () => {
      await s.risk.recordEvent(anEvent(a, userId, { riskLevel: 'low' }), score);
      await s.risk.recordEvent(anEvent(a, userId, { riskLevel: 'high' }), score);
      const feed = await mine();
      expect(feed.map((c) => c.current)).toEqual(['low', 'high']);
      expect(feed[0]!.seq).toBeLessThan(feed[1]!.seq);
      await s.risk.ackChanges([feed[0]!.id, 'unknown-id'], NOW);
      await s.risk.ackChanges([feed[0]!.id], NOW);
      expect((await mine()).map((c) => c.id)).toEqual([feed[1]!.id]);
      // History keeps consumed changes too.
      expect((await s.risk.changesOf(a, userId, 10)).map((c) => c.id)).toEqual(feed.map((c) => c.id));
      await expect(s.risk.changesOf(anAccount().id, userId, 10)).resolves.toEqual([]);
    });

    it('recover has nothing to do after clean operation', async () => {
      await s.risk.recordEvent(anEvent(a, userId), score);
      await expect(s.risk.recover(at('2100-01-01T00:00:00.000Z'), score)).resolves.toBe(0);
      expect(await s.users.get(a, userId)).toMatchObject({ eventCount: 1 });
    });
  });
}
