import { levelOfRank } from '../../domain/risk-level.js';
import type { IdentifierKind } from '../../domain/user.js';
import type { UserStore, UserSummaryRecord, SummaryOrder } from '../risk-ports.js';
import type { SqliteDb } from './open-database.js';
import type { GroupCommit } from './group-commit.js';

export interface UserRow {
  account_id: string;
  id: string;
  name: string | null;
  email: string | null;
  created_at: number;
  risk_rank: number;
  event_count: number;
  last_event_at: number | null;
  last_reset_at: number | null;
  decay_check_at: number | null;
}

export const USER_COLS = 'account_id, id, name, email, created_at, risk_rank, event_count, last_event_at, last_reset_at, decay_check_at';

const date = (n: number | null) => (n === null ? null : new Date(n));

/** The row as a summary record (no identifiers). */
export function toUserSummary(r: UserRow): UserSummaryRecord {
  return {
    accountId: r.account_id,
    id: r.id,
    name: r.name,
    email: r.email,
    createdAt: new Date(r.created_at),
    level: levelOfRank(r.risk_rank),
    eventCount: r.event_count,
    lastEventAt: date(r.last_event_at),
    lastResetAt: date(r.last_reset_at),
    decayCheckAt: date(r.decay_check_at),
  };
}

const ORDER: Record<SummaryOrder, string> = {
  timestamp: 'last_event_at {d}, id {d}',
  event_count: 'event_count {d}, id {d}',
  max_risk_level: 'risk_rank {d}, last_event_at {d}, id {d}',
};

/** How many complete users, and identifier holders, the store remembers (about 150 bytes each). */
const REMEMBERED = 50_000;

/** A map that forgets everything when it reaches REMEMBERED entries: bounded, and forgetting only costs a read. */
function remembered<V>(): Pick<Map<string, V>, 'get' | 'has'> & { set(key: string, value: V): void } {
  const m = new Map<string, V>();
  return {
    get: (key) => m.get(key),
    has: (key) => m.has(key),
    set(key, value) {
      if (m.size >= REMEMBERED) m.clear();
      m.set(key, value);
    },
  };
}

