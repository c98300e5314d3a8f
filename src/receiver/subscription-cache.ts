import type { Subscription, SubscriptionStore } from '../storage/inbound-ports.js';
import { revisionCache } from '../storage/revision-cache.js';

/**
 * Subscriptions as the push endpoint reads them: read whole only when their revision changed
 * (`SubscriptionStore.revision`, a short read) instead of on every SET (the whole row and a parse
 * of its managed configuration). A change made anywhere applies to the next SET.
 */
export function subscriptionCache(store: SubscriptionStore): {
  /** The subscription as it is now (null when it does not exist). */
  current(accountId: string, id: string): Promise<Subscription | null>;
} {
  return revisionCache({ revision: (a, id) => store.revision(a, id), load: (a, id) => store.get(a, id) });
}
