import type { AccountSettings } from '../../domain/account.js';
import type { Behavior } from '../../domain/behavior.js';
import type { RiskEvent } from '../../domain/risk.js';
import type { IngestResult } from '../../risk/ingest-signals.js';
import type { UserRecord, UserSummaryRecord } from '../../storage/risk-ports.js';

/** `{behaviors: {id: {name, description, enabled, risk_level}}}` (Cloudflare GET /behaviors). */
export function presentBehaviors(list: readonly Behavior[]) {
  return {
    behaviors: Object.fromEntries(
      list.map((b) => [b.id, { name: b.name, description: b.description, enabled: b.enabled, risk_level: b.riskLevel }]),
    ),
  };
}

/** One custom behavior. */
export function presentBehavior(b: Behavior) {
  return { id: b.id, name: b.name, description: b.description, enabled: b.enabled, risk_level: b.riskLevel, custom: b.custom };
}

/** `UserRiskInfo` (Cloudflare GET /summary). Unknown name or email is '' (the SDK types them as strings). */
export function presentSummaryUser(u: UserSummaryRecord) {
  return {
    user_id: u.id,
    name: u.name ?? '',
    email: u.email ?? '',
    max_risk_level: u.level,
    event_count: u.eventCount,
    last_event: u.lastEventAt?.toISOString() ?? null,
  };
}

/** `RiskEvent` (Cloudflare GET /{user_id} events[]). */
export function presentEvent(e: RiskEvent) {
  return {
    id: e.id,
    name: e.behaviorName,
    risk_level: e.riskLevel,
    timestamp: e.occurredAt.toISOString(),
    // The sender's details first: what riskwire itself recorded cannot be overwritten by them.
    event_details: { ...e.details, behavior_id: e.behaviorId, source: e.source, signal_id: e.signalId, received_at: e.receivedAt.toISOString() },
  };
}

/** `RiskEvents` (Cloudflare GET /{user_id}); `risk_level` is null while unscored (2024 spec: nullable). */
export function presentUserDetail(u: UserRecord, events: readonly RiskEvent[]) {
  return {
    name: u.name ?? '',
    email: u.email ?? '',
    risk_level: u.level === 'unscored' ? null : u.level,
    last_reset_time: u.lastResetAt?.toISOString() ?? null,
    events: events.map(presentEvent),
  };
}

/** POST /signals result (the internal list of changes is not part of the API). */
export function presentIngest(r: IngestResult) {
  return {
    accepted: r.accepted,
    duplicates: r.duplicates,
    ignored: r.ignored,
    items: r.items.map((i) => ({ id: i.id, status: i.status, ...(i.reason ? { reason: i.reason } : {}), ...(i.userId ? { user_id: i.userId } : {}) })),
  };
}

export function presentSettings(s: AccountSettings) {
  return { decay_window_seconds: s.decayWindowSeconds };
}
