import type { Db } from 'mongodb';
import type { Behavior } from '../../domain/behavior.js';
import type { RiskLevel } from '../../domain/risk-level.js';
import type { BehaviorStore } from '../risk-ports.js';
import { isDuplicateKey } from './errors.js';

interface Doc {
  /** `<account>:<behavior>`; account ids cannot contain ':'. */
  _id: string;
  account_id: string;
  behavior_id: string;
  name: string;
  description: string;
  enabled: boolean;
  risk_level: RiskLevel;
  custom: boolean;
  updated_at: Date;
}

const toBehavior = (d: Doc): Behavior => ({
  accountId: d.account_id,
  id: d.behavior_id,
  name: d.name,
  description: d.description,
  enabled: d.enabled,
  riskLevel: d.risk_level,
  custom: d.custom,
  updatedAt: d.updated_at,
});

/** Indexes this port relies on. */
export async function ensureBehaviorIndexes(db: Db): Promise<void> {
  await db.collection('behaviors').createIndex({ account_id: 1, behavior_id: 1 }, { name: 'by_account' });
}

/** BehaviorStore on MongoDB: one document per (account, behavior). */
export function mongoBehaviorStore(db: Db): BehaviorStore {
  const col = db.collection<Doc>('behaviors');
  const key = (a: string, id: string) => `${a}:${id}`;
  return {
    async seed(accountId, catalog, at) {
      if (!catalog.length) return;
      await col.bulkWrite(
        catalog.map((b) => ({
          updateOne: {
            filter: { _id: key(accountId, b.id) },
            update: { $setOnInsert: { account_id: accountId, behavior_id: b.id, name: b.name, description: b.description, enabled: false, risk_level: b.riskLevel, custom: false, updated_at: at } },
            upsert: true,
          },
        })),
        { ordered: false },
      ).catch((err: unknown) => {
        // A concurrent seed inserted some of them first: the result is the same.
        if (!isDuplicateKey(err)) throw err;
      });
    },
    async list(accountId) {
      const docs = await col.find({ account_id: accountId }).toArray();
      return docs.map(toBehavior).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    },
    async get(accountId, id) {
      const d = await col.findOne({ _id: key(accountId, id) });
      return d ? toBehavior(d) : null;
    },
    async update(accountId, changes, at) {
      // An empty change set is valid (Cloudflare's PUT with `behaviors: {}`); the driver refuses an empty bulk write.
      if (!changes.length) return [];
      // All-or-nothing without transactions: check every id first, then write. A custom behavior
      // deleted in between is simply not updated (it no longer exists).
      const ids = changes.map((c) => c.id);
      const docs = await col.find({ _id: { $in: ids.map((id) => key(accountId, id)) } }).project<{ behavior_id: string }>({ behavior_id: 1 }).toArray();
      const found = new Set(docs.map((d) => d.behavior_id));
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length) return missing;
      await col.bulkWrite(
        changes.map((c) => ({
          updateOne: { filter: { _id: key(accountId, c.id) }, update: { $set: { enabled: c.enabled, risk_level: c.riskLevel, updated_at: at } } },
        })),
      );
      return [];
    },
    async putCustom(b) {
      const fields = { name: b.name, description: b.description, enabled: b.enabled, risk_level: b.riskLevel, updated_at: b.updatedAt };
      const r = await col.updateOne({ _id: key(b.accountId, b.id), custom: true }, { $set: fields });
      if (r.matchedCount === 1) return true;
      try {
        await col.insertOne({ _id: key(b.accountId, b.id), account_id: b.accountId, behavior_id: b.id, ...fields, custom: true });
        return true;
      } catch (err) {
        // The id exists and is not custom (a catalog behavior), or a racing insert won.
        if (isDuplicateKey(err)) return (await col.findOne({ _id: key(b.accountId, b.id) }))?.custom === true;
        throw err;
      }
    },
    async deleteCustom(accountId, id) {
      const r = await col.deleteOne({ _id: key(accountId, id), custom: true });
      if (r.deletedCount === 1) return 'deleted';
      return (await col.findOne({ _id: key(accountId, id) })) ? 'not_custom' : 'not_found';
    },
  };
}
