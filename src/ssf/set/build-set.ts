import { randomBytes } from 'node:crypto';
import type { RiskChange } from '../../domain/risk.js';
import type { UserRiskLevel } from '../../domain/risk-level.js';
import type { UserRecord } from '../../storage/risk-ports.js';
import type { Stream } from '../../storage/ssf-ports.js';
import { EVENT } from '../event-types.js';
import type { Subject } from '../subjects.js';

/** An event ready to sign for one stream. */
export interface SetDraft {
  readonly eventType: string;
  readonly subjectKey: string;
  readonly subject: Subject;
  readonly claims: Record<string, unknown>;
}

/** A fresh SET id (RFC 8417 §2.2: unique within the feed). */
export const newJti = () => randomBytes(16).toString('hex');

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const CAEP_LEVEL: Record<UserRiskLevel, string | undefined> = { unscored: undefined, low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };
/** CAEP §2 initiating_entity by cause. */
const INITIATOR = { signal: 'policy', reset: 'admin', decay: 'system' } as const;

/**
 * The subject of a user (SSF §3.1 `sub_id`): email when known, else an `iss_sub` identifier,
 * else a complex subject whose `user` member is riskwire's opaque id.
 */
export function userSubject(user: Pick<UserRecord, 'id' | 'email' | 'identifiers'>): Subject {
  if (user.email) return { format: 'email', email: user.email };
  const issSub = user.identifiers.find((i) => i.kind === 'iss_sub');
  if (issSub) {
    const at = issSub.value.indexOf(' ');
    return { format: 'iss_sub', iss: issSub.value.slice(0, at), sub: issSub.value.slice(at + 1) };
  }
  return { format: 'complex', user: { format: 'opaque', id: user.id } };
}

/** Claims every SET shares (RFC 8417 §2.2, SSF §4): never `sub`, never `exp`. */
function envelope(stream: Stream, issuer: string, now: Date, txn: string | null, event: string, payload: Record<string, unknown>, subject: Subject | null) {
  return {
    iss: issuer,
    iat: seconds(now),
    jti: newJti(),
    aud: stream.aud,
    ...(txn ? { txn } : {}),
    ...(subject ? { sub_id: subject } : {}),
    events: { [event]: payload },
  };
}

/**
 * What a RiskChange becomes on one stream: CAEP risk-level-change (standard profile), plus
 * session-revoked when the level rises to HIGH and device-compliance-change when a device
 * behavior caused it — each only when the stream delivers that type. Okta streams get Okta's
 * user-risk-change instead (Okta accepts no risk-level-change, vendors reference §3.1.4). All
 * SETs of one change on standard streams share `txn` = the change id (SSF §4.1.9); Okta's carry
 * only the members its schema defines (§3.1.5).
 */
export function draftsForChange(
  change: RiskChange,
  user: Pick<UserRecord, 'id' | 'email' | 'identifiers'>,
  stream: Stream,
  issuer: string,
  now: Date,
  opts: { deviceBehavior: boolean },
): SetDraft[] {
  const subject = userSubject(user);
  const subjectKey = `user:${change.userId}`;
  const delivers = (t: string) => stream.eventsDelivered.includes(t);
  const reasonAdmin = { en: change.cause === 'reset' ? `${change.reason}; level reset to none (sent as LOW)` : change.reason };
  const out: SetDraft[] = [];
  const add = (eventType: string, payload: Record<string, unknown>, subj: Subject | null, s: Subject = subject) =>
    out.push({ eventType, subject: s, subjectKey, claims: envelope(stream, issuer, now, change.id, eventType, payload, subj) });

  if (stream.profile === 'okta') {
    // Okta's schema (vendors reference §3.1.4, sample §3.1.5): subject inside the event as
    // `user.format: email` (Okta matches the sign-in email), lowercase levels, `none` for a
    // reset. A user without an email cannot be matched by Okta: nothing to send (the fan-out
    // counts the skip).
    if (!user.email || !delivers(EVENT.oktaUserRiskChange)) return [];
    const level = (l: UserRiskLevel) => (l === 'unscored' ? 'none' : l);
    const subj: Subject = { format: 'email', email: user.email };
    // Okta's SET body is exactly iss, jti, iat, aud, events (SecurityEventTokenRequestJwtBody,
    // sample §3.1.5): no `txn`, no top-level subject.
    const claims = envelope(stream, issuer, now, null, EVENT.oktaUserRiskChange, {
      subject: { user: subj },
      current_level: level(change.current),
      previous_level: level(change.previous),
      event_timestamp: seconds(change.at),
      initiating_entity: INITIATOR[change.cause],
      // A reset reaches Okta as `none` itself, so the CAEP "(sent as LOW)" note does not apply.
      reason_admin: { en: change.reason },
      reason_user: { en: change.cause === 'reset' ? 'Your account risk level was reset.' : change.current === 'high' ? 'Your account shows high risk activity.' : 'Your account risk level changed.' },
    }, null);
    out.push({ eventType: EVENT.oktaUserRiskChange, subject: subj, subjectKey, claims });
    return out;
  }
  if (delivers(EVENT.riskLevelChange)) {
    const previous = CAEP_LEVEL[change.previous];
    add(EVENT.riskLevelChange, {
      principal: 'USER',
      current_level: CAEP_LEVEL[change.current] ?? 'LOW',
      ...(previous ? { previous_level: previous } : {}),
      risk_reason: change.behaviorId ?? change.cause.toUpperCase(),
      event_timestamp: seconds(change.at),
      initiating_entity: INITIATOR[change.cause],
      reason_admin: reasonAdmin,
    }, subject);
  }
  if (change.current === 'high' && change.previous !== 'high' && delivers(EVENT.sessionRevoked)) {
    add(EVENT.sessionRevoked, {
      event_timestamp: seconds(change.at),
      initiating_entity: 'policy',
      reason_admin: { en: `risk level rose to HIGH: ${change.reason}` },
    }, subject);
  }
  if (opts.deviceBehavior && change.cause === 'signal' && delivers(EVENT.deviceComplianceChange)) {
    add(EVENT.deviceComplianceChange, {
      previous_status: 'compliant',
      current_status: 'not-compliant',
      event_timestamp: seconds(change.at),
      initiating_entity: 'policy',
      reason_admin: { en: change.reason },
    }, subject);
  }
  return out;
}

/** SSF §8.1.4.1: verification event; `sub_id` is the stream itself; `state` echoed when given. */
export function verificationDraft(stream: Stream, issuer: string, now: Date, state: string | undefined): SetDraft {
  const subject: Subject = { format: 'opaque', id: stream.streamId };
  return {
    eventType: EVENT.verification,
    subject,
    subjectKey: `stream:${stream.streamId}`,
    claims: envelope(stream, issuer, now, null, EVENT.verification, state === undefined ? {} : { state }, subject),
  };
}

/** SSF §8.1.5: stream-updated, for status changes the transmitter makes on its own. */
export function streamUpdatedDraft(stream: Stream, issuer: string, now: Date, status: string, reason: string | null): SetDraft {
  const subject: Subject = { format: 'opaque', id: stream.streamId };
  return {
    eventType: EVENT.streamUpdated,
    subject,
    subjectKey: `stream:${stream.streamId}`,
    claims: envelope(stream, issuer, now, null, EVENT.streamUpdated, { status, ...(reason ? { reason } : {}) }, subject),
  };
}
