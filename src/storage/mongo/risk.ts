import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { RiskChange, RiskEvent, Transition, UserRiskState } from '../../domain/risk.js';
import { levelOfRank, levelRank, type RiskLevel, type UserRiskLevel } from '../../domain/risk-level.js';
import type { EventOrder, EventTransition, FeedChange, RiskStore } from '../risk-ports.js';
import { isDuplicateKey } from './errors.js';
import { toUserSummary, userKey, type PendingChangeDoc, type UserDoc } from './users.js';
import { KeyedMutex } from './keyed-mutex.js';
import { monotonicSequence } from './sequence.js';
import { readJson, storedJson } from './free-form.js';

interface EventDoc {
  _id: string;
  account_id: string;
  user_id: string;
  behavior_id: string;
  behavior_name: string;
  risk_rank: number;
  occurred_at: Date;
  received_at: Date;
  source: string;
  signal_id: string;
  /** JSON text (free-form.ts); an object in documents written before. */
  details: string | Record<string, unknown>;
  /** False until the event's transition reached the user document (crash recovery). */
  applied: boolean;
}

interface ChangeDoc extends PendingChangeDoc {
  _id: string;
  seq: number;
  account_id: string;
  user_id: string;
  consumed_at: Date | null;
}

/** How many event ids a user document remembers to make a resumed event idempotent. */
const RECENT_EVENTS = 64;
/** Compare-and-set attempts before giving up (each conflict means another writer progressed). */
const CAS_ATTEMPTS = 200;

const toEvent = (d: EventDoc): RiskEvent => ({
  id: d._id,
  accountId: d.account_id,
  userId: d.user_id,
  behaviorId: d.behavior_id,
  behaviorName: d.behavior_name,
  riskLevel: levelOfRank(d.risk_rank) as RiskLevel,
  occurredAt: d.occurred_at,
  receivedAt: d.received_at,
  source: d.source,
  signalId: d.signal_id,
  details: readJson(d.details ?? {}),
});

const toFeed = (d: ChangeDoc): FeedChange => ({
  seq: d.seq,
  id: d._id,
  accountId: d.account_id,
  userId: d.user_id,
  previous: d.previous as UserRiskLevel,
  current: d.current as UserRiskLevel,
  cause: d.cause,
  behaviorId: d.behavior_id ?? null,
  reason: d.reason,
  at: d.at,
});

/** Indexes the risk store relies on. */
export async function ensureRiskIndexes(db: Db): Promise<void> {
  const events = db.collection<EventDoc>('risk_events');
  await events.createIndex({ account_id: 1, signal_id: 1 }, { unique: true, name: 'signal_unique' });
  await events.createIndex({ account_id: 1, user_id: 1, occurred_at: -1 }, { name: 'by_user_time' });
  await events.createIndex({ account_id: 1, user_id: 1, risk_rank: -1, occurred_at: -1 }, { name: 'by_user_level' });
  await events.createIndex({ applied: 1, received_at: 1 }, { name: 'unapplied' });
  await db.collection<ChangeDoc>('risk_changes').createIndex({ consumed_at: 1, seq: 1 }, { name: 'feed' });
  await db.collection<ChangeDoc>('risk_changes').createIndex({ account_id: 1, user_id: 1, seq: 1 }, { name: 'by_user' });
}

/**
 * RiskStore on MongoDB without multi-document transactions. Every state change is one
 * compare-and-set write of the user document that also embeds the RiskChange it causes, so the
 * level and its change are atomic. Around it, each step is idempotent:
 * 1. the event is inserted (`applied: false`; the unique signal index makes retries duplicates);
 * 2. the user document is CAS-updated; it remembers recent event ids, so a resumed event is
 *    never applied twice;
 * 3. the event is marked applied;
 * 4. embedded changes are copied to `risk_changes` (upsert by change id, sequence from sequence.ts)
 *    and then removed from the user document.
 * `recover` finishes steps 2–4 for anything a crash interrupted.
 */
