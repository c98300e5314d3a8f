import type { Db } from 'mongodb';
import type { ReceivedSet, ReceivedSetStore, Subscription, SubscriptionStore } from '../inbound-ports.js';
import { isDuplicateKey } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import { readJson, storedJson } from './free-form.js';

const nullable = <T>(v: T | undefined | null): T | null => (v === undefined ? null : v);

export async function ensureInboundIndexes(db: Db): Promise<void> {
  await db.collection('subscriptions').createIndex({ account_id: 1, created_at: 1 }, { name: 'by_account' });
  const sets = db.collection('received_sets');
  await sets.createIndex({ state: 1, seq: 1 }, { name: 'pending' });
  await sets.createIndex({ account_id: 1, subscription_id: 1, seq: -1 }, { name: 'by_subscription' });
}

interface SubDoc {
  _id: string; account_id: string; id: string; mode: Subscription['mode']; issuer: string; jwks_uri: string; audience: string;
  stream_id: string | null; push_auth_sealed: string | null; managed: Subscription['managed']; pending_states: string[]; status: Subscription['status']; last_error: string | null;
  verified_at: Date | null; last_event_at: Date | null; created_at: Date;
}
const toDoc = (s: Subscription): SubDoc => ({
  _id: `${s.accountId}:${s.id}`, account_id: s.accountId, id: s.id, mode: s.mode, issuer: s.issuer, jwks_uri: s.jwksUri, audience: s.audience,
  stream_id: s.streamId, push_auth_sealed: s.pushAuthorizationSealed, managed: s.managed ? { ...s.managed } : null, pending_states: [...s.pendingStates], status: s.status, last_error: s.lastError,
  verified_at: s.verifiedAt, last_event_at: s.lastEventAt, created_at: s.createdAt,
});
const toSub = (d: SubDoc): Subscription => ({
  accountId: d.account_id, id: d.id, mode: d.mode, issuer: d.issuer, jwksUri: d.jwks_uri, audience: d.audience, streamId: nullable(d.stream_id),
  pushAuthorizationSealed: nullable(d.push_auth_sealed), managed: nullable(d.managed), pendingStates: d.pending_states ?? [], status: d.status, lastError: nullable(d.last_error),
  verifiedAt: nullable(d.verified_at), lastEventAt: nullable(d.last_event_at), createdAt: d.created_at,
});

/** A subscription's revision: the fields the push path derives what it keeps from (SubscriptionStore.revision). */
async function subscriptionRevision(db: Db, accountId: string, id: string): Promise<string | null> {
  const d = await db.collection<SubDoc>('subscriptions').findOne({ _id: `${accountId}:${id}` }, { projection: { mode: 1, issuer: 1, jwks_uri: 1, audience: 1, stream_id: 1, push_auth_sealed: 1, managed: 1, status: 1 } });
  return d ? JSON.stringify([d.mode, d.issuer, d.jwks_uri, d.audience, d.stream_id ?? null, d.push_auth_sealed ?? null, d.managed ?? null, d.status]) : null;
}

/** SubscriptionStore on MongoDB. */
export function mongoSubscriptionStore(db: Db): SubscriptionStore {
  const col = db.collection<SubDoc>('subscriptions');
  return {
    async insert(s) {
      await col.insertOne(toDoc(s));
    },
    async get(accountId, id) {
      const d = await col.findOne({ _id: `${accountId}:${id}` });
      return d ? toSub(d) : null;
    },
    revision: (accountId, id) => subscriptionRevision(db, accountId, id),
    async list(accountId) {
      return (await col.find({ account_id: accountId }).sort({ created_at: 1, id: 1 }).toArray()).map(toSub);
    },
    async update(s) {
      const { _id, created_at: _c, ...rest } = toDoc(s);
      return (await col.updateOne({ _id }, { $set: rest })).matchedCount === 1;
    },
    async delete(accountId, id) {
      return (await col.deleteOne({ _id: `${accountId}:${id}` })).deletedCount === 1;
    },
    async consumeState(accountId, id, state, at) {
      // One document update: matched only while the state is still pending.
      return (await col.updateOne({ _id: `${accountId}:${id}`, pending_states: state }, { $pull: { pending_states: state }, $set: { verified_at: at } })).matchedCount === 1;
    },
    async setLastError(accountId, id, error) {
      await col.updateOne({ _id: `${accountId}:${id}` }, { $set: { last_error: error } });
    },
    async touchLastEvent(accountId, id, at) {
      await col.updateOne({ _id: `${accountId}:${id}`, $or: [{ last_event_at: null }, { last_event_at: { $lt: at } }] }, { $set: { last_event_at: at } });
    },
  };
}

interface SetDoc {
  _id: string; seq: number; account_id: string; subscription_id: string; jti: string; issuer: string; event_type: string;
  /** JSON text (free-form.ts); objects in documents written before. */
  subject: string | Record<string, unknown> | null; claims: string | Record<string, unknown>; received_at: Date; state: ReceivedSet['state']; outcome: string | null;
}
const toSet = (d: SetDoc): ReceivedSet => ({
  accountId: d.account_id, subscriptionId: d.subscription_id, jti: d.jti, issuer: d.issuer, eventType: d.event_type, subject: d.subject === null || d.subject === undefined ? null : readJson(d.subject),
  claims: readJson(d.claims), receivedAt: d.received_at, state: d.state, outcome: nullable(d.outcome),
});

/** ReceivedSetStore on MongoDB: keyed by (account, subscription, jti). */
export function mongoReceivedSetStore(db: Db): ReceivedSetStore {
  const col = db.collection<SetDoc>('received_sets');
  const counters = db.collection<{ _id: string; value: number }>('counters');
  const lock = new KeyedMutex();
  const nextSeq = () => lock.run('received_seq', async () => (await counters.findOneAndUpdate({ _id: 'received_seq' }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' }))!.value);
  const key = (a: string, s: string, j: string) => `${a}:${s}:${j}`;
  return {
    async insert(r, expected) {
      // No transaction to hold the subscription still: checked just before storing, as a
      // revision read before verifying would have been (a change racing the SET may land either side).
      if (expected !== undefined && (await subscriptionRevision(db, r.accountId, r.subscriptionId)) !== expected) return 'stale';
      try {
        await col.insertOne({
          _id: key(r.accountId, r.subscriptionId, r.jti), seq: await nextSeq(), account_id: r.accountId, subscription_id: r.subscriptionId, jti: r.jti,
          issuer: r.issuer, event_type: r.eventType, subject: r.subject ? storedJson(r.subject) : null, claims: storedJson(r.claims), received_at: r.receivedAt,
          state: r.state, outcome: r.outcome,
        });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },
    async has(accountId, subscriptionId, jti) {
      return (await col.countDocuments({ _id: key(accountId, subscriptionId, jti) }, { limit: 1 })) === 1;
    },
    async markProcessed(outcomes) {
      if (!outcomes.length) return;
      // One round trip; each update stands alone (no transactions), as each SET's "once" does.
      await col.bulkWrite(outcomes.map((o) => ({
        updateOne: { filter: { _id: key(o.accountId, o.subscriptionId, o.jti), state: 'pending' as const }, update: { $set: { state: 'processed' as const, outcome: o.outcome } } },
      })), { ordered: false });
    },
    async pending(limit) {
      return (await col.find({ state: 'pending' }).sort({ seq: 1 }).limit(limit).toArray()).map(toSet);
    },
    async list(accountId, subscriptionId, limit) {
      return (await col.find({ account_id: accountId, subscription_id: subscriptionId }).sort({ seq: -1 }).limit(limit).toArray()).map(toSet);
    },
  };
}
