import type { Db } from 'mongodb';
import { isDuplicateKey } from './errors.js';

/**
 * Leases on outbox rows, for push workers on several instances (ARCHITECTURE "Scale-out").
 *
 * Why not a compare-and-set on the outbox row (`updateOne({_id, lease_until < now}, {$set:
 * {lease_owner}})`)? On MongoDB that is atomic, but FerretDB 1.x on SQLite evaluates the filter
 * and writes the whole document in separate steps: with that claim, four workers of two
 * instances leased 3 to 10 of 30 SETs twice, and two riskwire processes sent 38 to 46 of 300 SETs
 * twice (docs/storage.md).
 * What such servers do enforce atomically is a unique index; `_id` is one.
 *
 * So a lease is a document of its own, `{_id: "<jti>#<gen>"}`, and claiming is `insertOne`:
 * - `gen` counts the claims of the SET. A claimer reads the latest lease (and the row's
 *   `lease_gen`, the generation that last gave it back) and inserts generation latest + 1. For a
 *   given latest, exactly one insert succeeds (E11000 for the rest): one winner, on any server.
 * - A live lease (not expired) is never claimed over. An expired one is taken over the same way,
 *   by inserting the next generation: no delete or update of the dead instance's document.
 *   Race: B and C both see A's expired `j#3`; both insert `j#4`; one gets E11000 and skips.
 * - Lease documents are never updated: inserted by their claimer, deleted by the holder when it
 *   gives the SET back, or by a claimer that does not keep what it won. Only a holder writes the
 *   row's delivery fields. No document has two writers racing on FerretDB's non-isolated updates.
 * - Giving back (finish, retry) writes the row first (attempts, next attempt, state and
 *   `lease_gen`), then deletes the SET's leases. So a claimer that finds no live lease and wins
 *   the insert sees that row update when it re-reads the row.
 * - A claimer acting on stale reads can still win an insert: a generation deleted on give-back,
 *   or one below a newer claim. So after winning it re-reads, and keeps the lease only if it is
 *   the SET's latest, above the row's `lease_gen`, and the row is still pending and due;
 *   otherwise it deletes its lease and the SET is not claimed by it.
 * - Finishing or retrying first checks that the caller's lease is still the latest. When A's
 *   lease expired and B took it over, A's finish finds `j#4` and returns false, writing nothing.
 * What remains is the abnormal case leases exist for: an instance alive but past its lease
 * (frozen longer than RISKWIRE_PUSH_LEASE_MS, or clocks further apart than that). If A checks
 * just before B takes over and writes the row just after B re-read it, both send the SET: a
 * duplicate with the same jti, never a lost SET (A writes only the outcome of its own attempt).
 */
export interface LeaseDoc {
  /** `<jti>#<gen>`: the unique index that makes a claim atomic. */
  _id: string;
  jti: string;
  gen: number;
  account_id: string;
  stream_id: string;
  /** The push worker holding it (pid and random suffix). */
  owner: string;
  /** Expiry, by the claimer's clock. */
  until: Date;
}

/** Whether the lease still holds at `now`; an expired lease may be taken over. */
export const leaseIsLive = (l: LeaseDoc, now: Date): boolean => l.until >= now;

/** Indexes the lease collection relies on. */
export async function ensureLeaseIndexes(db: Db): Promise<void> {
  const col = db.collection<LeaseDoc>('outbox_leases');
  await col.createIndex({ jti: 1, gen: -1 }, { name: 'by_jti' });
  await col.createIndex({ account_id: 1, stream_id: 1 }, { name: 'by_stream' });
}

/** The lease collection's operations; the rules are in the comment above. */
export function outboxLeases(db: Db) {
  const col = db.collection<LeaseDoc>('outbox_leases');
  const latest = async (jtis: readonly string[]): Promise<Map<string, LeaseDoc>> => {
    const out = new Map<string, LeaseDoc>();
    if (!jtis.length) return out;
    for (const l of await col.find({ jti: { $in: [...jtis] } }).toArray()) {
      const seen = out.get(l.jti);
      if (!seen || l.gen > seen.gen) out.set(l.jti, l);
    }
    return out;
  };
  return {
    /** The latest lease of each SET that has one. */
    latest,
    /** Inserts generation `gen`; the lease, or null when another claimer inserted it first. */
    async take(row: { jti: string; accountId: string; streamId: string }, gen: number, owner: string, until: Date): Promise<LeaseDoc | null> {
      const doc: LeaseDoc = { _id: `${row.jti}#${gen}`, jti: row.jti, gen, account_id: row.accountId, stream_id: row.streamId, owner, until };
      try {
        await col.insertOne(doc);
        return doc;
      } catch (err) {
        if (isDuplicateKey(err)) return null;
        throw err;
      }
    },
    /** The lease `owner` holds on the SET: the latest one, if it is theirs (expired or not). */
    async heldBy(jti: string, owner: string): Promise<LeaseDoc | null> {
      const l = (await latest([jti])).get(jti);
      return l && l.owner === owner ? l : null;
    },
    /** Deletes every lease of the SET (after its row recorded the outcome). */
    async release(jti: string): Promise<void> {
      await col.deleteMany({ jti });
    },
    /** Deletes one lease its claimer won on stale information and does not keep. */
    async abandon(l: LeaseDoc): Promise<void> {
      await col.deleteOne({ _id: l._id });
    },
    /** Deletes the leases of a deleted stream. */
    async dropStream(accountId: string, streamId: string): Promise<void> {
      await col.deleteMany({ account_id: accountId, stream_id: streamId });
    },
  };
}
