import type { Db } from 'mongodb';
import type { OutboxEntry, OutboxStore } from '../ssf-ports.js';
import { isDuplicateKey } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import { ensureLeaseIndexes, leaseIsLive, outboxLeases, type LeaseDoc } from './outbox-leases.js';
import { monotonicSequence } from './sequence.js';

interface OutboxDoc {
  _id: string; seq: number; account_id: string; stream_id: string; set_jwt: string; subject_key: string; event_type: string; source_id: string;
  created_at: Date; state: OutboxEntry['state']; attempts: number; next_attempt_at: Date; last_error: string | null; done_at: Date | null;
  /** Generation of the push lease that last gave the SET back (outbox-leases.ts); absent before the first. */
  lease_gen?: number;
}
const toOutbox = (d: OutboxDoc): OutboxEntry => ({
  accountId: d.account_id, streamId: d.stream_id, jti: d._id, seq: d.seq, set: d.set_jwt, subjectKey: d.subject_key, eventType: d.event_type,
  sourceId: d.source_id, createdAt: d.created_at, state: d.state, attempts: d.attempts, nextAttemptAt: d.next_attempt_at, lastError: d.last_error ?? null,
});

/** Indexes the outbox and its leases rely on. */
export async function ensureOutboxIndexes(db: Db): Promise<void> {
  const outbox = db.collection('outbox');
  await outbox.createIndex({ account_id: 1, stream_id: 1, source_id: 1 }, { unique: true, name: 'source_unique' });
  await outbox.createIndex({ account_id: 1, stream_id: 1, state: 1, seq: 1 }, { name: 'pending' });
  await outbox.createIndex({ state: 1, next_attempt_at: 1 }, { name: 'due' });
  await outbox.createIndex({ account_id: 1, stream_id: 1, subject_key: 1, state: 1, seq: 1 }, { name: 'subject_order' });
  await ensureLeaseIndexes(db);
}

/**
 * OutboxStore on MongoDB: one document per SET, keyed by jti; `seq` from a sequence that stays
 * monotonic across instances (sequence.ts); push leases in their own collection, claimed by
 * unique inserts (outbox-leases.ts), so several instances deliver together on MongoDB and on
 * FerretDB alike.
 */
