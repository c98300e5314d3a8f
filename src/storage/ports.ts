import type { Account, AccountSettings } from '../domain/account.js';
import type { ApiToken } from '../domain/api-token.js';
import type { AuditEntry } from '../domain/audit.js';
import type { BehaviorStore, RiskStore, UserStore } from './risk-ports.js';
import type { ReceivedSetStore, SubscriptionStore } from './inbound-ports.js';
import type { SourceStore } from './source-ports.js';
import type { IntegrationStore, OutboxStore, ReceiverStore, SigningKeyStore, StreamStore } from './ssf-ports.js';

/*
 * Storage ports, one per aggregate (ARCHITECTURE "Storage"). Adapters (sqlite/, mongo/) implement
 * them; nothing outside an adapter sees a driver type, a row or an ObjectId. Every method that
 * reads or writes tenant data takes the account id and filters on it.
 *
 * Conventions, for every port:
 * - "not found" is `null` (single reads) or `false` (writes), never an exception;
 * - exceptions mean the store itself failed (unreachable, corrupt) and surface as 503/500;
 * - times are Date objects with millisecond precision.
 */

/** Accounts (tenants). */
export interface AccountStore {
  /**
   * Inserts the account. Idempotent by id: returns `false` (and changes nothing) when an account
   * with this id already exists, `true` when it was created.
   */
  create(account: Account): Promise<boolean>;
  /** The account, or `null`. */
  get(id: string): Promise<Account | null>;
  /** Every account, ordered by id ascending. Operator-only (CLI); never exposed across tenants over HTTP. */
  list(): Promise<Account[]>;
  /** Replaces the account's settings. Returns false when the account does not exist. */
  updateSettings(id: string, settings: AccountSettings): Promise<boolean>;
}

/** API tokens. Only hashes are stored. */
export interface ApiTokenStore {
  /** Inserts a new token. Ids and hashes are unique; a duplicate of either throws (programming error). */
  insert(token: ApiToken): Promise<void>;
  /**
   * Inserts the token or, when a token with the same id exists, replaces its hash, name and scopes
   * and clears `revokedAt` (used for the environment's bootstrap token, whose value may change).
   */
  upsert(token: ApiToken): Promise<void>;
  /**
   * The token whose hash is `tokenHash`, revoked or not, or `null`. This is the one lookup not
   * scoped by account: the token itself names its account.
   */
  findByHash(tokenHash: string): Promise<ApiToken | null>;
  /** The account's token with this id, or `null` (also when it belongs to another account). */
  get(accountId: string, id: string): Promise<ApiToken | null>;
  /** A token by id alone, or `null`. Operator-only (CLI `tokens revoke <id>`). */
  getById(id: string): Promise<ApiToken | null>;
  /** The account's tokens, revoked ones included, oldest first. */
  list(accountId: string): Promise<ApiToken[]>;
  /**
   * Marks the account's token revoked at `at`. Returns `false` when no such token exists in the
   * account; revoking an already revoked token returns `true` and keeps the first revocation time.
   */
  revoke(accountId: string, id: string, at: Date): Promise<boolean>;
  /** Records use. Monotonic: never moves `lastUsedAt` backwards. No-op for unknown ids. */
  touch(id: string, at: Date): Promise<void>;
}

/** Append-only audit log. */
export interface AuditLogStore {
  /** Appends an entry. Ids are unique; appending the same id twice keeps the first (idempotent). */
  append(entry: AuditEntry): Promise<void>;
  /** The account's entries, newest first, at most `limit` (default 100). */
  list(accountId: string, opts?: { limit?: number }): Promise<AuditEntry[]>;
}

/** Every port of one backend, plus its lifecycle. */
export interface Storage {
  readonly kind: 'sqlite' | 'mongodb';
  readonly accounts: AccountStore;
  readonly apiTokens: ApiTokenStore;
  readonly auditLog: AuditLogStore;
  readonly behaviors: BehaviorStore;
  readonly users: UserStore;
  readonly risk: RiskStore;
  readonly signingKeys: SigningKeyStore;
  readonly receivers: ReceiverStore;
  readonly streams: StreamStore;
  readonly outbox: OutboxStore;
  readonly integrations: IntegrationStore;
  readonly subscriptions: SubscriptionStore;
  readonly receivedSets: ReceivedSetStore;
  readonly sources: SourceStore;
  /** Resolves when the store answers a trivial query; rejects otherwise (used by /readyz). */
  ping(): Promise<void>;
  /** Releases connections and file handles. Safe to call twice. */
  close(): Promise<void>;
}
