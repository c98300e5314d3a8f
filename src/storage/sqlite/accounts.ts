import type { Account } from '../../domain/account.js';
import type { AccountStore } from '../ports.js';
import type { SqliteDb } from './open-database.js';

interface Row {
  id: string;
  name: string;
  created_at: number;
  decay_window_s: number | null;
  ssf_default_subjects: 'ALL' | 'NONE';
}

const toAccount = (r: Row): Account => ({
  id: r.id,
  name: r.name,
  createdAt: new Date(r.created_at),
  settings: { decayWindowSeconds: r.decay_window_s, ssfDefaultSubjects: r.ssf_default_subjects },
});

/** AccountStore on SQLite. */
export function sqliteAccountStore(db: SqliteDb): AccountStore {
  const insert = db.prepare(
    'INSERT INTO accounts (id, name, created_at, decay_window_s, ssf_default_subjects) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  const byId = db.prepare<[string], Row>('SELECT id, name, created_at, decay_window_s, ssf_default_subjects FROM accounts WHERE id = ?');
  const all = db.prepare<[], Row>('SELECT id, name, created_at, decay_window_s, ssf_default_subjects FROM accounts ORDER BY id');
  const settings = db.prepare('UPDATE accounts SET decay_window_s = ?, ssf_default_subjects = ? WHERE id = ?');
  return {
    async create(a) {
      return insert.run(a.id, a.name, a.createdAt.getTime(), a.settings.decayWindowSeconds, a.settings.ssfDefaultSubjects).changes === 1;
    },
    async get(id) {
      const r = byId.get(id);
      return r ? toAccount(r) : null;
    },
    async list() {
      return all.all().map(toAccount);
    },
    async updateSettings(id, s) {
      return settings.run(s.decayWindowSeconds, s.ssfDefaultSubjects, id).changes === 1;
    },
  };
}
