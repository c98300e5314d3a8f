import type { Behavior } from '../../domain/behavior.js';
import { levelOfRank, levelRank, type RiskLevel } from '../../domain/risk-level.js';
import type { BehaviorStore } from '../risk-ports.js';
import type { SqliteDb } from './open-database.js';

interface Row {
  account_id: string;
  id: string;
  name: string;
  description: string;
  enabled: number;
  risk_rank: number;
  custom: number;
  updated_at: number;
}

const COLS = 'account_id, id, name, description, enabled, risk_rank, custom, updated_at';

const toBehavior = (r: Row): Behavior => ({
  accountId: r.account_id,
  id: r.id,
  name: r.name,
  description: r.description,
  enabled: r.enabled === 1,
  riskLevel: levelOfRank(r.risk_rank) as RiskLevel,
  custom: r.custom === 1,
  updatedAt: new Date(r.updated_at),
});

/** BehaviorStore on SQLite. */
export function sqliteBehaviorStore(db: SqliteDb): BehaviorStore {
  const seed = db.prepare(
    `INSERT INTO behaviors (${COLS}) VALUES (?, ?, ?, ?, 0, ?, 0, ?) ON CONFLICT (account_id, id) DO NOTHING`,
  );
  const list = db.prepare<[string], Row>(`SELECT ${COLS} FROM behaviors WHERE account_id = ? ORDER BY id`);
  const get = db.prepare<[string, string], Row>(`SELECT ${COLS} FROM behaviors WHERE account_id = ? AND id = ?`);
  const update = db.prepare('UPDATE behaviors SET enabled = ?, risk_rank = ?, updated_at = ? WHERE account_id = ? AND id = ?');
  const putCustom = db.prepare(
    `INSERT INTO behaviors (${COLS}) VALUES (?, ?, ?, ?, ?, ?, 1, ?)
     ON CONFLICT (account_id, id) DO UPDATE SET name = excluded.name, description = excluded.description,
       enabled = excluded.enabled, risk_rank = excluded.risk_rank, updated_at = excluded.updated_at
     WHERE behaviors.custom = 1`,
  );
  const del = db.prepare('DELETE FROM behaviors WHERE account_id = ? AND id = ? AND custom = 1');

  const seedAll = db.transaction((accountId: string, catalog: Parameters<BehaviorStore['seed']>[1], at: Date) => {
    for (const b of catalog) seed.run(accountId, b.id, b.name, b.description, levelRank(b.riskLevel), at.getTime());
  });
  const updateAll = db.transaction((accountId: string, changes: Parameters<BehaviorStore['update']>[1], at: Date) => {
    const missing = changes.filter((c) => !get.get(accountId, c.id)).map((c) => c.id);
    if (missing.length) return missing;
    for (const c of changes) update.run(c.enabled ? 1 : 0, levelRank(c.riskLevel), at.getTime(), accountId, c.id);
    return [];
  });
  return {
    async seed(accountId, catalog, at) {
      seedAll(accountId, catalog, at);
    },
    async list(accountId) {
      return list.all(accountId).map(toBehavior);
    },
    async get(accountId, id) {
      const r = get.get(accountId, id);
      return r ? toBehavior(r) : null;
    },
    async update(accountId, changes, at) {
      return updateAll.immediate(accountId, changes, at);
    },
    async putCustom(b) {
      const r = putCustom.run(b.accountId, b.id, b.name, b.description, b.enabled ? 1 : 0, levelRank(b.riskLevel), b.updatedAt.getTime());
      return r.changes === 1;
    },
    async deleteCustom(accountId, id) {
      if (del.run(accountId, id).changes === 1) return 'deleted';
      return get.get(accountId, id) ? 'not_custom' : 'not_found';
    },
  };
}
