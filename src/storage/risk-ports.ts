import type { Behavior, CatalogBehavior } from '../domain/behavior.js';
import type { RiskChange, RiskEvent, Transition, UserRiskState } from '../domain/risk.js';
import type { RiskLevel } from '../domain/risk-level.js';
import type { User, UserIdentifier } from '../domain/user.js';

/*
 * Ports of the scoring engine (risk scoring issue). Same conventions as ports.ts: tenant-scoped,
 * null/false for "not found", exceptions only when the store itself fails.
 */

/** Behaviors of each account. */
export interface BehaviorStore {
  /** Inserts the catalog entries an account lacks, disabled. Existing entries are untouched. Idempotent. */
  seed(accountId: string, catalog: readonly CatalogBehavior[], at: Date): Promise<void>;
  /** The account's behaviors ordered by id. */
  list(accountId: string): Promise<Behavior[]>;
  /** One behavior, or null. */
  get(accountId: string, id: string): Promise<Behavior | null>;
  /**
   * Sets `enabled` and `riskLevel` of the given ids. Returns the ids that do not exist, in which
   * case nothing was changed.
   */
  update(accountId: string, changes: ReadonlyArray<{ id: string; enabled: boolean; riskLevel: RiskLevel }>, at: Date): Promise<string[]>;
  /** Creates or replaces a custom behavior. Returns false (and changes nothing) when a catalog behavior has the id. */
  putCustom(behavior: Behavior): Promise<boolean>;
  /** Deletes a custom behavior. */
  deleteCustom(accountId: string, id: string): Promise<'deleted' | 'not_found' | 'not_custom'>;
}

/** A user with their current risk state. */
export interface UserRecord extends User, UserRiskState {}

/** A summary row: the user without identifiers. */
export type UserSummaryRecord = Omit<UserRecord, 'identifiers'>;

export type SummaryOrder = 'timestamp' | 'event_count' | 'max_risk_level';
export type EventOrder = 'timestamp' | 'risk_level';
export interface PageRequest<O> {
  /** 1-based. */
  page: number;
  perPage: number;
  orderBy: O;
  direction: 'asc' | 'desc';
}

/** Users, their identifiers and their risk state. */
export interface UserStore {
  /** The user, or null (also for another account's user id). */
  get(accountId: string, id: string): Promise<UserRecord | null>;
  /** The id of the user an identifier belongs to, or null. */
  findByIdentifier(accountId: string, identifier: UserIdentifier): Promise<string | null>;
  /**
   * Creates the user, unscored, claiming its identifiers. When another writer claimed the first
   * identifier meanwhile, returns that user's id with `created: false` (no duplicate user).
   * Identifiers claimed by other users are skipped, never stolen.
   */
  create(user: User): Promise<{ userId: string; created: boolean }>;
  /**
   * Adds identifiers nobody has claimed yet, and fills name/email when the user has none.
   * Never moves an identifier from another user.
   */
  enrich(accountId: string, userId: string, identifiers: readonly UserIdentifier[], profile: { name?: string | null; email?: string | null }): Promise<void>;
  /** Scored users (level ≠ unscored), one page, with the total number of scored users. */
  summary(accountId: string, page: PageRequest<SummaryOrder>): Promise<{ users: UserSummaryRecord[]; total: number }>;
}

/**
 * How an event changes a user's state. It receives the event as stored: on a retry after a
 * crash that may be the first delivery's copy rather than the caller's.
 */
export type EventTransition = (state: UserRiskState, event: RiskEvent) => Transition;

/** Outcome of recording one event. */
export interface RecordOutcome {
  readonly status: 'recorded' | 'duplicate';
  /** The change the event caused, if it moved the level. */
  readonly change: RiskChange | null;
}

/** A change as the feed hands it to consumers: with its position. */
export interface FeedChange extends RiskChange {
  /** Monotonic within the store; consumers process in this order. */
  readonly seq: number;
}

/** Risk events, state transitions, and the durable feed of risk changes. */
export interface RiskStore {
  /**
   * Which of these signal ids the account already recorded an event for, each with the user the
   * event was recorded for (a repeated signal is a duplicate before anything else is decided).
   */
  knownSignals(accountId: string, signalIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * Records the event and applies `transition` to the user's state atomically, writing the change
   * it returns in the same step. Idempotent by (accountId, signalId): a repeat returns
   * `duplicate` and applies nothing. Concurrent calls for one user never lose an update.
   */
  recordEvent(event: RiskEvent, transition: EventTransition): Promise<RecordOutcome>;
  /**
   * `recordEvent` for several events, in order, with the same guarantees per event. SQLite commits
   * them in one transaction (one commit per ingest request rather than per signal); MongoDB
   * applies them one by one. Outcomes are in input order.
   */
  recordEvents(events: readonly RiskEvent[], transition: EventTransition): Promise<RecordOutcome[]>;
  /** Applies `transition` to the user's state atomically (reset, decay). Null when the user does not exist. */
  transition(accountId: string, userId: string, transition: (s: UserRiskState) => Transition): Promise<{ state: UserRiskState; change: RiskChange | null } | null>;
  /** One page of the user's events (all history, resets included) and their total. */
  listEvents(accountId: string, userId: string, page: PageRequest<EventOrder>): Promise<{ events: RiskEvent[]; total: number }>;
  /** The user's events that occurred after `since`, oldest first (decay recomputation). */
  eventsSince(accountId: string, userId: string, since: Date): Promise<RiskEvent[]>;
  /**
   * Sets the decay check time of every scored user of the account to `at`: the account's decay
   * window changed, so each is re-evaluated by the scheduler's next pass. Returns how many.
   */
  scheduleDecay(accountId: string, at: Date): Promise<number>;
  /** Users whose decay check time has come, at most `limit`. */
  dueForDecay(now: Date, limit: number): Promise<Array<{ accountId: string; userId: string }>>;
  /** Unconsumed changes, oldest first by `seq`, at most `limit`. */
  pendingChanges(limit: number): Promise<FeedChange[]>;
  /** A user's changes, consumed or not, oldest first (history and investigation). */
  changesOf(accountId: string, userId: string, limit: number): Promise<FeedChange[]>;
  /** Marks changes consumed. Idempotent; unknown ids are ignored. */
  ackChanges(ids: readonly string[], at: Date): Promise<void>;
  /**
   * Completes work a crash may have interrupted (MongoDB: events recorded but not applied, changes
   * not yet moved to the feed). Idempotent; SQLite has nothing to do.
   */
  recover(olderThan: Date, transition: EventTransition): Promise<number>;
}
