import { randomInt } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Source, SourceEvent, SourceStore } from '../source-ports.js';
import { isDuplicateKey } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import { readJson, storedJson } from './free-form.js';

interface Doc { _id: string; account_id: string; id: string; type: Source['type']; name: string; settings: Record<string, unknown>; secret_sealed: string; created_at: Date; updated_at: Date; revision?: number }
interface EventDoc {
  _id: string; seq: number; account_id: string; source_id: string; event_id: string; kind: string; received_at: Date; outcome: string;
  /** Kept until scored (SourceEvent.signal); `unscored` marks them for an indexed recovery scan. */
  signal?: string | Record<string, unknown>; unscored?: true;
}

export async function ensureSourceIndexes(db: Db): Promise<void> {
  await db.collection('sources').createIndex({ account_id: 1, created_at: 1 }, { name: 'by_account' });
  await db.collection('source_events').createIndex({ account_id: 1, source_id: 1, seq: -1 }, { name: 'by_source' });
  await db.collection('source_events').createIndex({ unscored: 1, received_at: 1 }, { name: 'unscored' });
  await db.collection('source_nonces').createIndex({ at: 1 }, { name: 'by_time' });
}

/** SourceStore on MongoDB. */
export function mongoSourceStore(db: Db): SourceStore {
  const col = db.collection<Doc>('sources');
  const events = db.collection<EventDoc>('source_events');
  const nonces = db.collection<{ _id: string; at: Date }>('source_nonces');
  const offsets = db.collection<{ _id: string; account_id: string; source_id: string; partition: string; offset: number }>('source_offsets');
  const counters = db.collection<{ _id: string; value: number }>('counters');
  const lock = new KeyedMutex();
  const nextSeq = () => lock.run('source_event_seq', async () => (await counters.findOneAndUpdate({ _id: 'source_event_seq' }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' }))!.value);
  const key = (...parts: string[]) => parts.join(':');
  const claim = async (a: string, s: string, nonce: string, at: Date) => {
    try {
      await nonces.insertOne({ _id: key(a, s, nonce), at });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  };
  /** Records one event; false when its id was recorded before (a vendor's retry). */
  const recordEvent = async (e: SourceEvent): Promise<boolean> => {
    try {
      await events.insertOne({
        _id: key(e.accountId, e.sourceId, e.eventId), seq: await nextSeq(), account_id: e.accountId, source_id: e.sourceId, event_id: e.eventId,
        kind: e.kind, received_at: e.receivedAt, outcome: e.outcome, ...(e.signal ? { signal: storedJson(e.signal), unscored: true as const } : {}),
      });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  };
  const toSource = (d: Doc): Source => ({ accountId: d.account_id, id: d.id, type: d.type, name: d.name, settings: d.settings, secretSealed: d.secret_sealed, createdAt: d.created_at, updatedAt: d.updated_at });
  const revisionOf = async (a: string, id: string) => {
    // With updated_at: a source written by a riskwire from before revisions (no count) still changes it.
    const d = await col.findOne({ _id: key(a, id) }, { projection: { revision: 1, updated_at: 1 } });
    return d ? `${d.revision ?? '-'}:${d.updated_at.getTime()}` : null;
  };
  return {
    async insert(s) {
      // The revision starts at a random number (a source created again under its id never repeats one a reader kept).
      await col.insertOne({ _id: key(s.accountId, s.id), account_id: s.accountId, id: s.id, type: s.type, name: s.name, settings: { ...s.settings }, secret_sealed: s.secretSealed, created_at: s.createdAt, updated_at: s.updatedAt, revision: randomInt(2 ** 47) });
    },
    async get(a, id) {
      const d = await col.findOne({ _id: key(a, id) });
      return d ? toSource(d) : null;
    },
    revision: (a, id) => revisionOf(a, id),
    async list(a) {
      return (await col.find({ account_id: a }).sort({ created_at: 1, id: 1 }).toArray()).map(toSource);
    },
    async update(s) {
      return (await col.updateOne({ _id: key(s.accountId, s.id) }, { $set: { name: s.name, settings: { ...s.settings }, secret_sealed: s.secretSealed, updated_at: s.updatedAt }, $inc: { revision: 1 } })).matchedCount === 1;
    },
    async delete(a, id) {
      const gone = (await col.deleteOne({ _id: key(a, id) })).deletedCount === 1;
      await events.deleteMany({ account_id: a, source_id: id });
      await offsets.deleteMany({ account_id: a, source_id: id });
      return gone;
    },
    async recordDelivery(a, s, list, nonce, expected) {
      // No transaction to hold the revision still: checked just before writing, as a revision
      // read before the delivery would have been (an update racing the delivery may land either side).
      if (expected !== undefined && (await revisionOf(a, s)) !== expected) return 'stale';
      // No transactions on every MongoDB server (FerretDB): the nonce first, so a replay records
      // nothing. If recording then fails, the nonce is released, so the vendor's retry of the same
      // signed request is recorded (as on SQLite, where both are one write); a crash in between
      // leaves it claimed, and the events are then lost only if the vendor never signs anew.
      if (nonce && !(await claim(a, s, nonce.value, nonce.at))) return 'replayed';
      try {
        const out: boolean[] = [];
        for (const e of list) out.push(await recordEvent(e));
        return out;
      } catch (err) {
        if (nonce) await nonces.deleteOne({ _id: key(a, s, nonce.value) }).catch(() => undefined);
        throw err;
      }
    },
    recordEvent: (e) => recordEvent(e),
    async setOutcomes(a, s, list) {
      if (!list.length) return;
      // One round trip; each update stands alone (no transactions), as each item's "once" does.
      await events.bulkWrite(list.map(({ eventId, outcome }) => ({
        updateOne: { filter: { _id: key(a, s, eventId), unscored: true }, update: { $set: { outcome }, $unset: { signal: '', unscored: '' } } },
      })), { ordered: false });
    },
    async unscored(receivedBy, limit) {
      const docs = await events.find({ unscored: true, received_at: { $lte: receivedBy } }).sort({ received_at: 1, seq: 1 }).limit(limit).toArray();
      return docs.map((d) => ({ accountId: d.account_id, sourceId: d.source_id, eventId: d.event_id, kind: d.kind, receivedAt: d.received_at, outcome: d.outcome, signal: readJson(d.signal) }));
    },
    async listEvents(a, s, limit) {
      return (await events.find({ account_id: a, source_id: s }).sort({ seq: -1 }).limit(limit).toArray()).map((d): SourceEvent => ({ accountId: d.account_id, sourceId: d.source_id, eventId: d.event_id, kind: d.kind, receivedAt: d.received_at, outcome: d.outcome }));
    },
    async getOffsets(a, s) {
      return Object.fromEntries((await offsets.find({ account_id: a, source_id: s }).toArray()).map((d) => [d.partition, d.offset]));
    },
    saveOffset: (a, s, partition, offset) =>
      // Serialized per partition in this process ($max is not isolated on every server, see keyed-mutex.ts).
      lock.run(`offset:${key(a, s, partition)}`, async () => {
        await offsets.updateOne({ _id: key(a, s, partition) }, { $max: { offset }, $setOnInsert: { account_id: a, source_id: s, partition } }, { upsert: true });
      }),
    async pruneNonces(before) {
      return (await nonces.deleteMany({ at: { $lt: before } })).deletedCount;
    },
  };
}
