/*
 * Ports of the EDR and IdP sources (sources issue). Same conventions as ports.ts.
 */

export type SourceType = 'crowdstrike' | 'sentinelone' | 'okta_event_hook';

/** A configured source of one account: where a vendor pushes, and how it authenticates. */
export interface Source {
  readonly accountId: string;
  readonly id: string;
  readonly type: SourceType;
  readonly name: string;
  /** Vendor-specific, validated by the vendor adapter's schema. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** SecretBox-sealed shared secret (HMAC key, header value), context `<account>/sources/<id>/secret`. */
  readonly secretSealed: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One vendor event as received, kept for investigation with what became of it. */
export interface SourceEvent {
  readonly accountId: string;
  readonly sourceId: string;
  /** The vendor's event id (idempotency key). */
  readonly eventId: string;
  readonly kind: string;
  readonly receivedAt: Date;
  readonly outcome: string;
  /**
   * The risk signal the event maps to, stored as its JSON text (dates as ISO strings), kept from the moment the event is recorded
   * (before the vendor is answered) until its outcome is set (after scoring): what a crash in
   * between leaves to recover. A vendor's retry is a duplicate, so nothing else would score it.
   */
  readonly signal?: Readonly<Record<string, unknown>> | null;
}

export interface SourceStore {
  insert(s: Source): Promise<void>;
  get(accountId: string, id: string): Promise<Source | null>;
  /**
   * A value that changes with every update of the source (its settings, its secret), never
   * repeats one the source had under its id before, and is null once it is deleted (or never
   * was): a cheap read that lets the webhook path keep what it derived from the
   * source — its secret opened, its settings parsed — until the source changes, wherever changed.
   */
  revision(accountId: string, id: string): Promise<string | null>;
  list(accountId: string): Promise<Source[]>;
  /** Replaces name, settings and secret. False when absent. */
  update(s: Source): Promise<boolean>;
  delete(accountId: string, id: string): Promise<boolean>;
  /**
   * Records a vendor event. Idempotent by (source, eventId): a vendor's retry returns false and
   * changes nothing, so it is never scored twice.
   */
  recordEvent(e: SourceEvent): Promise<boolean>;
  /**
   * Replaces the outcomes of recorded events of one source (after scoring) and drops their kept
   * signals, once: an event already scored keeps its first outcome (a queue and a recovery sweep
   * racing). One write for all of them on SQLite; one round trip on MongoDB, each item applied
   * on its own.
   */
  setOutcomes(accountId: string, sourceId: string, outcomes: ReadonlyArray<{ eventId: string; outcome: string }>): Promise<void>;
  /** Events of every account still holding their signal (not scored), received at or before `receivedBy`, oldest first. */
  unscored(receivedBy: Date, limit: number): Promise<Array<SourceEvent & { signal: Readonly<Record<string, unknown>> }>>;
  /** The source's events, newest first. */
  listEvents(accountId: string, sourceId: string, limit: number): Promise<SourceEvent[]>;
  /**
   * Records the events of one webhook delivery (each as `recordEvent` does: true when new, false
   * for a vendor's retry) in one write. With `nonce` (a webhook signature, replay protection) the
   * nonce is claimed first, in that same write: if it was claimed before, nothing is recorded and
   * the answer is 'replayed'. One write instead of two is one commit less per delivery.
   * With `revision` (what `revision` returned when the caller read the source it authenticated
   * and parsed the delivery with), nothing is written unless the source still has that revision:
   * 'stale' when it changed or is gone, so the caller reads it again and starts over. The webhook
   * path thereby confirms the source it kept in the write it makes anyway, instead of with a
   * read of its own per request.
   */
  recordDelivery(accountId: string, sourceId: string, events: readonly SourceEvent[], nonce?: { value: string; at: Date }, revision?: string): Promise<boolean[] | 'replayed' | 'stale'>;
  /** Pull connectors: the last offset processed per partition (empty when none). */
  getOffsets(accountId: string, sourceId: string): Promise<Record<string, number>>;
  /** Records an offset as processed. Monotonic per partition: a lower offset changes nothing. */
  saveOffset(accountId: string, sourceId: string, partition: string, offset: number): Promise<void>;
  /** Forgets nonces claimed before `before` (they are outside every replay window). */
  pruneNonces(before: Date): Promise<number>;
}
