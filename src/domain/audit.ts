/** One change made to an account, kept for investigation. Append-only. */
export interface AuditEntry {
  readonly id: string;
  readonly accountId: string;
  readonly at: Date;
  /** Who did it: `token:<id>`, `cli`, `bootstrap`, `system`. */
  readonly actor: string;
  /** Dotted verb, e.g. `account.created`, `token.revoked`. */
  readonly action: string;
  /** What it was done to, e.g. a token id. */
  readonly target: string | null;
  /** Non-secret details. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** A new audit entry before the store assigns nothing further; id and time are the caller's. */
export type NewAuditEntry = AuditEntry;
