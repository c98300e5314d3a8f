import type { Db } from 'mongodb';
import type { OutboxEntry, OutboxStore } from '../ssf-ports.js';
import { isDuplicateKey } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import { monotonicSequence } from './sequence.js';

const nullable = <T>(v: T | undefined | null): T | null => (v === undefined ? null : v);

/** Indexes the outbox relies on. */
export async function ensureOutboxIndexes(db: Db): Promise<void> {
  const outbox = db.collection('outbox');
  await outbox.createIndex({ account_id: 1, stream_id: 1, source_id: 1 }, { unique: true, name: 'source_unique' });
  await outbox.createIndex({ account_id: 1, stream_id: 1, state: 1, seq: 1 }, { name: 'pending' });
  await outbox.createIndex({ state: 1, next_attempt_at: 1 }, { name: 'due' });
  await outbox.createIndex({ account_id: 1, stream_id: 1, subject_key: 1, state: 1, seq: 1 }, { name: 'subject_order' });
}

interface OutboxDoc {
  lease_owner?: string | null; lease_until?: Date | null;
  _id: string; seq: number; account_id: string; stream_id: string; set_jwt: string; subject_key: string; event_type: string; source_id: string;
  created_at: Date; state: OutboxEntry['state']; attempts: number; next_attempt_at: Date; last_error: string | null; done_at: Date | null;
}
const toOutbox = (d: OutboxDoc): OutboxEntry => ({
  accountId: d.account_id, streamId: d.stream_id, jti: d._id, seq: d.seq, set: d.set_jwt, subjectKey: d.subject_key, eventType: d.event_type,
  sourceId: d.source_id, createdAt: d.created_at, state: d.state, attempts: d.attempts, nextAttemptAt: d.next_attempt_at, lastError: nullable(d.last_error),
});