export function mongoRiskStore(db: Db): RiskStore {
  const users = db.collection<UserDoc>('users');
  const events = db.collection<EventDoc>('risk_events');
  const changes = db.collection<ChangeDoc>('risk_changes');
  // The feed is consumed in seq order, so a user's changes must get growing numbers even when
  // several instances score at once: a shared $inc counter does not promise that on FerretDB.
  const feedSeq = monotonicSequence(db, 'risk_change_seq');
  const nextSeq = (): Promise<number> => feedSeq.next();

  const lock = new KeyedMutex();

  /** CAS loop: applies `fn` to the user document; `fn` returns null to leave it unchanged. */
  const cas = async (
    accountId: string,
    userId: string,
    fn: (doc: UserDoc) => { t: Transition; eventId?: string } | null,
  ): Promise<{ state: UserRiskState; change: RiskChange | null } | null> => {
    const key = userKey(accountId, userId);
    return lock.run(key, () => casLoop(key, userId, accountId, fn));
  };
  const casLoop = async (
    key: string,
    userId: string,
    accountId: string,
    fn: (doc: UserDoc) => { t: Transition; eventId?: string } | null,
  ): Promise<{ state: UserRiskState; change: RiskChange | null } | null> => {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const doc = await users.findOne({ _id: key });
      if (!doc) return null;
      const r = fn(doc);
      if (!r) return { state: toUserSummary(doc), change: null };
      const s = r.t.state;
      const change: RiskChange | null = r.t.change ? { ...r.t.change, id: randomUUID(), accountId, userId } : null;
      const pending = doc.pending_changes ?? [];
      const set: Partial<UserDoc> = {
        risk_rank: levelRank(s.level), event_count: s.eventCount, last_event_at: s.lastEventAt, last_reset_at: s.lastResetAt,
        decay_check_at: s.decayCheckAt, version: doc.version + 1,
      };
      if (r.eventId) set.recent_events = [...(doc.recent_events ?? []), r.eventId].slice(-RECENT_EVENTS);
      if (change) {
        set.pending_changes = [...pending, { id: change.id, previous: change.previous, current: change.current, cause: change.cause, behavior_id: change.behaviorId, reason: change.reason, at: change.at }];
        set.has_pending = true;
      }
      const w = await users.updateOne({ _id: key, version: doc.version }, { $set: set });
      if (w.matchedCount === 1) return { state: s, change };
      // Another writer won this round; back off a little, growing with contention.
      if (attempt > 3) await new Promise((res) => setTimeout(res, Math.min(50, attempt) * Math.random()));
    }
    throw new Error(`risk state of user ${userId}: compare-and-set did not succeed after ${CAS_ATTEMPTS} attempts`);
  };

  /** Step 4: moves embedded changes to the feed, oldest first, then drops them from the user. */
  const flush = (key: string): Promise<void> => lock.run(key, () => flushLoop(key));
  const flushLoop = async (key: string): Promise<void> => {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const doc = await users.findOne({ _id: key }, { projection: { pending_changes: 1, version: 1, account_id: 1, user_id: 1 } });
      const pending = doc?.pending_changes ?? [];
      if (!doc || pending.length === 0) return;
      for (const c of pending) {
        try {
          await changes.updateOne(
            { _id: c.id },
            { $setOnInsert: { ...c, seq: await nextSeq(), account_id: doc.account_id, user_id: doc.user_id, consumed_at: null } },
            { upsert: true },
          );
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
        }
      }
      const w = await users.updateOne(
        { _id: key, version: doc.version },
        { $set: { pending_changes: [], has_pending: false, version: doc.version + 1 } },
      );
      if (w.matchedCount === 1) return;
      // A writer appended meanwhile: loop, re-read, copy again (copies are idempotent by id).
    }
  };

  const applyEventDoc = async (e: RiskEvent, fn: EventTransition): Promise<RiskChange | null> => {
    const r = await cas(e.accountId, e.userId, (doc) =>
      (doc.recent_events ?? []).includes(e.id) ? null : { t: fn(toUserSummary(doc), e), eventId: e.id },
    );
    if (!r) throw new Error(`recordEvent: user ${e.userId} does not exist in account ${e.accountId}`);
    await events.updateOne({ _id: e.id }, { $set: { applied: true } });
    await flush(userKey(e.accountId, e.userId));
    return r.change;
  };

  const pageCursor = (col: Collection<EventDoc>, accountId: string, userId: string, order: EventOrder, dir: 1 | -1) =>
    col.find({ account_id: accountId, user_id: userId }).sort(order === 'timestamp' ? { occurred_at: dir, _id: dir } : { risk_rank: dir, occurred_at: dir, _id: dir });

  return {
    async recordEvent(e, fn) {
      try {
        await events.insertOne({
          _id: e.id, account_id: e.accountId, user_id: e.userId, behavior_id: e.behaviorId, behavior_name: e.behaviorName,
          risk_rank: levelRank(e.riskLevel), occurred_at: e.occurredAt, received_at: e.receivedAt, source: e.source,
          signal_id: e.signalId, details: storedJson(e.details), applied: false,
        });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const existing = await events.findOne({ account_id: e.accountId, signal_id: e.signalId });
        if (!existing || existing.applied) return { status: 'duplicate', change: null };
        // The first delivery was recorded but a crash stopped it before it was applied: finish it.
        await applyEventDoc(toEvent(existing), fn);
        return { status: 'duplicate', change: null };
      }
      return { status: 'recorded', change: await applyEventDoc(e, fn) };
    },
    async recordEvents(list, fn) {
      const out = [];
      for (const e of list) out.push(await this.recordEvent(e, fn));
      return out;
    },
    async transition(accountId, userId, fn) {
      const r = await cas(accountId, userId, (doc) => ({ t: fn(toUserSummary(doc)) }));
      if (r) await flush(userKey(accountId, userId));
      return r;
    },
    async listEvents(accountId, userId, p) {
      const dir = p.direction === 'asc' ? 1 : -1;
      const docs = await pageCursor(events, accountId, userId, p.orderBy, dir).skip((p.page - 1) * p.perPage).limit(p.perPage).toArray();
      return { events: docs.map(toEvent), total: await events.countDocuments({ account_id: accountId, user_id: userId }) };
    },
    async eventsSince(accountId, userId, since) {
      const docs = await events.find({ account_id: accountId, user_id: userId, occurred_at: { $gt: since } }).sort({ occurred_at: 1, _id: 1 }).toArray();
      return docs.map(toEvent);
    },
    async knownSignals(accountId, signalIds) {
      const docs = await events.find({ account_id: accountId, signal_id: { $in: [...signalIds] } }).project<{ signal_id: string; user_id: string }>({ signal_id: 1, user_id: 1 }).toArray();
      return new Map(docs.map((d) => [d.signal_id, d.user_id]));
    },
    async scheduleDecay(accountId, at) {
      // The version moves too: a transition that read the user before this write retries, so it
      // cannot put back the check time it computed under the old window.
      return (await users.updateMany({ account_id: accountId, risk_rank: { $gt: 0 } }, { $set: { decay_check_at: at }, $inc: { version: 1 } })).modifiedCount;
    },
    async dueForDecay(now, limit) {
      const docs = await users.find({ decay_check_at: { $ne: null, $lte: now } }).sort({ decay_check_at: 1 }).limit(limit).project<{ account_id: string; user_id: string }>({ account_id: 1, user_id: 1 }).toArray();
      return docs.map((d) => ({ accountId: d.account_id, userId: d.user_id }));
    },
    async pendingChanges(limit) {
      return (await changes.find({ consumed_at: null }).sort({ seq: 1 }).limit(limit).toArray()).map(toFeed);
    },
    async changesOf(accountId, userId, limit) {
      return (await changes.find({ account_id: accountId, user_id: userId }).sort({ seq: 1 }).limit(limit).toArray()).map(toFeed);
    },
    async ackChanges(ids, at) {
      if (ids.length) await changes.updateMany({ _id: { $in: [...ids] }, consumed_at: null }, { $set: { consumed_at: at } });
    },
    async recover(olderThan, fn) {
      let done = 0;
      for (const d of await events.find({ applied: false, received_at: { $lt: olderThan } }).limit(1000).toArray()) {
        await applyEventDoc(toEvent(d), fn);
        done++;
      }
      for (const u of await users.find({ has_pending: true }).project<{ _id: string }>({ _id: 1 }).limit(1000).toArray()) {
        await flush(u._id);
        done++;
      }
      return done;
    },
  };
}
