import type { JWK } from 'jose';

/*
 * Ports of the SSF transmitter (transmitter issue). Same conventions as ports.ts: every method is
 * scoped by account, "not found" is null/false, exceptions mean the store failed.
 */

/** An account's SET signing key. The private half is sealed with the master key. */
export interface SigningKey {
  readonly accountId: string;
  readonly kid: string;
  readonly alg: 'RS256';
  /** Public JWK with kid, alg, use. */
  readonly publicJwk: JWK;
  /** SecretBox-sealed PKCS#8 PEM, context `<account>/signing-keys/<kid>`. */
  readonly privateKeySealed: string;
  readonly createdAt: Date;
  /** Signs from this time on (pre-publication: it is in the JWKS before it signs). */
  readonly activatesAt: Date;
  /** Stops signing at this time (set when a successor is created); null while current. */
  readonly retiresAt: Date | null;
}

export interface SigningKeyStore {
  /** The account's keys, oldest first. */
  list(accountId: string): Promise<SigningKey[]>;
  /** Inserts a key; kids are unique per account (a duplicate throws). */
  insert(key: SigningKey): Promise<void>;
  /** Sets `retiresAt` on every key of the account that has none, except `keepKid`. */
  retireOthers(accountId: string, keepKid: string, at: Date): Promise<void>;
}

export type SsfScope = 'ssf.read' | 'ssf.manage';

/** A receiver: an OAuth 2.0 client of the account (CAEP interop §2.7). */
export interface Receiver {
  readonly accountId: string;
  readonly clientId: string;
  readonly name: string;
  /** The `aud` of this receiver's streams and SETs. */
  readonly audience: string;
  readonly scopes: readonly SsfScope[];
  /** Hex SHA-256 of the client secret (256 bits of entropy; shown once). */
  readonly secretHash: string;
  readonly createdAt: Date;
}

export interface ReceiverStore {
  insert(r: Receiver): Promise<void>;
  get(accountId: string, clientId: string): Promise<Receiver | null>;
  list(accountId: string): Promise<Receiver[]>;
  /** Deletes the receiver; false when absent. Its streams are deleted by the caller. */
  delete(accountId: string, clientId: string): Promise<boolean>;
}

export const PUSH = 'urn:ietf:rfc:8935';
export const POLL = 'urn:ietf:rfc:8936';
export type StreamStatus = 'enabled' | 'paused' | 'disabled';
/** Which SET shape a stream gets: SSF 1.0 / CAEP, or Okta's user-risk-change. */
export type StreamProfile = 'standard' | 'okta';

export interface StreamDelivery {
  readonly method: typeof PUSH | typeof POLL;
  readonly endpointUrl: string;
  /** SecretBox-sealed full Authorization header value for push, context `<account>/streams/<id>/authorization`. */
  readonly authorizationHeaderSealed: string | null;
}

/** An SSF event stream (SSF §8.1.1). */
export interface Stream {
  readonly accountId: string;
  readonly streamId: string;
  /** The receiver (client id) that owns it; null for streams riskwire manages itself (integrations). */
  readonly receiverId: string | null;
  readonly aud: string | readonly string[];
  readonly eventsRequested: readonly string[];
  readonly eventsDelivered: readonly string[];
  readonly description: string | null;
  readonly delivery: StreamDelivery;
  readonly status: StreamStatus;
  readonly statusReason: string | null;
  readonly profile: StreamProfile;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Last verification request, for min_verification_interval (SSF §8.1.1). */
  readonly lastVerificationAt: Date | null;
}

export interface StreamStore {
  insert(s: Stream): Promise<void>;
  /** The stream, or null (also when deleted or in another account). */
  get(accountId: string, streamId: string): Promise<Stream | null>;
  /** A receiver's streams, oldest first. */
  listByReceiver(accountId: string, receiverId: string): Promise<Stream[]>;
  /** Every stream of the account that may carry events (enabled or paused). */
  listDeliverable(accountId: string): Promise<Stream[]>;
  /** Replaces the stream's mutable fields. False when it no longer exists. */
  update(s: Stream): Promise<boolean>;
  /** Deletes the stream, its subjects and its outbox. False when absent. */
  delete(accountId: string, streamId: string): Promise<boolean>;
  /** Adds a subject (by canonical key); idempotent. */
  addSubject(accountId: string, streamId: string, key: string, subject: Readonly<Record<string, unknown>>): Promise<void>;
  /** Removes a subject; false when it was not there. */
  removeSubject(accountId: string, streamId: string, key: string): Promise<boolean>;
  /** The stream's added subjects. */
  listSubjects(accountId: string, streamId: string): Promise<Array<Readonly<Record<string, unknown>>>>;
}

/** A SET waiting in a stream's outbox. */
export interface OutboxEntry {
  readonly accountId: string;
  readonly streamId: string;
  readonly jti: string;
  /**
   * Order within the stream. Assigned by the store: a SET queued after another one was queued
   * has a larger seq, also when different instances sharing the store queued them.
   */
  readonly seq: number;
  /** Compact JWS. */
  readonly set: string;
  /** Canonical key of the SET's subject: order is kept per subject. */
  readonly subjectKey: string;
  readonly eventType: string;
  /** What produced it (a RiskChange id, a verification request id): one entry per stream and source. */
  readonly sourceId: string;
  readonly createdAt: Date;
  readonly state: 'pending' | 'delivered' | 'failed' | 'dead';
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
}

