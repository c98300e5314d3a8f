import { createHash } from 'node:crypto';
import type { MappingRule } from '../config/receiver-mappings.js';
import type { RiskSignal, SignalUser } from '../risk/signal.js';

/**
 * The user a received subject names: `email` and `iss_sub` directly; a complex subject by its
 * `user` member; `aliases` by all of their members. Okta sends `subject.user` with either layout.
 * Returns null when no member names a user riskwire can resolve.
 */
export function subjectUser(subject: Record<string, unknown>): SignalUser | null {
  const ids: Array<{ kind: 'iss_sub'; iss: string; sub: string } | { kind: 'opaque'; value: string }> = [];
  let email: string | undefined;
  const visit = (s: unknown) => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (o.format === 'email' && typeof o.email === 'string') email ??= o.email;
    else if (o.format === 'iss_sub' && typeof o.iss === 'string' && typeof o.sub === 'string') ids.push({ kind: 'iss_sub', iss: o.iss, sub: o.sub });
    else if (o.format === 'aliases' && Array.isArray(o.identifiers)) o.identifiers.forEach(visit);
    else if (o.format === 'complex' || o.format === undefined) visit(o.user);
  };
  visit(subject);
  if (!email && !ids.length) return null;
  return { email, identifiers: ids.filter((i): i is { kind: 'iss_sub'; iss: string; sub: string } => i.kind === 'iss_sub') };
}

/** The complex-subject members riskwire processes: the user (see subjectUser). */
const PROCESSED_MEMBERS: ReadonlySet<string> = new Set(['user']);

/**
 * SSF §3.6: a member of a complex subject that the transmitter declares critical
 * (`critical_subject_members`) and riskwire cannot process makes the whole event one to discard.
 * Returns that member, or null.
 */
export function unprocessableCriticalMember(subject: Record<string, unknown>, critical: readonly string[]): string | null {
  if (subject.format !== 'complex' && subject.format !== undefined) return null;
  return Object.keys(subject).find((m) => m !== 'format' && critical.includes(m) && !PROCESSED_MEMBERS.has(m)) ?? null;
}

/** Seconds since the epoch, or milliseconds as Okta sends them: both become a Date. */
export function eventTime(v: unknown): Date | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
  return new Date(v > 1e11 ? v : v * 1000);
}

/**
 * The risk signal a received event becomes under the mapping rules, or the reason it becomes
 * none. The signal id is issuer + jti, so a redelivered SET can never score twice.
 */
export function toSignal(
  rules: readonly MappingRule[],
  input: { issuer: string; jti: string; eventType: string; event: Record<string, unknown>; subject: Record<string, unknown> },
): { signal: RiskSignal } | { ignored: string } {
  // A transmitter's field of another type than the string it should be never matches (and never throws).
  const text = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : undefined);
  const rule = rules.find((r) => r.event === input.eventType && (r.field === undefined || r.in!.map((x) => x.toLowerCase()).includes(text(input.event[r.field]) ?? '\u0000')));
  const level = input.event.current_level;
  if (!rule) return { ignored: `no mapping for ${input.eventType}${level === undefined ? '' : ` (${typeof level === 'string' ? level : `a ${typeof level}`})`}` };
  const user = subjectUser(input.subject);
  if (!user) return { ignored: 'the subject names no user (email or iss_sub)' };
  return {
    signal: {
      // A fixed-length id that no two (issuer, jti) pairs share.
      id: `ssf:${createHash('sha256').update(`${input.issuer}\u0000${input.jti}`).digest('hex')}`,
      behavior: rule.behavior,
      user,
      occurredAt: eventTime(input.event.event_timestamp),
      source: `ssf:${input.issuer}`.slice(0, 64),
      details: { event_type: input.eventType, jti: input.jti, issuer: input.issuer, ...(typeof input.event.reason_admin === 'object' ? { reason_admin: input.event.reason_admin } : {}) },
    },
  };
}
