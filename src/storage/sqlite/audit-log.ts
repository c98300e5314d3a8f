import type { AuditEntry } from '../../domain/audit.js';
import type { AuditLogStore } from '../ports.js';
import type { SqliteDb } from './open-database.js';

interface Row {
  id: string;
  account_id: string;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  details: string;
}

/** AuditLogStore on SQLite. */
export function sqliteAuditLogStore(db: SqliteDb): AuditLogStore {
  const insert = db.prepare(
    `INSERT INTO audit_log (id, account_id, at, actor, action, target, details)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  const list = db.prepare<[string, number], Row>(
    `SELECT id, account_id, at, actor, action, target, details FROM audit_log
     WHERE account_id = ? ORDER BY at DESC, seq DESC LIMIT ?`,
  );
  return {
    async append(e) {
      insert.run(e.id, e.accountId, e.at.getTime(), e.actor, e.action, e.target, JSON.stringify(e.details));
    },
    async list(accountId, opts = {}) {
      return list.all(accountId, opts.limit ?? 100).map(
        (r): AuditEntry => ({
          id: r.id,
          accountId: r.account_id,
          at: new Date(r.at),
          actor: r.actor,
          action: r.action,
          target: r.target,
          details: JSON.parse(r.details) as Record<string, unknown>,
        }),
      );
    },
  };
}
