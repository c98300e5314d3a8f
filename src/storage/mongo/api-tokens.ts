import type { Db } from 'mongodb';
import type { ApiToken, Scope } from '../../domain/api-token.js';
import type { ApiTokenStore } from '../ports.js';

interface Doc {
  _id: string;
  account_id: string;
  name: string;
  scopes: Scope[];
  token_hash: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  receiver_id?: string | null;
}

const toToken = (d: Doc): ApiToken => ({
  id: d._id,
  accountId: d.account_id,
  name: d.name,
  scopes: d.scopes,
  tokenHash: d.token_hash,
  createdAt: d.created_at,
  // FerretDB omits fields upserted as null; absent and null mean the same here.
  lastUsedAt: d.last_used_at ?? null,
  revokedAt: d.revoked_at ?? null,
  receiverId: d.receiver_id ?? null,
});

const toDoc = (t: ApiToken): Doc => ({
  _id: t.id,
  account_id: t.accountId,
  name: t.name,
  scopes: [...t.scopes],
  token_hash: t.tokenHash,
  created_at: t.createdAt,
  last_used_at: t.lastUsedAt,
  revoked_at: t.revokedAt,
  receiver_id: t.receiverId,
});

/** Indexes this port relies on; created at start. */
export async function ensureApiTokenIndexes(db: Db): Promise<void> {
  const col = db.collection<Doc>('api_tokens');
  await col.createIndex({ token_hash: 1 }, { unique: true, name: 'token_hash_unique' });
  await col.createIndex({ account_id: 1, created_at: 1, _id: 1 }, { name: 'by_account' });
}

/** ApiTokenStore on MongoDB. */
export function mongoApiTokenStore(db: Db): ApiTokenStore {
  const col = db.collection<Doc>('api_tokens');
  return {
    async insert(t) {
      await col.insertOne(toDoc(t));
    },
    async upsert(t) {
      const d = toDoc(t);
      await col.updateOne(
        { _id: d._id },
        {
          $set: { name: d.name, scopes: d.scopes, token_hash: d.token_hash, revoked_at: null },
          $setOnInsert: { account_id: d.account_id, created_at: d.created_at, last_used_at: d.last_used_at },
        },
        { upsert: true },
      );
    },
    async findByHash(hash) {
      const d = await col.findOne({ token_hash: hash });
      return d ? toToken(d) : null;
    },
    async get(accountId, id) {
      const d = await col.findOne({ _id: id, account_id: accountId });
      return d ? toToken(d) : null;
    },
    async getById(id) {
      const d = await col.findOne({ _id: id });
      return d ? toToken(d) : null;
    },
    async list(accountId) {
      return (await col.find({ account_id: accountId }).sort({ created_at: 1, _id: 1 }).toArray()).map(toToken);
    },
    async revoke(accountId, id, at) {
      const found = await col.findOne({ _id: id, account_id: accountId }, { projection: { _id: 1 } });
      if (!found) return false;
      // Only the first revocation sets the time (filter on revoked_at null keeps it atomic).
      await col.updateOne({ _id: id, account_id: accountId, revoked_at: null }, { $set: { revoked_at: at } });
      return true;
    },
    async touch(id, at) {
      // $max keeps last_used_at monotonic under concurrent requests. FerretDB and MongoDB both
      // treat a null field as lower than any date for $max.
      await col.updateOne({ _id: id }, { $max: { last_used_at: at } });
    },
  };
}
