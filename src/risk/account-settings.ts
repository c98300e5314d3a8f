import type { AccountSettings } from '../domain/account.js';
import { DEFAULT_ACCOUNT_SETTINGS } from '../domain/account.js';
import type { Clock } from '../domain/clock.js';
import type { Storage } from '../storage/ports.js';

/** How long a process trusts its copy of an account's settings (changes by another instance). */
const TTL_MS = 5000;

/** Per-account settings with a short in-process cache: read on every signal, changed rarely. */
export interface AccountSettingsCache {
  get(accountId: string): Promise<AccountSettings>;
  /** The cached copy, if any, without reading the store (for synchronous callers). */
  peek(accountId: string): AccountSettings | undefined;
  /** Drops the cached copy (after this process changed the settings). */
  invalidate(accountId: string): void;
}

export function accountSettingsCache(storage: Storage, now: Clock): AccountSettingsCache {
  const cache = new Map<string, { at: number; settings: AccountSettings }>();
  return {
    async get(accountId) {
      const hit = cache.get(accountId);
      const t = now().getTime();
      if (hit && t - hit.at < TTL_MS) return hit.settings;
      const settings = (await storage.accounts.get(accountId))?.settings ?? DEFAULT_ACCOUNT_SETTINGS;
      cache.set(accountId, { at: t, settings });
      return settings;
    },
    peek(accountId) {
      return cache.get(accountId)?.settings;
    },
    invalidate(accountId) {
      cache.delete(accountId);
    },
  };
}
