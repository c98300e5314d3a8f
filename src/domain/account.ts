/** Account ids are tenants' names in every URL: lowercase, URL-safe, at most 64 characters. */
export const ACCOUNT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A tenant. Every other record carries its `accountId`. */
export interface Account {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly settings: AccountSettings;
}

/** Per-account settings. */
export interface AccountSettings {
  /**
   * Risk decay window in seconds (our extension): events older than this stop counting. Null
   * (default) keeps Cloudflare's behaviour, where only a reset lowers a score.
   */
  readonly decayWindowSeconds: number | null;
  /**
   * SSF §7.1 `default_subjects` of the account's transmitter: `ALL` sends every user's events on
   * every stream; `NONE` only those matching subjects a receiver added.
   */
  readonly ssfDefaultSubjects: 'ALL' | 'NONE';
}

export const DEFAULT_ACCOUNT_SETTINGS: AccountSettings = { decayWindowSeconds: null, ssfDefaultSubjects: 'ALL' };

/** True when `id` is a well-formed account id. */
export function isAccountId(id: unknown): id is string {
  return typeof id === 'string' && ACCOUNT_ID_PATTERN.test(id);
}