export type NewOutboxEntry = Omit<OutboxEntry, 'seq' | 'state' | 'attempts' | 'nextAttemptAt' | 'lastError'>;

export interface OutboxStore {
  /** Queues a SET. Idempotent by (stream, sourceId): a repeat returns false and changes nothing. */
  enqueue(e: NewOutboxEntry): Promise<boolean>;
  /** Pending SETs of the stream, oldest first, at most `limit`. */
  pending(accountId: string, streamId: string, limit: number): Promise<OutboxEntry[]>;
  /** Whether more than `n` SETs are pending. */
  countPending(accountId: string, streamId: string): Promise<number>;
  /** Marks SETs delivered (RFC 8936 ack). Unknown jtis are ignored; returns how many changed. */
  markDelivered(accountId: string, streamId: string, jtis: readonly string[], at: Date): Promise<number>;
  /** Marks SETs failed with the receiver's error (RFC 8936 setErrs); they are not offered again. */
  markFailed(accountId: string, streamId: string, errs: ReadonlyArray<{ jti: string; error: string }>, at: Date): Promise<number>;
  /** Drops every pending SET of the stream (a disabled stream holds nothing, SSF §8.1.2.1). */
  dropPending(accountId: string, streamId: string): Promise<number>;

  // Push delivery (RFC 8935) by workers on one or several instances:
  /**
   * Leases up to `limit` SETs due for a push attempt to `owner` until `leaseUntil`: pending, due
   * (`nextAttemptAt` ≤ now), not leased by a live lease, on an enabled push stream, and the oldest
   * pending SET of its (stream, subject) — so SETs about one subject go out in order and a later
   * one waits while an earlier one is retrying. Oldest first. Workers on several instances
   * sharing the store may claim at once: a SET is never leased to two owners while a lease on it
   * is live, and an expired lease is taken over by one claimer only.
   */
  claimDue(now: Date, owner: string, leaseUntil: Date, limit: number): Promise<OutboxEntry[]>;
  /** A failed attempt: back to pending for `nextAttemptAt`, attempts + 1, lease released. False unless `owner` holds the lease. */
  retryLater(jti: string, owner: string, nextAttemptAt: Date, error: string): Promise<boolean>;
  /** Ends a leased SET: delivered, failed (not retried) or dead (gave up). False unless `owner` holds the lease. */
  finish(jti: string, owner: string, state: 'delivered' | 'failed' | 'dead', error: string | null, at: Date): Promise<boolean>;
  /** The stream's SETs in a state, newest first, at most `limit`. */
  listByState(accountId: string, streamId: string, state: OutboxEntry['state'], limit: number): Promise<OutboxEntry[]>;
  /** Pending SETs per stream, the largest queues first, at most `limit` streams (metrics). */
  pendingCounts(limit: number): Promise<Array<{ accountId: string; streamId: string; pending: number }>>;
  /** Dead (and, when asked, failed) SETs back to pending, due now, attempts reset; only `jtis` when given. */
  redrive(accountId: string, streamId: string, jtis: readonly string[] | null, at: Date): Promise<number>;
}

/**
 * A Cloudflare-compatible risk sharing integration (vendors reference §1.3, §1.8): Okta receives
 * the account's risk changes over an `okta`-profile push stream that riskwire manages itself.
 */
export interface Integration {
  readonly accountId: string;
  /** UUIDv4. */
  readonly id: string;
  readonly integrationType: 'Okta';
  /** e.g. https://acme.okta.com, no trailing slash. */
  readonly tenantUrl: string;
  readonly referenceId: string | null;
  /** False: no risk changes are exported (the stream is disabled). */
  readonly active: boolean;
  /** The push stream (receiverId null, profile okta) that carries its SETs. */
  readonly streamId: string;
  readonly createdAt: Date;
}

export interface IntegrationStore {
  insert(i: Integration): Promise<void>;
  get(accountId: string, id: string): Promise<Integration | null>;
  /**
   * The integration with this id, in whichever account holds it, or null. Only for the public
   * configuration document under Cloudflare's URL shape, which names no account (vendors
   * reference §1.8). Ids are UUIDs riskwire generates, so one id is one integration; should two
   * accounts ever hold the same id, null: an ambiguous id must not pick one account's document.
   */
  getById(id: string): Promise<Integration | null>;
  /** The account's integration with this reference id (the first created, if several), or null. */
  getByReference(accountId: string, referenceId: string): Promise<Integration | null>;
  /** The account's integrations, oldest first. */
  list(accountId: string): Promise<Integration[]>;
  /** Replaces tenant_url, reference_id and active. False when absent. */
  update(i: Integration): Promise<boolean>;
  delete(accountId: string, id: string): Promise<boolean>;
}
