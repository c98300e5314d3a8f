import type { Subscription, SubscriptionStore } from '../storage/inbound-ports.js';

/** Subscriptions held at most (more are read again): each account has a handful. */
const MAX_HELD = 10_000;

/**
 * Subscriptions as the push endpoint reads them: read whole only when their revision changed
 * (`SubscriptionStore.revision`, a short read) instead of on every SET (the whole row and a parse
 * of its managed configuration). A change made anywhere — this process, another instance on the
 * same MongoDB, the CLI beside the server — applies to the next SET.
 */
export function subscriptionCache(store: SubscriptionStore): {
  /** The subscription as it is now (null when it does not exist). */
  current(accountId: string, id: string): Promise<Subscription | null>;
} {
  const held = new Map<string, { revision: string; sub: Subscription }>();
  return {
    async current(accountId, id) {
      const key = `${accountId}/${id}`;
      const revision = await store.revision(accountId, id);
      if (revision === null) {
        held.delete(key);
        return null;
      }
      const hit = held.get(key);
      if (hit?.revision === revision) return hit.sub;
      const sub = await store.get(accountId, id);
      if (!sub) return null;
      // Kept under the revision read first: if the subscription changed in between, the next SET
      // sees a newer revision and reads it again.
      if (held.size >= MAX_HELD) held.clear();
      held.set(key, { revision, sub });
      return sub;
    },
  };
}
