import type { Db } from 'mongodb';
import type { Account } from '../../domain/account.js';
import type { AccountStore } from '../ports.js';
import { isDuplicateKey } from './errors.js';

interface Doc {
  _id: string;
  name: string;
  created_at: Date;
  decay_window_s?: number | null;
  ssf_default_subjects?: 'ALL' | 'NONE';
}

const toAccount = (d: Doc): Account => ({
  id: d._id,
  name: d.name,
  createdAt: d.created_at,
  settings: { decayWindowSeconds: d.decay_window_s ?? null, ssfDefaultSubjects: d.ssf_default_subjects ?? 'ALL' },
});

/** AccountStore on MongoDB: one document per account, keyed by its id. */
export function mongoAccountStore(db: Db): AccountStore {
  const col = db.collection<Doc>('accounts');
  return {
    async create(a) {
      // Upsert with $setOnInsert: atomic create-if-absent. Two racing upserts of one _id can
      // still fail with E11000 on MongoDB; the loser simply did not create it.
      try {
        const r = await col.updateOne(
          { _id: a.id },
          { $setOnInsert: { name: a.name, created_at: a.createdAt, decay_window_s: a.settings.decayWindowSeconds, ssf_default_subjects: a.settings.ssfDefaultSubjects } },
          { upsert: true },
        );
        return r.upsertedCount === 1;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },
    async get(id) {
      const d = await col.findOne({ _id: id });
      return d ? toAccount(d) : null;
    },
    async list() {
      return (await col.find({}).sort({ _id: 1 }).toArray()).map(toAccount);
    },
    async updateSettings(id, settings) {
      const r = await col.updateOne({ _id: id }, { $set: { decay_window_s: settings.decayWindowSeconds, ssf_default_subjects: settings.ssfDefaultSubjects } });
      return r.matchedCount === 1;
    },
  };
}