/** OutboxStore on MongoDB: one document per SET, keyed by jti; seq from a sequence that grows across instances. */
export function mongoOutboxStore(db: Db): OutboxStore {
  const col = db.collection<OutboxDoc>('outbox');
  const streams = db.collection<{ account_id: string; stream_id: string; status: string; delivery_method: string }>('streams');
  // SETs about one subject go out in seq order, so seq must grow across instances (sequence.ts).
  const seq = monotonicSequence(db, 'outbox_seq');
  const lock = new KeyedMutex();
  const finish = async (state: OutboxEntry['state'], accountId: string, streamId: string, items: ReadonlyArray<{ jti: string; error: string | null }>, at: Date) => {
    let n = 0;
    for (const i of items) {
      const set: Partial<OutboxDoc> = { state, done_at: at };
      if (i.error) set.last_error = i.error;
      n += (await col.updateOne({ _id: i.jti, account_id: accountId, stream_id: streamId, state: 'pending' }, { $set: set })).modifiedCount;
    }
    return n;
  };
  return {
    async enqueue(e) {
      try {
        await col.insertOne({
          _id: e.jti, seq: await seq.next(), account_id: e.accountId, stream_id: e.streamId, set_jwt: e.set, subject_key: e.subjectKey, event_type: e.eventType,
          source_id: e.sourceId, created_at: e.createdAt, state: 'pending', attempts: 0, next_attempt_at: e.createdAt, last_error: null, done_at: null,
          lease_owner: null, lease_until: null,
        });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },
    async pending(accountId, streamId, limit) {
      return (await col.find({ account_id: accountId, stream_id: streamId, state: 'pending' }).sort({ seq: 1 }).limit(limit).toArray()).map(toOutbox);
    },
    async countPending(accountId, streamId) {
      return col.countDocuments({ account_id: accountId, stream_id: streamId, state: 'pending' });
    },
    markDelivered: (accountId, streamId, jtis, at) => finish('delivered', accountId, streamId, jtis.map((jti) => ({ jti, error: null })), at),
    markFailed: (accountId, streamId, errs, at) => finish('failed', accountId, streamId, errs, at),
    async dropPending(accountId, streamId) {
      return (await col.deleteMany({ account_id: accountId, stream_id: streamId, state: 'pending' })).deletedCount;
    },
    claimDue: (now, owner, leaseUntil, limit) =>
      // One claimer per process at a time: FerretDB does not isolate concurrent updates of one
      // document; across instances the lease's compare-and-set below relies on MongoDB's atomicity.
      lock.run('outbox_claim', async () => {
        const live = await streams.find({ status: 'enabled', delivery_method: 'urn:ietf:rfc:8935' }).project<{ account_id: string; stream_id: string }>({ account_id: 1, stream_id: 1 }).toArray();
        if (!live.length) return [];
        const liveKeys = new Set(live.map((x) => `${x.account_id}:${x.stream_id}`));
        const candidates = await col
          .find({ state: 'pending', next_attempt_at: { $lte: now }, stream_id: { $in: [...new Set(live.map((x) => x.stream_id))] } })
          .sort({ seq: 1 }).limit(limit * 4).toArray();
        const claimed: OutboxEntry[] = [];
        const blocked = new Set<string>();
        for (const c of candidates) {
          if (claimed.length >= limit) break;
          const subject = `${c.account_id}:${c.stream_id}:${c.subject_key}`;
          if (!liveKeys.has(`${c.account_id}:${c.stream_id}`) || blocked.has(subject)) continue;
          blocked.add(subject); // later SETs about this subject wait for this one, claimed or not
          if (c.lease_until && c.lease_until >= now) continue;
          const older = await col.findOne({ account_id: c.account_id, stream_id: c.stream_id, subject_key: c.subject_key, state: 'pending', seq: { $lt: c.seq } }, { projection: { _id: 1 } });
          if (older) continue;
          const r = await col.updateOne(
            { _id: c._id, state: 'pending', $or: [{ lease_until: null }, { lease_until: { $lt: now } }] },
            { $set: { lease_owner: owner, lease_until: leaseUntil } },
          );
          if (r.modifiedCount === 1) claimed.push(toOutbox(c));
        }
        return claimed;
      }),
    async retryLater(jti, owner, nextAttemptAt, error) {
      const r = await col.updateOne({ _id: jti, lease_owner: owner, state: 'pending' }, { $inc: { attempts: 1 }, $set: { next_attempt_at: nextAttemptAt, last_error: error, lease_owner: null, lease_until: null } });
      return r.modifiedCount === 1;
    },
    async finish(jti, owner, state, error, at) {
      const set: Partial<OutboxDoc> = { state, done_at: at, lease_owner: null, lease_until: null };
      if (error) set.last_error = error;
      const r = await col.updateOne({ _id: jti, lease_owner: owner, state: 'pending' }, { $inc: { attempts: 1 }, $set: set });
      return r.modifiedCount === 1;
    },
    async listByState(accountId, streamId, state, limit) {
      return (await col.find({ account_id: accountId, stream_id: streamId, state }).sort({ seq: -1 }).limit(limit).toArray()).map(toOutbox);
    },
    async pendingCounts(limit) {
      const rows = await col.aggregate<{ _id: { a: string; s: string }; n: number }>([
        { $match: { state: 'pending' } },
        { $group: { _id: { a: '$account_id', s: '$stream_id' }, n: { $sum: 1 } } },
        { $sort: { n: -1 } },
        { $limit: limit },
      ]).toArray();
      return rows.map((r) => ({ accountId: r._id.a, streamId: r._id.s, pending: r.n }));
    },
    async redrive(accountId, streamId, jtis, at) {
      const filter = jtis
        ? { account_id: accountId, stream_id: streamId, _id: { $in: [...jtis] }, state: { $in: ['dead', 'failed'] as OutboxEntry['state'][] } }
        : { account_id: accountId, stream_id: streamId, state: 'dead' as const };
      const r = await col.updateMany(filter, { $set: { state: 'pending', attempts: 0, next_attempt_at: at, done_at: null, lease_owner: null, lease_until: null } });
      return r.modifiedCount;
    },
  };
}
