import { randomUUID } from 'node:crypto';
import type { RiskChange, RiskEvent, Transition, UserRiskState } from '../../domain/risk.js';
import { levelOfRank, levelRank, type RiskLevel, type UserRiskLevel } from '../../domain/risk-level.js';
import type { EventOrder, EventTransition, FeedChange, RiskStore } from '../risk-ports.js';
import type { SqliteDb } from './open-database.js';
import type { GroupCommit } from './group-commit.js';
import { USER_COLS, toUserSummary, type UserRow } from './users.js';

interface EventRow {
  id: string;
  account_id: string;
  user_id: string;
  behavior_id: string;
  behavior_name: string;
  risk_rank: number;
  occurred_at: number;
  received_at: number;
  source: string;
  signal_id: string;
  details: string;
}
interface ChangeRow {
  seq: number;
  id: string;
  account_id: string;
  user_id: string;
  previous: string;
  current: string;
  cause: RiskChange['cause'];
  behavior_id: string | null;
  reason: string;
  at: number;
}

const EVENT_COLS = 'id, account_id, user_id, behavior_id, behavior_name, risk_rank, occurred_at, received_at, source, signal_id, details';
const CHANGE_COLS = 'seq, id, account_id, user_id, previous, current, cause, behavior_id, reason, at';

const toEvent = (r: EventRow): RiskEvent => ({
  id: r.id,
  accountId: r.account_id,
  userId: r.user_id,
  behaviorId: r.behavior_id,
  behaviorName: r.behavior_name,
  riskLevel: levelOfRank(r.risk_rank) as RiskLevel,
  occurredAt: new Date(r.occurred_at),
  receivedAt: new Date(r.received_at),
  source: r.source,
  signalId: r.signal_id,
  details: JSON.parse(r.details) as Record<string, unknown>,
});

const toChange = (r: ChangeRow): FeedChange => ({
  seq: r.seq,
  id: r.id,
  accountId: r.account_id,
  userId: r.user_id,
  previous: r.previous as UserRiskLevel,
  current: r.current as UserRiskLevel,
  cause: r.cause,
  behaviorId: r.behavior_id,
  reason: r.reason,
  at: new Date(r.at),
});

const EVENT_ORDER: Record<EventOrder, string> = {
  timestamp: 'occurred_at {d}, seq {d}',
  risk_level: 'risk_rank {d}, occurred_at {d}, seq {d}',
};

/**
 * RiskStore on SQLite: each event, its state transition and its change commit in one
 * transaction, so a crash leaves either all of them or none.
 */
