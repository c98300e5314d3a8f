import type { Subscription, SubscriptionStore } from '../storage/inbound-ports.js';
import { revisionCache } from '../storage/revision-cache.js';

/**
 * Subscriptions as the push endpoint reads them: read whole only when their revision changed
 * (`SubscriptionStore.revision`, a short read) instead of on every SET (the whole row and a parse
 * of its managed configuration); or not read at all (`kept`) when the SET's store confirms the
 * revision (`ReceivedSetStore.insert`). A change made anywhere applies to the next SET.
 */
export function subscriptionCache(store: SubscriptionStore) {
  return revisionCache<Subscription>({ revision: (a, id) => store.revision(a, id), load: (a, id) => store.get(a, id) });
}
