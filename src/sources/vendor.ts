import type { z } from 'zod';
import type { RiskSignal } from '../risk/signal.js';
import type { Source, SourceType } from '../storage/source-ports.js';

/** What a vendor pushed, as the shared pipeline hands it to the vendor's adapter. */
export interface WebhookRequest {
  readonly method: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
  readonly now: Date;
}

/** One vendor event after parsing: its id (idempotency key), what it is, and the signal it maps to. */
export interface ParsedVendorEvent {
  readonly eventId: string;
  readonly kind: string;
  /** The risk signal, or null with `ignored` saying why (recorded for investigation). */
  readonly signal: RiskSignal | null;
  readonly ignored?: string;
}

/** Context an adapter gets to authenticate a request. */
export interface AuthContext<S> {
  readonly source: Source;
  readonly settings: S;
  /** The source's shared secret (opened from the store). */
  readonly secret: string;
  /** Constant-time string comparison. */
  safeEqual(a: string, b: string): boolean;
}

/**
 * What an authenticated request still owes: `nonce`, a one-time value (its signature) that must
 * not have been seen before. The pipeline claims it in the write that records the delivery, and
 * answers a replay as an authentication failure.
 */
export interface Authenticated {
  readonly nonce?: string;
}

/**
 * A vendor: its settings, how its requests authenticate, and how its payloads map to signals.
 * `authenticate` throws `errors.unauthorized` (401, no detail to the caller); `parse` throws
 * `errors.badRequest` naming the missing field. Neither may throw anything else for any input.
 */
export interface VendorAdapter<S = Record<string, unknown>> {
  readonly type: SourceType;
  readonly settings: z.ZodType<S>;
  /**
   * Settings that are credentials (e.g. a vendor API token): stored sealed with the master key,
   * never returned by the API, and handed to the adapter only in memory.
   */
  readonly secretSettings?: readonly string[];
  authenticate(req: WebhookRequest, ctx: AuthContext<S>): Promise<Authenticated | void>;
  parse(req: WebhookRequest, ctx: { source: Source; settings: S }): ParsedVendorEvent[] | Promise<ParsedVendorEvent[]>;
  /**
   * Whether parsing a delivery calls the vendor's API with these settings (SentinelOne's
   * `verify_with_api`). Such a source is confirmed current before parsing: the webhook path
   * otherwise parses with the source it kept and confirms it only in the write that follows.
   */
  callsVendor?(settings: S): boolean;
  /** A GET the vendor sends (Okta's one-time verification); null when the vendor sends none. */
  handleGet?(req: WebhookRequest, ctx: AuthContext<S>): Promise<{ status: number; body: unknown }>;
}
