import type { Db } from 'mongodb';
import type { JWK } from 'jose';
import type { Receiver, ReceiverStore, SigningKey, SigningKeyStore, Stream, StreamStore } from '../ssf-ports.js';
import { isDuplicateKey } from './errors.js';
import { ensureOutboxIndexes } from './outbox.js';
import { outboxLeases } from './outbox-leases.js';
import { readJson, storedJson } from './free-form.js';

/** Indexes the transmitter's collections rely on. */
export async function ensureSsfIndexes(db: Db): Promise<void> {
  await db.collection('signing_keys').createIndex({ account_id: 1, created_at: 1 }, { name: 'by_account' });
  await db.collection('receivers').createIndex({ account_id: 1, created_at: 1 }, { name: 'by_account' });
  await db.collection('streams').createIndex({ account_id: 1, receiver_id: 1, created_at: 1 }, { name: 'by_receiver' });
  await db.collection('stream_subjects').createIndex({ account_id: 1, stream_id: 1 }, { name: 'by_stream' });
  await ensureOutboxIndexes(db);
}

const nullable = <T>(v: T | undefined | null): T | null => (v === undefined ? null : v);

/** SigningKeyStore on MongoDB. */
export function mongoSigningKeyStore(db: Db): SigningKeyStore {
  interface Doc { _id: string; account_id: string; kid: string; alg: 'RS256'; public_jwk: JWK; private_sealed: string; created_at: Date; activates_at: Date; retires_at: Date | null }
  const col = db.collection<Doc>('signing_keys');
  return {
    async list(accountId) {
      const docs = await col.find({ account_id: accountId }).sort({ created_at: 1, kid: 1 }).toArray();
      return docs.map((d): SigningKey => ({
        accountId: d.account_id, kid: d.kid, alg: d.alg, publicJwk: d.public_jwk, privateKeySealed: d.private_sealed,
        createdAt: d.created_at, activatesAt: d.activates_at, retiresAt: nullable(d.retires_at),
      }));
    },
    async insert(k) {
      await col.insertOne({ _id: `${k.accountId}:${k.kid}`, account_id: k.accountId, kid: k.kid, alg: k.alg, public_jwk: k.publicJwk, private_sealed: k.privateKeySealed, created_at: k.createdAt, activates_at: k.activatesAt, retires_at: k.retiresAt });
    },
    async retireOthers(accountId, keepKid, at) {
      await col.updateMany({ account_id: accountId, kid: { $ne: keepKid }, retires_at: null }, { $set: { retires_at: at } });
    },
  };
}

/** ReceiverStore on MongoDB. */
export function mongoReceiverStore(db: Db): ReceiverStore {
  interface Doc { _id: string; account_id: string; client_id: string; name: string; audience: string; scopes: Receiver['scopes']; secret_hash: string; created_at: Date }
  const col = db.collection<Doc>('receivers');
  const toReceiver = (d: Doc): Receiver => ({ accountId: d.account_id, clientId: d.client_id, name: d.name, audience: d.audience, scopes: d.scopes, secretHash: d.secret_hash, createdAt: d.created_at });
  const key = (a: string, c: string) => `${a}:${c}`;
  return {
    async insert(r) {
      await col.insertOne({ _id: key(r.accountId, r.clientId), account_id: r.accountId, client_id: r.clientId, name: r.name, audience: r.audience, scopes: [...r.scopes], secret_hash: r.secretHash, created_at: r.createdAt });
    },
    async get(accountId, clientId) {
      const d = await col.findOne({ _id: key(accountId, clientId) });
      return d ? toReceiver(d) : null;
    },
    async list(accountId) {
      return (await col.find({ account_id: accountId }).sort({ created_at: 1, client_id: 1 }).toArray()).map(toReceiver);
    },
    async delete(accountId, clientId) {
      return (await col.deleteOne({ _id: key(accountId, clientId) })).deletedCount === 1;
    },
  };
}

