/** Entries held at most (more are rebuilt): an account has a handful of sources and subscriptions. */
const MAX_HELD = 10_000;

/**
 * What a hot path derives from a stored record (a source with its secret opened, a subscription),
 * rebuilt only when the record's revision changed: each use pays a short revision read instead
 * of the whole record and the work derived from it. A change made anywhere — this process,
 * another instance on the same MongoDB, the CLI beside the server — applies to the next use.
 */
export function revisionCache<T>(source: {
  /** The record's revision, null when it does not exist (SourceStore.revision, SubscriptionStore.revision). */
  revision(accountId: string, id: string): Promise<string | null>;
  /** Reads the record and derives what is kept; null when it does not exist. */
  load(accountId: string, id: string): Promise<T | null>;
}): { current(accountId: string, id: string): Promise<T | null> } {
  const held = new Map<string, { revision: string; value: T }>();
  return {
    async current(accountId, id) {
      const key = `${accountId}/${id}`;
      const revision = await source.revision(accountId, id);
      if (revision === null) {
        held.delete(key);
        return null;
      }
      const hit = held.get(key);
      if (hit?.revision === revision) return hit.value;
      const value = await source.load(accountId, id);
      if (value === null) return null;
      // Kept under the revision read first: if the record changed in between, the next use sees
      // a newer revision and loads it again.
      if (held.size >= MAX_HELD) held.clear();
      held.set(key, { revision, value });
      return value;
    },
  };
}
