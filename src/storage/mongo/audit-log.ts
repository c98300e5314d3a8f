import type { Db } from 'mongodb';
import type { AuditEntry } from '../../domain/audit.js';
import type { AuditLogStore } from '../ports.js';
import { isDuplicateKey } from './errors.js';

interface Doc {
  _id: string;
  account_id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  /** Insertion order tie-breaker for entries in the same millisecond. */
  seq: number;
}

/** Indexes this port relies on; created at start. */
export async function ensureAuditLogIndexes(db: Db): Promise<void> {
  await db.collection<Doc>('audit_log').createIndex({ account_id: 1, at: -1, seq: -1 }, { name: 'by_account_time' });
}

let lastSeq = 0;
/** Monotonic within a process; across processes `at` orders and this only breaks ties. */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

async function upsertIgnoringRace(op: () => Promise<unknown>): Promise<void> {
  try {
    await op();
  } catch (err) {
    // A racing append of the same id already stored it: append is idempotent.
    if (!isDuplicateKey(err)) throw err;
  }
}

/** AuditLogStore on MongoDB. */
export function mongoAuditLogStore(db: Db): AuditLogStore {
  const col = db.collection<Doc>('audit_log');
  return {
    async append(e) {
      await upsertIgnoringRace(() => col.updateOne(
        { _id: e.id },
        {
          $setOnInsert: {
            account_id: e.accountId,
            at: e.at,
            actor: e.actor,
            action: e.action,
            target: e.target,
            details: { ...e.details },
            seq: nextSeq(),
          },
        },
        { upsert: true },
      ));
    },
    async list(accountId, opts = {}) {
      const docs = await col
        .find({ account_id: accountId })
        .sort({ at: -1, seq: -1 })
        .limit(opts.limit ?? 100)
        .toArray();
      return docs.map(
        (d): AuditEntry => ({
          id: d._id,
          accountId: d.account_id,
          at: d.at,
          actor: d.actor,
          action: d.action,
          // FerretDB omits fields upserted as null; absent and null mean the same here.
          target: d.target ?? null,
          details: d.details,
        }),
      );
    },
  };
}
