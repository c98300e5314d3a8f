import type { Account } from '../../domain/account.js';
import type { AccountStore } from '../ports.js';
import type { SqliteDb } from './open-database.js';

interface Row {
  id: string;
  name: string;
  created_at: number;
}

const toAccount = (r: Row): Account => ({ id: r.id, name: r.name, createdAt: new Date(r.created_at) });

/** AccountStore on SQLite. */
export function sqliteAccountStore(db: SqliteDb): AccountStore {
  const insert = db.prepare('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING');
  const byId = db.prepare<[string], Row>('SELECT id, name, created_at FROM accounts WHERE id = ?');
  const all = db.prepare<[], Row>('SELECT id, name, created_at FROM accounts ORDER BY id');
  return {
    async create(a) {
      return insert.run(a.id, a.name, a.createdAt.getTime()).changes === 1;
    },
    async get(id) {
      const r = byId.get(id);
      return r ? toAccount(r) : null;
    },
    async list() {
      return all.all().map(toAccount);
    },
  };
}
