import type { IdentifierKind } from '../domain/user.js';

/**
 * A normalized risk signal: what every source (signals API, EDR webhooks, Okta hooks, received
 * SETs) produces, and the only input of the scoring engine (ARCHITECTURE "flow of data").
 */
export interface RiskSignal {
  /** Idempotency key within the account; a repeat is a duplicate and never scored twice. */
  readonly id?: string | undefined;
  readonly behavior: string;
  readonly user: SignalUser;
  readonly occurredAt?: Date | undefined;
  /** Where it came from, e.g. `api`, `crowdstrike`, `ssf:<issuer>`. */
  readonly source: string;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/** Whatever the source knows about the user. At least one of id, email or identifiers. */
export interface SignalUser {
  /** riskwire's user UUID. */
  readonly id?: string | undefined;
  readonly email?: string | undefined;
  readonly name?: string | undefined;
  readonly identifiers?: ReadonlyArray<{ kind: IdentifierKind; value: string } | { kind: 'iss_sub'; iss: string; sub: string }> | undefined;
}

/** What became of one signal. */
export interface SignalOutcome {
  readonly id: string;
  readonly status: 'accepted' | 'duplicate' | 'ignored';
  readonly reason?: string;
  readonly userId?: string;
}
