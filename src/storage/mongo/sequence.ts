import type { Db } from 'mongodb';
import { isDuplicateKey } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';

/**
 * A sequence whose numbers only grow, across every instance sharing the database: a number
 * handed out after another was handed out is larger. The outbox orders SETs about one subject by
 * it, so that guarantee is what keeps per-subject order when several instances enqueue.
 *
 * A counter document with `$inc` would do on MongoDB, but FerretDB 1.x on SQLite does not
 * isolate concurrent updates of one document: two instances' `$inc` lose updates, hand out the
 * same number twice, and a stale write can even move the counter back (docs/storage.md). What
 * every such server does enforce atomically is a unique index — `_id` included. So each number
 * is *claimed* by inserting `{_id: "<name>:<n>"}` into `sequence_claims`:
 * - the insert succeeds for exactly one caller (E11000 for every other), so no number is handed
 *   out twice;
 * - claims are never deleted, and a caller starts at `hint + 1` and walks up one number at a time
 *   past taken ones, where `hint` is at most the largest claimed number. By induction the
 *   claimed numbers are always exactly 1..M with no gap, so the number a caller wins is M + 1:
 *   larger than every number claimed before its first attempt. That is the monotonicity.
 * (A database from before this scheme has only the counter: the numbers up to it count as
 * claimed, and the walk starts above them.) The hint (`counters.<name>`) is only raised with `$max`. Where `$max` loses an update it can
 * lag, never lead, the largest claim: the walk then costs a few more failed inserts, no more.
 * Claims of one process are serialized (a mutex), so walking only happens between instances.
 */
export function monotonicSequence(db: Db, name: string): { next(): Promise<number> } {
  const claims = db.collection<{ _id: string }>('sequence_claims');
  const counters = db.collection<{ _id: string; value: number }>('counters');
  const lock = new KeyedMutex();
  const hint = async () => (await counters.findOne({ _id: name }))?.value ?? 0;
  return {
    next: () =>
      lock.run(name, async () => {
        let n = (await hint()) + 1;
        for (let tries = 1; ; tries++) {
          try {
            await claims.insertOne({ _id: `${name}:${n}` });
            break;
          } catch (err) {
            if (!isDuplicateKey(err)) throw err;
          }
          // Far behind (another instance is busy): catch up from the hint, which stays ≤ the
          // largest claim, so no gap is left behind.
          n = tries % 16 === 0 ? Math.max(n + 1, (await hint()) + 1) : n + 1;
        }
        try {
          await counters.updateOne({ _id: name }, { $max: { value: n } }, { upsert: true });
        } catch (err) {
          // Two first upserts of the counter raced; the other one created it. It is only a hint.
          if (!isDuplicateKey(err)) throw err;
        }
        return n;
      }),
  };
}