/** UserStore on SQLite. */
export function sqliteUserStore(db: SqliteDb, gc: GroupCommit): UserStore {
  const get = db.prepare<[string, string], UserRow>(`SELECT ${USER_COLS} FROM users WHERE account_id = ? AND id = ?`);
  const idents = db.prepare<[string, string], { kind: IdentifierKind; value: string }>(
    'SELECT kind, value FROM user_identifiers WHERE account_id = ? AND user_id = ? ORDER BY kind, value',
  );
  const owner = db.prepare<[string, string, string], { user_id: string }>(
    'SELECT user_id FROM user_identifiers WHERE account_id = ? AND kind = ? AND value = ?',
  );
  const insertUser = db.prepare('INSERT INTO users (account_id, id, name, email, created_at) VALUES (?, ?, ?, ?, ?)');
  const claim = db.prepare(
    'INSERT INTO user_identifiers (account_id, kind, value, user_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  // Writes only when it fills something: most signals name a user already complete.
  const fill = db.prepare(
    `UPDATE users SET name = coalesce(name, :name), email = coalesce(email, :email)
     WHERE account_id = :account AND id = :id AND ((name IS NULL AND :name IS NOT NULL) OR (email IS NULL AND :email IS NOT NULL))`,
  );
  const profile = db.prepare<[string, string], { name: string | null; email: string | null }>('SELECT name, email FROM users WHERE account_id = ? AND id = ?');
  const total = db.prepare<[string], { scored_users: number }>('SELECT scored_users FROM account_risk_stats WHERE account_id = ?');
  const pages = new Map<string, ReturnType<typeof db.prepare<[string, number, number], UserRow>>>();
  const pageQuery = (order: SummaryOrder, dir: 'asc' | 'desc') => {
    const key = `${order}:${dir}`;
    let stmt = pages.get(key);
    if (!stmt) {
      stmt = db.prepare<[string, number, number], UserRow>(
        `SELECT ${USER_COLS} FROM users WHERE account_id = ? AND risk_rank > 0
         ORDER BY ${ORDER[order].replaceAll('{d}', dir.toUpperCase())} LIMIT ? OFFSET ?`,
      );
      pages.set(key, stmt);
    }
    return stmt;
  };

  // Both run inside their group-commit savepoint (group-commit.ts): atomic without a transaction of their own.
  const create = (u: Parameters<UserStore['create']>[0]) => {
    const first = u.identifiers[0];
    const existing = first ? owner.get(u.accountId, first.kind, first.value) : undefined;
    if (existing) return { userId: existing.user_id, created: false };
    insertUser.run(u.accountId, u.id, u.name, u.email, u.createdAt.getTime());
    for (const i of u.identifiers) claim.run(u.accountId, i.kind, i.value, u.id);
    return { userId: u.id, created: true };
  };
  const enrich = (accountId: string, userId: string, ids: Parameters<UserStore['enrich']>[2], p: Parameters<UserStore['enrich']>[3]) => {
    for (const i of ids) claim.run(accountId, i.kind, i.value, userId);
    fill.run({ name: p.name ?? null, email: p.email ?? null, account: accountId, id: userId });
  };

  /**
   * Which of a user's name and email are known to be set (they are never cleared): a signal that
   * brings only fields already set needs no read — most signals name a user whose email is set
   * and who never gets a name (an EDR's account name is an identifier, not a name). Bounded;
   * forgetting only costs a read.
   */
  const filled = remembered<{ name: boolean; email: boolean }>();
  /**
   * Who holds an identifier, as committed. An identifier is never released or moved (nothing
   * deletes users or identifiers), so a holder once read stays right; only holders are
   * remembered (an unclaimed identifier may be claimed at any moment). Bounded like `filled`.
   */
  const holders = remembered<string>();
  const holderOf = (accountId: string, kind: string, value: string): string | null => {
    const key = `${accountId}\u0000${kind}\u0000${value}`;
    const known = holders.get(key);
    if (known !== undefined) return known;
    const found = owner.get(accountId, kind, value)?.user_id ?? null;
    if (found !== null) holders.set(key, found);
    return found;
  };

  /**
   * Whether `enrich` would change anything, from committed state. Identifiers are never released
   * and a name or email is never cleared, so "nothing to do" cannot become wrong later; most
   * signals name a user already complete, and skipping their write spares a commit and an
   * event-loop turn per signal (a 100-signal request resolved its users one turn at a time).
   */
  const wouldEnrich = (accountId: string, userId: string, ids: Parameters<UserStore['enrich']>[2], p: Parameters<UserStore['enrich']>[3]) => {
    if (ids.some((i) => holderOf(accountId, i.kind, i.value) === null)) return true;
    if (p.name == null && p.email == null) return false;
    const key = `${accountId}\u0000${userId}`;
    const known = filled.get(key);
    if (known && (p.name == null || known.name) && (p.email == null || known.email)) return false;
    const r = profile.get(accountId, userId);
    if (!r) return false;
    filled.set(key, { name: r.name !== null, email: r.email !== null });
    return (r.name === null && p.name != null) || (r.email === null && p.email != null);
  };

  return {
    async get(accountId, id) {
      const r = get.get(accountId, id);
      return r ? { ...toUserSummary(r), identifiers: idents.all(accountId, id) } : null;
    },
    async findByIdentifier(accountId, i) {
      return holderOf(accountId, i.kind, i.value);
    },
    async create(u) {
      return gc.run(() => create(u));
    },
    async enrich(accountId, userId, ids, p) {
      if (wouldEnrich(accountId, userId, ids, p)) await gc.run(() => enrich(accountId, userId, ids, p));
    },
    async summary(accountId, p) {
      const rows = pageQuery(p.orderBy, p.direction).all(accountId, p.perPage, (p.page - 1) * p.perPage);
      return { users: rows.map(toUserSummary), total: total.get(accountId)?.scored_users ?? 0 };
    },
  };
}