export function sqliteRiskStore(db: SqliteDb, gc: GroupCommit): RiskStore {
  const insertEvent = db.prepare(
    `INSERT INTO risk_events (${EVENT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, signal_id) DO NOTHING`,
  );
  const userState = db.prepare<[string, string], UserRow>(`SELECT ${USER_COLS} FROM users WHERE account_id = ? AND id = ?`);
  const writeState = db.prepare(
    `UPDATE users SET risk_rank = ?, event_count = ?, last_event_at = ?, last_reset_at = ?, decay_check_at = ?
     WHERE account_id = ? AND id = ?`,
  );
  const bumpScored = db.prepare(
    `INSERT INTO account_risk_stats (account_id, scored_users) VALUES (?, ?)
     ON CONFLICT (account_id) DO UPDATE SET scored_users = scored_users + excluded.scored_users`,
  );
  const insertChange = db.prepare(
    `INSERT INTO risk_changes (id, account_id, user_id, previous, current, cause, behavior_id, reason, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const countEvents = db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM risk_events WHERE account_id = ? AND user_id = ?');
  const since = db.prepare<[string, string, number], EventRow>(
    `SELECT ${EVENT_COLS} FROM risk_events WHERE account_id = ? AND user_id = ? AND occurred_at > ? ORDER BY occurred_at, seq`,
  );
  const due = db.prepare<[number, number], { account_id: string; id: string }>(
    'SELECT account_id, id FROM users WHERE decay_check_at IS NOT NULL AND decay_check_at <= ? ORDER BY decay_check_at LIMIT ?',
  );
  const known = db.prepare<[string, string], { signal_id: string; user_id: string }>(
    'SELECT signal_id, user_id FROM risk_events WHERE account_id = ? AND signal_id IN (SELECT value FROM json_each(?))',
  );
  // One id (a webhook event, a pushed SET, a single signal) is the common case: no JSON table.
  const knownOne = db.prepare<[string, string], { user_id: string }>('SELECT user_id FROM risk_events WHERE account_id = ? AND signal_id = ?');
  const schedule = db.prepare('UPDATE users SET decay_check_at = ? WHERE account_id = ? AND risk_rank > 0');
  const pending = db.prepare<[number], ChangeRow>(`SELECT ${CHANGE_COLS} FROM risk_changes WHERE consumed_at IS NULL ORDER BY seq LIMIT ?`);
  const ofUser = db.prepare<[string, string, number], ChangeRow>(`SELECT ${CHANGE_COLS} FROM risk_changes WHERE account_id = ? AND user_id = ? ORDER BY seq LIMIT ?`);
  const ack = db.prepare('UPDATE risk_changes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL');
  const pages = new Map<string, ReturnType<typeof db.prepare<[string, string, number, number], EventRow>>>();

  /** Applies a transition to a loaded user inside the caller's transaction. */
  const apply = (row: UserRow, t: Transition): RiskChange | null => {
    const before = levelRank(levelOfRank(row.risk_rank));
    const s = t.state;
    const after = levelRank(s.level);
    writeState.run(after, s.eventCount, s.lastEventAt?.getTime() ?? null, s.lastResetAt?.getTime() ?? null, s.decayCheckAt?.getTime() ?? null, row.account_id, row.id);
    if ((before === 0) !== (after === 0)) bumpScored.run(row.account_id, after === 0 ? -1 : 1);
    if (!t.change) return null;
    const change: RiskChange = { ...t.change, id: randomUUID(), accountId: row.account_id, userId: row.id };
    insertChange.run(change.id, change.accountId, change.userId, change.previous, change.current, change.cause, change.behaviorId, change.reason, change.at.getTime());
    return change;
  };
  const stateOf = (row: UserRow): UserRiskState => toUserSummary(row);

  // Each runs inside its group-commit savepoint (group-commit.ts): atomic without a transaction of its own.
  const record = (e: RiskEvent, fn: EventTransition) => {
    const inserted = insertEvent.run(
      e.id, e.accountId, e.userId, e.behaviorId, e.behaviorName, levelRank(e.riskLevel),
      e.occurredAt.getTime(), e.receivedAt.getTime(), e.source, e.signalId, JSON.stringify(e.details),
    );
    if (inserted.changes === 0) return { status: 'duplicate' as const, change: null };
    const row = userState.get(e.accountId, e.userId);
    if (!row) throw new Error(`recordEvent: user ${e.userId} does not exist in account ${e.accountId}`);
    return { status: 'recorded' as const, change: apply(row, fn(stateOf(row), e)) };
  };
  const recordMany = (events: readonly RiskEvent[], fn: EventTransition) => events.map((e) => record(e, fn));
  const transition = (accountId: string, userId: string, fn: (s: UserRiskState) => Transition) => {
    const row = userState.get(accountId, userId);
    if (!row) return null;
    const t = fn(stateOf(row));
    return { state: t.state, change: apply(row, t) };
  };
  const ackAll = (ids: readonly string[], at: number) => {
    for (const id of ids) ack.run(at, id);
  };

  return {
    async recordEvent(e, fn) {
      return gc.run(() => record(e, fn));
    },
    async recordEvents(events, fn) {
      return gc.run(() => recordMany(events, fn));
    },
    async transition(accountId, userId, fn) {
      return gc.run(() => transition(accountId, userId, fn));
    },
    async listEvents(accountId, userId, p) {
      const key = `${p.orderBy}:${p.direction}`;
      let stmt = pages.get(key);
      if (!stmt) {
        stmt = db.prepare<[string, string, number, number], EventRow>(
          `SELECT ${EVENT_COLS} FROM risk_events WHERE account_id = ? AND user_id = ?
           ORDER BY ${EVENT_ORDER[p.orderBy].replaceAll('{d}', p.direction.toUpperCase())} LIMIT ? OFFSET ?`,
        );
        pages.set(key, stmt);
      }
      const events = stmt.all(accountId, userId, p.perPage, (p.page - 1) * p.perPage).map(toEvent);
      return { events, total: countEvents.get(accountId, userId)?.n ?? 0 };
    },
    async eventsSince(accountId, userId, t) {
      return since.all(accountId, userId, t.getTime()).map(toEvent);
    },
    async knownSignals(accountId, signalIds) {
      if (signalIds.length === 1) {
        const hit = knownOne.get(accountId, signalIds[0]!);
        return new Map(hit ? [[signalIds[0]!, hit.user_id]] : []);
      }
      return new Map(known.all(accountId, JSON.stringify(signalIds)).map((r) => [r.signal_id, r.user_id]));
    },
    async scheduleDecay(accountId, at) {
      return gc.run(() => schedule.run(at.getTime(), accountId).changes);
    },
    async dueForDecay(now, limit) {
      return due.all(now.getTime(), limit).map((r) => ({ accountId: r.account_id, userId: r.id }));
    },
    async pendingChanges(limit) {
      return pending.all(limit).map(toChange);
    },
    async changesOf(accountId, userId, limit) {
      return ofUser.all(accountId, userId, limit).map(toChange);
    },
    async ackChanges(ids, at) {
      await gc.run(() => ackAll(ids, at.getTime()));
    },
    async recover() {
      return 0;
    },
  };
}
