/*
 * Ports of the SSF receiver (receiver issue): transmitters riskwire subscribes to, and every SET
 * they send. Same conventions as ports.ts.
 */

/** A transmitter riskwire receives SETs from. */
export interface Subscription {
  readonly accountId: string;
  /** Also the last path segment of the push endpoint. */
  readonly id: string;
  readonly mode: 'static' | 'managed';
  /** The transmitter's issuer: every SET's `iss` must equal it exactly (SSF §4.1.6). */
  readonly issuer: string;
  readonly jwksUri: string;
  /** The `aud` riskwire expects in SETs. */
  readonly audience: string;
  /** Managed mode: the stream id at the transmitter. */
  readonly streamId: string | null;
  /** Managed mode: the SecretBox-sealed Authorization header value the transmitter must send. */
  readonly pushAuthorizationSealed: string | null;
  /** Managed mode: where the transmitter's API is and how riskwire authenticates to it. */
  readonly managed: ManagedTransmitter | null;
  /** `state` values of verification requests riskwire sent and has not seen answered. */
  readonly pendingStates: readonly string[];
  readonly status: 'active' | 'error';
  readonly lastError: string | null;
  readonly verifiedAt: Date | null;
  readonly lastEventAt: Date | null;
  readonly createdAt: Date;
}

/** What riskwire needs to manage its stream at a transmitter (SSF §8, CAEP interop §2.7). */
export interface ManagedTransmitter {
  readonly configurationEndpoint: string;
  readonly statusEndpoint: string | null;
  readonly verificationEndpoint: string | null;
  readonly addSubjectEndpoint: string | null;
  readonly removeSubjectEndpoint: string | null;
  readonly delivery: 'push' | 'poll';
  /** Poll delivery: the transmitter's endpoint_url, POSTed verbatim (RFC 8936). */
  readonly pollEndpoint: string | null;
  /** SecretBox-sealed JSON `{client_id, client_secret, token_endpoint, scope}` or `{access_token}`. */
  readonly authSealed: string;
  /** The transmitter's `critical_subject_members` (SSF §3.6, §7.1); absent in subscriptions registered before it was kept. */
  readonly criticalSubjectMembers?: readonly string[];
}

export interface SubscriptionStore {
  insert(s: Subscription): Promise<void>;
  get(accountId: string, id: string): Promise<Subscription | null>;
  /**
   * A value that changes whenever what the push endpoint reads of the subscription changes — mode,
   * issuer, keys, audience, stream, push credential, managed settings, status — and null once it
   * is deleted (or never was): a cheap read that lets the push endpoint keep the subscription it
   * read until it changes, wherever changed.
   */
  revision(accountId: string, id: string): Promise<string | null>;
  list(accountId: string): Promise<Subscription[]>;
  /** Replaces the mutable fields. False when absent. */
  update(s: Subscription): Promise<boolean>;
  /**
   * Consumes one pending verification state and records the verification at `at`, atomically
   * (SSF §8.1.4): false, changing nothing, when the state is not pending (never sent, or used
   * by a concurrent delivery). Touches no other field, so it never undoes a concurrent write.
   */
  consumeState(accountId: string, id: string, state: string, at: Date): Promise<boolean>;
  /** Moves `last_event_at` forward to `at` (never back). Touches no other field. */
  touchLastEvent(accountId: string, id: string, at: Date): Promise<void>;
  /** Sets `last_error` (null clears it). Touches no other field. */
  setLastError(accountId: string, id: string, lastError: string | null): Promise<void>;
  delete(accountId: string, id: string): Promise<boolean>;
}

/** One SET as received, kept for investigation (receiver issue: "Every received SET is kept"). */
export interface ReceivedSet {
  readonly accountId: string;
  readonly subscriptionId: string;
  readonly jti: string;
  readonly issuer: string;
  readonly eventType: string;
  /** The subject as received (sub_id or the event's `subject`). */
  readonly subject: Readonly<Record<string, unknown>> | null;
  /** The decoded claims (no signature), for processing and investigation. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly receivedAt: Date;
  /** pending → processed (scored or ignored, see `outcome`). */
  readonly state: 'pending' | 'processed';
  readonly outcome: string | null;
}

export interface ReceivedSetStore {
  /**
   * Stores a SET accepted from a transmitter. Idempotent by (subscription, jti): a repeat returns
   * false and changes nothing (RFC 8935 §2: a redelivery is answered as new, processed once).
   * With `subscriptionRevision` (SubscriptionStore.revision, read when the caller took the
   * subscription it verified the SET with), nothing is stored unless the subscription still has
   * it: 'stale' when it changed or is gone, so the push path confirms the subscription it kept in
   * the write it makes anyway instead of with a read per SET.
   */
  insert(r: ReceivedSet, subscriptionRevision?: string): Promise<boolean | 'stale'>;
  /** Whether the subscription already received this jti (another account's never counts). */
  has(accountId: string, subscriptionId: string, jti: string): Promise<boolean>;
  /**
   * Records what processing did to each SET, once: a SET no longer pending keeps its first outcome
   * (two scorers racing — a queue and a recovery sweep — must not turn "accepted" into
   * "duplicate"). One write for all of them on SQLite; one round trip on MongoDB, each item
   * applied on its own.
   */
  markProcessed(outcomes: ReadonlyArray<{ accountId: string; subscriptionId: string; jti: string; outcome: string }>): Promise<void>;
  /** SETs stored but not yet processed (a crash between storing and processing), oldest first. */
  pending(limit: number): Promise<ReceivedSet[]>;
  /** A subscription's SETs, newest first. */
  list(accountId: string, subscriptionId: string, limit: number): Promise<ReceivedSet[]>;
}
