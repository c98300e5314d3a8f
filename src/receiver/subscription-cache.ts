import type { Subscription, SubscriptionStore } from '../storage/inbound-ports.js';

/** Subscriptions held at most (more are read again): each account has a handful. */
const MAX_HELD = 10_000;

/**
 * Subscriptions as the push endpoint reads them: each read at most once per `ttlMs`, instead of
 * once per SET (a read and a JSON parse of its managed configuration). `store` writes through to
 * the real store and forgets what it changed at once, so a change made by this process — a
 * status set to error, a deletion, a consumed state, a new last-event time — is seen by the
 * next SET; a change made elsewhere (another instance on the same MongoDB, the CLI beside the
 * server) within `ttlMs`.
 */
export function subscriptionCache(real: SubscriptionStore, ttlMs: number): {
  store: SubscriptionStore;
  /** The subscription as of at most `ttlMs` ago (null when it does not exist: never held). */
  held(accountId: string, id: string): Promise<Subscription | null>;
} {
  const entries = new Map<string, { sub: Subscription; until: number }>();
  const keyOf = (accountId: string, id: string) => `${accountId}/${id}`;
  /** Runs a write, then forgets the subscription it touched (also when the write failed: it may have happened). */
  const forgetting = async <T>(accountId: string, id: string, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } finally {
      entries.delete(keyOf(accountId, id));
    }
  };
  const store: SubscriptionStore = {
    insert: (s) => forgetting(s.accountId, s.id, () => real.insert(s)),
    get: (accountId, id) => real.get(accountId, id),
    list: (accountId) => real.list(accountId),
    update: (s) => forgetting(s.accountId, s.id, () => real.update(s)),
    consumeState: (accountId, id, state, at) => forgetting(accountId, id, () => real.consumeState(accountId, id, state, at)),
    touchLastEvent: (accountId, id, at) => forgetting(accountId, id, () => real.touchLastEvent(accountId, id, at)),
    setLastError: (accountId, id, lastError) => forgetting(accountId, id, () => real.setLastError(accountId, id, lastError)),
    delete: (accountId, id) => forgetting(accountId, id, () => real.delete(accountId, id)),
  };
  return {
    store,
    async held(accountId, id) {
      const key = keyOf(accountId, id);
      const now = Date.now();
      const hit = entries.get(key);
      if (hit && hit.until > now) return hit.sub;
      const sub = await real.get(accountId, id);
      if (!sub) {
        entries.delete(key);
        return null;
      }
      if (entries.size >= MAX_HELD) entries.clear();
      entries.set(key, { sub, until: now + ttlMs });
      return sub;
    },
  };
}
