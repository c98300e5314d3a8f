import type { Clock } from '../domain/clock.js';
import { applyDecay } from '../domain/risk.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/ports.js';
import type { AccountSettingsCache } from './account-settings.js';

/**
 * One pass of the decay scheduler (our extension): lowers the level of every user whose highest
 * counted event has aged out of the account's decay window. Returns how many users changed.
 */
export async function runDecayPass(deps: { storage: Storage; settings: AccountSettingsCache; now: Clock; logger: Logger }, limit = 500): Promise<number> {
  let changed = 0;
  for (const { accountId, userId } of await deps.storage.risk.dueForDecay(deps.now(), limit)) {
    const { decayWindowSeconds } = await deps.settings.get(accountId);
    const user = await deps.storage.users.get(accountId, userId);
    if (!user) continue;
    const now = deps.now();
    if (decayWindowSeconds === null) {
      // Decay was switched off: stop checking this user; the level stays (Cloudflare semantics).
      await deps.storage.risk.transition(accountId, userId, (s) => ({ state: { ...s, decayCheckAt: null }, change: null }));
      continue;
    }
    const windowMs = decayWindowSeconds * 1000;
    const since = new Date(Math.max(now.getTime() - windowMs, user.lastResetAt?.getTime() ?? 0) - 1);
    const events = await deps.storage.risk.eventsSince(accountId, userId, since);
    const r = await deps.storage.risk.transition(accountId, userId, (s) =>
      // An event applied after the read above makes the list stale: leave it to the next pass.
      s.eventCount !== user.eventCount ? { state: s, change: null } : applyDecay(s, events, windowMs, now),
    );
    if (r?.change) {
      changed++;
      deps.logger.info('risk level decayed', { account: accountId, user_id: userId, previous: r.change.previous, current: r.change.current });
    }
  }
  return changed;
}
