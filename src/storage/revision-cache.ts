import { errors } from '../domain/errors.js';

/** Entries held at most (more are rebuilt): an account has a handful of sources and subscriptions. */
const MAX_HELD = 10_000;

/** What is kept of a record, with the revision it was derived from. */
export interface Held<T> { readonly revision: string; readonly value: T }

/**
 * What a hot path derives from a stored record (a source with its secret opened, a subscription),
 * rebuilt only when the record's revision changed: each use pays a short revision read instead
 * of the whole record and the work derived from it — or no read at all (`kept`), when the
 * caller confirms the revision in a write it makes anyway. A change made anywhere — this
 * process, another instance on the same MongoDB, the CLI beside the server — applies to the next use.
 */
export function revisionCache<T>(source: {
  /** The record's revision, null when it does not exist (SourceStore.revision, SubscriptionStore.revision). */
  revision(accountId: string, id: string): Promise<string | null>;
  /** Reads the record and derives what is kept; null when it does not exist. */
  load(accountId: string, id: string): Promise<T | null>;
}) {
  const held = new Map<string, Held<T>>();
  const read = async (accountId: string, id: string): Promise<Held<T> | null> => {
    const key = `${accountId}/${id}`;
    for (let attempt = 1; ; attempt++) {
      const revision = await source.revision(accountId, id);
      if (revision === null) {
        held.delete(key);
        return null;
      }
      const hit = held.get(key);
      if (hit?.revision === revision) return hit;
      const value = await source.load(accountId, id);
      if (value === null) return null;
      // The revision once more: a change between the two reads would label what was loaded with
      // a revision it does not have, and a write confirming that revision would then accept it.
      if ((await source.revision(accountId, id)) !== revision) {
        if (attempt >= 3) throw errors.unavailable('the record is being changed; retry');
        continue;
      }
      if (held.size >= MAX_HELD) held.clear();
      const entry = { revision, value };
      held.set(key, entry);
      return entry;
    }
  };
  return {
    /** The record as it is now (a revision read), with the revision it was derived from. */
    read,
    /** The record's value as it is now (a revision read). */
    async current(accountId: string, id: string): Promise<T | null> {
      return (await read(accountId, id))?.value ?? null;
    },
    /**
     * What was kept for the record, without reading anything: it may be out of date, so the
     * caller must confirm its revision before acting on it (SourceStore.recordDelivery's `revision`).
     */
    kept(accountId: string, id: string): Held<T> | undefined {
      return held.get(`${accountId}/${id}`);
    },
  };
}
