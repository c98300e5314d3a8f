import type { Clock } from '../domain/clock.js';
import { applyDecay } from '../domain/risk.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/ports.js';
import type { AccountSettingsCache } from './account-settings.js';

type DecayDeps = { storage: Storage; settings: AccountSettingsCache; now: Clock; logger: Logger };

/** Users of one page decayed at once: their writes share group commits (SQLite) and round trips (MongoDB). */
const CONCURRENCY = 50;

/**
 * One pass of the decay scheduler (our extension): lowers the level of every user whose highest
 * counted event has aged out of the account's decay window. Works through due users a page
 * (`limit`) at a time while pages come back full, for at most `budgetMs`, so switching a window on
 * for many scored users drains in minutes rather than one page per pass. Returns how many users
 * changed.
 */
export async function runDecayPass(deps: DecayDeps, limit = 500, budgetMs = 2000): Promise<number> {
  const started = Date.now();
  let changed = 0;
  for (;;) {
    const due = await deps.storage.risk.dueForDecay(deps.now(), limit);
    for (let i = 0; i < due.length; i += CONCURRENCY) {
      const done = await Promise.all(due.slice(i, i + CONCURRENCY).map((u) => decayUser(deps, u.accountId, u.userId)));
      changed += done.filter(Boolean).length;
    }
    // A user whose events changed meanwhile stays due and comes back: the budget bounds that too.
    if (due.length < limit || Date.now() - started >= budgetMs) return changed;
  }
}

/** Decays one user if due; true when its level changed. */
async function decayUser(deps: DecayDeps, accountId: string, userId: string): Promise<boolean> {
  const { decayWindowSeconds } = await deps.settings.get(accountId);
  const user = await deps.storage.users.get(accountId, userId);
  if (!user) return false;
  const now = deps.now();
  if (decayWindowSeconds === null) {
    // Decay was switched off: stop checking this user; the level stays (Cloudflare semantics).
    await deps.storage.risk.transition(accountId, userId, (s) => ({ state: { ...s, decayCheckAt: null }, change: null }));
    return false;
  }
  const windowMs = decayWindowSeconds * 1000;
  const since = new Date(Math.max(now.getTime() - windowMs, user.lastResetAt?.getTime() ?? 0) - 1);
  const events = await deps.storage.risk.eventsSince(accountId, userId, since);
  const r = await deps.storage.risk.transition(accountId, userId, (s) =>
    // An event applied after the read above makes the list stale: leave it to the next pass.
    s.eventCount !== user.eventCount ? { state: s, change: null } : applyDecay(s, events, windowMs, now),
  );
  if (!r?.change) return false;
  deps.logger.info('risk level decayed', { account: accountId, user_id: userId, previous: r.change.previous, current: r.change.current });
  return true;
}
