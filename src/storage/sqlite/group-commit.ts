import type { SqliteDb } from './open-database.js';

/**
 * Group commit for the embedded store. On SQLite every commit writes each page it dirtied to the
 * WAL (users, events and their indexes: tens of pages per scored signal); committing the write
 * transactions that arrive within one turn of the event loop together writes each shared page
 * once. That is most of the cost of a busy intake (docs/benchmarks.md, ingest).
 *
 * Each queued write runs in its own SAVEPOINT inside one `BEGIN IMMEDIATE` transaction, in the
 * order queued: a write that throws rolls back only itself and rejects only its caller, exactly
 * as its own transaction would have (so a queued write needs no transaction of its own).
 * Callers are answered after the COMMIT, so nothing is reported stored before it is durable (by
 * the database's `synchronous` setting); if the COMMIT fails, every write of the group rejects.
 * A write that is queued and not yet committed is invisible to readers, as a transaction not yet
 * begun would be: every check-then-write must therefore happen inside the queued function (they
 * all do: inserts are guarded by constraints, updates by their WHERE).
 */
export interface GroupCommit {
  /** Runs `write` (synchronous SQLite work) in the next group and resolves with its result once committed. */
  run<T>(write: () => T): Promise<T>;
  /** Commits what is queued now (before closing the database). */
  flushNow(): void;
}

/** Bounds one group so a burst cannot hold the write lock (and the event loop) for long. */
const MAX_GROUP = 256;

interface Pending {
  write: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  ok?: boolean;
  value?: unknown;
  error?: unknown;
}

/** Raised inside the group when SQLite itself rolled the whole transaction back (disk full, I/O error). */
class GroupAborted extends Error {}

export function groupCommit(db: SqliteDb): GroupCommit {
  let queue: Pending[] = [];
  let scheduled = false;
  const savepoint = db.transaction((write: () => unknown) => write());
  const commitGroup = db.transaction((group: Pending[]) => {
    for (const p of group) {
      try {
        p.value = savepoint(p.write);
        p.ok = true;
      } catch (err) {
        // Some errors (SQLITE_FULL, IOERR, NOMEM) make SQLite roll back the whole transaction:
        // the group's earlier writes are gone too, so none of it may be reported as stored.
        if (!db.inTransaction) throw new GroupAborted('the transaction was rolled back by SQLite', { cause: err });
        p.error = err;
      }
    }
  });

  const flush = () => {
    scheduled = false;
    const group = queue.length > MAX_GROUP ? queue.splice(0, MAX_GROUP) : queue;
    if (group === queue) queue = [];
    if (queue.length) schedule();
    try {
      commitGroup.immediate(group);
    } catch (err) {
      const cause = err instanceof GroupAborted ? err.cause : err;
      for (const p of group) p.reject(cause);
      return;
    }
    for (const p of group) {
      if (p.ok) p.resolve(p.value);
      else p.reject(p.error);
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    run<T>(write: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ write, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    flushNow() {
      while (queue.length) flush();
    },
  };
}