export function mongoOutboxStore(db: Db): OutboxStore {
  const col = db.collection<OutboxDoc>('outbox');
  const streams = db.collection<{ account_id: string; stream_id: string; status: string; delivery_method: string }>('streams');
  const leases = outboxLeases(db);
  const seq = monotonicSequence(db, 'outbox_seq');
  const lock = new KeyedMutex();
  const markAll = async (state: OutboxEntry['state'], accountId: string, streamId: string, items: ReadonlyArray<{ jti: string; error: string | null }>, at: Date) => {
    let n = 0;
    for (const i of items) {
      const set: Partial<OutboxDoc> = { state, done_at: at };
      if (i.error) set.last_error = i.error;
      n += (await col.updateOne({ _id: i.jti, account_id: accountId, stream_id: streamId, state: 'pending' }, { $set: set })).modifiedCount;
    }
    return n;
  };
  /** Writes an attempt's outcome for the lease holder, then gives the lease up (outbox-leases.ts). */
  const settle = async (jti: string, owner: string, set: Partial<OutboxDoc>): Promise<boolean> => {
    const held = await leases.heldBy(jti, owner);
    if (!held) return false;
    const r = await col.updateOne({ _id: jti, state: 'pending' }, { $inc: { attempts: 1 }, $set: { ...set, lease_gen: held.gen } });
    await leases.release(jti);
    return r.modifiedCount === 1;
  };

  /** Pending SETs due now on live push streams, each the oldest pending SET of its subject. */
  const dueHeads = async (now: Date, limit: number): Promise<OutboxDoc[]> => {
    const live = await streams.find({ status: 'enabled', delivery_method: 'urn:ietf:rfc:8935' }).project<{ account_id: string; stream_id: string }>({ account_id: 1, stream_id: 1 }).toArray();
    if (!live.length) return [];
    const liveKeys = new Set(live.map((x) => `${x.account_id}:${x.stream_id}`));
    const candidates = (await col
      .find({ state: 'pending', next_attempt_at: { $lte: now }, stream_id: { $in: [...new Set(live.map((x) => x.stream_id))] } })
      .sort({ seq: 1 }).limit(limit * 4).toArray()).filter((c) => liveKeys.has(`${c.account_id}:${c.stream_id}`));
    if (!candidates.length) return [];
    // The oldest pending SET of each candidate's subject, due or not, in one query: a later SET
    // waits while an earlier one is retrying (per-subject order).
    const subjectOf = (d: Pick<OutboxDoc, 'account_id' | 'stream_id' | 'subject_key'>) => `${d.account_id}:${d.stream_id}:${d.subject_key}`;
    const heads = new Map<string, number>();
    const older = col
      .find({
        state: 'pending', account_id: { $in: [...new Set(candidates.map((c) => c.account_id))] }, stream_id: { $in: [...new Set(candidates.map((c) => c.stream_id))] },
        subject_key: { $in: [...new Set(candidates.map((c) => c.subject_key))] }, seq: { $lte: candidates[candidates.length - 1]!.seq },
      })
      .project<Pick<OutboxDoc, 'account_id' | 'stream_id' | 'subject_key' | 'seq'>>({ account_id: 1, stream_id: 1, subject_key: 1, seq: 1 });
    for await (const d of older) {
      const k = subjectOf(d);
      if (!heads.has(k) || d.seq < heads.get(k)!) heads.set(k, d.seq);
    }
    const seen = new Set<string>();
    return candidates.filter((c) => {
      const k = subjectOf(c);
      if (seen.has(k)) return false;
      seen.add(k);
      return heads.get(k) === c.seq;
    });
  };

  return {
    async enqueue(e) {
      try {
        await col.insertOne({
          _id: e.jti, seq: await seq.next(), account_id: e.accountId, stream_id: e.streamId, set_jwt: e.set, subject_key: e.subjectKey, event_type: e.eventType,
          source_id: e.sourceId, created_at: e.createdAt, state: 'pending', attempts: 0, next_attempt_at: e.createdAt, last_error: null, done_at: null,
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
    markDelivered: (accountId, streamId, jtis, at) => markAll('delivered', accountId, streamId, jtis.map((jti) => ({ jti, error: null })), at),
    markFailed: (accountId, streamId, errs, at) => markAll('failed', accountId, streamId, errs, at),
    async dropPending(accountId, streamId) {
      return (await col.deleteMany({ account_id: accountId, stream_id: streamId, state: 'pending' })).deletedCount;
    },
    claimDue: (now, owner, leaseUntil, limit) =>
      // One claim pass per process at a time: two would only race each other for the same rows.
      // Between instances, the lease inserts decide (outbox-leases.ts).
      lock.run('outbox_claim', async () => {
        const heads = await dueHeads(now, limit);
        const current = await leases.latest(heads.map((h) => h._id));
        const won: Array<{ lease: LeaseDoc; row: OutboxDoc }> = [];
        for (const row of heads) {
          if (won.length >= limit) break;
          const rowGen = row.lease_gen ?? -1;
          const l = current.get(row._id);
          // A lease at or below the row's lease_gen was already given back (a stale leftover).
          if (l && l.gen > rowGen && leaseIsLive(l, now)) continue;
          const lease = await leases.take({ jti: row._id, accountId: row.account_id, streamId: row.stream_id }, Math.max(rowGen, l?.gen ?? -1) + 1, owner, leaseUntil);
          if (lease) won.push({ lease, row });
        }
        if (!won.length) return [];
        // Re-read after winning: keep a lease only if it is the SET's latest, newer than the
        // row's lease_gen, and the row is still pending and due (outbox-leases.ts).
        const ids = won.map((w) => w.row._id);
        const latest = await leases.latest(ids);
        const rows = new Map((await col.find({ _id: { $in: ids } }).toArray()).map((d) => [d._id, d]));
        const claimed: OutboxEntry[] = [];
        for (const { lease } of won) {
          const row = rows.get(lease.jti);
          const keep = latest.get(lease.jti)?._id === lease._id && row !== undefined && (row.lease_gen ?? -1) < lease.gen
            && row.state === 'pending' && row.next_attempt_at <= now;
          if (keep) claimed.push(toOutbox(row));
          else await leases.abandon(lease);
        }
        return claimed;
      }),
    retryLater: (jti, owner, nextAttemptAt, error) => settle(jti, owner, { next_attempt_at: nextAttemptAt, last_error: error }),
    finish(jti, owner, state, error, at) {
      const set: Partial<OutboxDoc> = { state, done_at: at };
      if (error) set.last_error = error;
      return settle(jti, owner, set);
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
      const r = await col.updateMany(filter, { $set: { state: 'pending', attempts: 0, next_attempt_at: at, done_at: null } });
      return r.modifiedCount;
    },
  };
}