interface StreamDoc {
  _id: string; account_id: string; stream_id: string; receiver_id: string | null; aud: Stream['aud']; events_requested: string[]; events_delivered: string[];
  description: string | null; delivery_method: Stream['delivery']['method']; endpoint_url: string; authorization_sealed: string | null;
  status: Stream['status']; status_reason: string | null; profile: Stream['profile']; created_at: Date; updated_at: Date; last_verification_at: Date | null;
}
const toStreamDoc = (s: Stream): StreamDoc => ({
  _id: `${s.accountId}:${s.streamId}`, account_id: s.accountId, stream_id: s.streamId, receiver_id: s.receiverId, aud: Array.isArray(s.aud) ? [...s.aud] : s.aud,
  events_requested: [...s.eventsRequested], events_delivered: [...s.eventsDelivered], description: s.description, delivery_method: s.delivery.method,
  endpoint_url: s.delivery.endpointUrl, authorization_sealed: s.delivery.authorizationHeaderSealed, status: s.status, status_reason: s.statusReason,
  profile: s.profile, created_at: s.createdAt, updated_at: s.updatedAt, last_verification_at: s.lastVerificationAt,
});
const toStream = (d: StreamDoc): Stream => ({
  accountId: d.account_id, streamId: d.stream_id, receiverId: nullable(d.receiver_id), aud: d.aud, eventsRequested: d.events_requested,
  eventsDelivered: d.events_delivered, description: nullable(d.description),
  delivery: { method: d.delivery_method, endpointUrl: d.endpoint_url, authorizationHeaderSealed: nullable(d.authorization_sealed) },
  status: d.status, statusReason: nullable(d.status_reason), profile: d.profile, createdAt: d.created_at, updatedAt: d.updated_at,
  lastVerificationAt: nullable(d.last_verification_at),
});

/** StreamStore on MongoDB. */
export function mongoStreamStore(db: Db): StreamStore {
  const col = db.collection<StreamDoc>('streams');
  const subjects = db.collection<{ _id: string; account_id: string; stream_id: string; key: string; subject: string | Record<string, unknown> }>('stream_subjects');
  const outbox = db.collection('outbox');
  const leases = outboxLeases(db);
  const key = (a: string, s: string) => `${a}:${s}`;
  return {
    async insert(s) {
      await col.insertOne(toStreamDoc(s));
    },
    async get(accountId, streamId) {
      const d = await col.findOne({ _id: key(accountId, streamId) });
      return d ? toStream(d) : null;
    },
    async listByReceiver(accountId, receiverId) {
      return (await col.find({ account_id: accountId, receiver_id: receiverId }).sort({ created_at: 1, stream_id: 1 }).toArray()).map(toStream);
    },
    async listDeliverable(accountId) {
      return (await col.find({ account_id: accountId, status: { $ne: 'disabled' } }).sort({ created_at: 1, stream_id: 1 }).toArray()).map(toStream);
    },
    async update(s) {
      const { _id, created_at: _c, ...rest } = toStreamDoc(s);
      return (await col.updateOne({ _id }, { $set: rest })).matchedCount === 1;
    },
    async delete(accountId, streamId) {
      // Stream first: once it is gone nothing enqueues for it; leftovers below are unreachable.
      const gone = (await col.deleteOne({ _id: key(accountId, streamId) })).deletedCount === 1;
      await subjects.deleteMany({ account_id: accountId, stream_id: streamId });
      await outbox.deleteMany({ account_id: accountId, stream_id: streamId });
      await leases.dropStream(accountId, streamId);
      return gone;
    },
    async addSubject(accountId, streamId, k, subject) {
      try {
        await subjects.insertOne({ _id: `${accountId}:${streamId}:${k}`, account_id: accountId, stream_id: streamId, key: k, subject: storedJson(subject) });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    },
    async removeSubject(accountId, streamId, k) {
      return (await subjects.deleteOne({ _id: `${accountId}:${streamId}:${k}` })).deletedCount === 1;
    },
    async listSubjects(accountId, streamId) {
      return (await subjects.find({ account_id: accountId, stream_id: streamId }).sort({ key: 1 }).toArray()).map((d) => readJson(d.subject));
    },
  };
}
