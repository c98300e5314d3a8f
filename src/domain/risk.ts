import { levelRank, maxLevel, type RiskLevel, type UserRiskLevel } from './risk-level.js';

/** A recorded instance of a behavior for a user (Cloudflare `RiskEvent`). */
export interface RiskEvent {
  readonly accountId: string;
  readonly id: string;
  readonly userId: string;
  readonly behaviorId: string;
  /** Behavior display name when recorded. */
  readonly behaviorName: string;
  /** The behavior's level when recorded; later level changes do not rescore (Cloudflare §1.6). */
  readonly riskLevel: RiskLevel;
  readonly occurredAt: Date;
  readonly receivedAt: Date;
  readonly source: string;
  /** The signal id (idempotency key within the account). */
  readonly signalId: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Why a user's level changed. */
export type RiskChangeCause = 'signal' | 'reset' | 'decay';

/**
 * One change of a user's level, written atomically with the new level. `id` doubles as the SET
 * `txn` (SSF §4.1.9); `seq` orders changes of one account for consumers.
 */
export interface RiskChange {
  readonly accountId: string;
  readonly id: string;
  readonly userId: string;
  readonly previous: UserRiskLevel;
  readonly current: UserRiskLevel;
  readonly cause: RiskChangeCause;
  /** The behavior that raised the level (cause `signal`), else null. */
  readonly behaviorId: string | null;
  readonly reason: string;
  readonly at: Date;
}

/** The mutable risk state of one user, versioned for compare-and-set updates. */
export interface UserRiskState {
  readonly level: UserRiskLevel;
  /** Events counted since the last reset. */
  readonly eventCount: number;
  readonly lastEventAt: Date | null;
  readonly lastResetAt: Date | null;
  /** With a decay window: when the current level may drop next; null when nothing can age out. */
  readonly decayCheckAt: Date | null;
}

export const UNSCORED: UserRiskState = { level: 'unscored', eventCount: 0, lastEventAt: null, lastResetAt: null, decayCheckAt: null };

/** What a transition decided: the new state, and the change to record when the level moved. */
export interface Transition {
  readonly state: UserRiskState;
  readonly change: Omit<RiskChange, 'accountId' | 'userId' | 'id'> | null;
}

/**
 * Applies a recorded event (Cloudflare §1.6): the level becomes the higher of the current level
 * and the event's. With a decay window, an event already older than the window counts but cannot
 * raise the level, and `decayCheckAt` tracks when the highest event ages out.
 */
export function applyEvent(s: UserRiskState, e: RiskEvent, decayWindowMs: number | null, now: Date): Transition {
  // An event that happened before the last reset is history the reset already cleared: it is
  // kept (it was recorded) but does not count toward the score.
  if (s.lastResetAt && e.occurredAt < s.lastResetAt) return { state: s, change: null };
  const inWindow = decayWindowMs === null || e.occurredAt.getTime() > now.getTime() - decayWindowMs;
  const level = inWindow ? maxLevel(s.level, e.riskLevel) : s.level;
  let decayCheckAt = s.decayCheckAt;
  if (decayWindowMs !== null && inWindow && levelRank(e.riskLevel) >= levelRank(s.level)) {
    const expires = new Date(e.occurredAt.getTime() + decayWindowMs);
    decayCheckAt = levelRank(e.riskLevel) > levelRank(s.level) || !decayCheckAt || expires > decayCheckAt ? expires : decayCheckAt;
  }
  const state: UserRiskState = {
    ...s,
    level,
    eventCount: s.eventCount + 1,
    lastEventAt: !s.lastEventAt || e.occurredAt > s.lastEventAt ? e.occurredAt : s.lastEventAt,
    decayCheckAt,
  };
  const change =
    level === s.level
      ? null
      : { previous: s.level, current: level, cause: 'signal' as const, behaviorId: e.behaviorId, reason: `behavior ${e.behaviorId} (${e.behaviorName}) triggered`, at: now };
  return { state, change };
}

/** A reset (Cloudflare §1.3 #5): unscored, reset time set, history kept. Always recorded as a change. */
export function applyReset(s: UserRiskState, now: Date, actor: string): Transition {
  return {
    state: { ...s, level: 'unscored', eventCount: 0, lastResetAt: now, decayCheckAt: null },
    change: { previous: s.level, current: 'unscored', cause: 'reset', behaviorId: null, reason: `risk score reset by ${actor}`, at: now },
  };
}

/**
 * Re-derives the level from the events still inside the decay window (our extension). `events`
 * are the user's events since the later of the last reset and `now - window`.
 */
export function applyDecay(s: UserRiskState, events: readonly Pick<RiskEvent, 'riskLevel' | 'occurredAt'>[], windowMs: number, now: Date): Transition {
  const cutoff = now.getTime() - windowMs;
  const live = events.filter((e) => e.occurredAt.getTime() > cutoff && (!s.lastResetAt || e.occurredAt >= s.lastResetAt));
  const level = live.reduce<UserRiskLevel>((l, e) => maxLevel(l, e.riskLevel), 'unscored');
  const top = live.filter((e) => e.riskLevel === level).map((e) => e.occurredAt.getTime() + windowMs);
  const state: UserRiskState = { ...s, level, decayCheckAt: top.length ? new Date(Math.max(...top)) : null };
  const change =
    levelRank(level) < levelRank(s.level)
      ? { previous: s.level, current: level, cause: 'decay' as const, behaviorId: null, reason: `events older than the decay window no longer count`, at: now }
      : null;
  return { state: levelRank(level) <= levelRank(s.level) ? state : s, change };
}
