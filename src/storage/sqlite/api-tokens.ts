import type { ApiToken, Scope } from '../../domain/api-token.js';
import type { ApiTokenStore } from '../ports.js';
import type { SqliteDb } from './open-database.js';

interface Row {
  id: string;
  account_id: string;
  name: string;
  scopes: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  receiver_id: string | null;
}

const COLUMNS = 'id, account_id, name, scopes, token_hash, created_at, last_used_at, revoked_at, receiver_id';

const toToken = (r: Row): ApiToken => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  scopes: JSON.parse(r.scopes) as Scope[],
  tokenHash: r.token_hash,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
  receiverId: r.receiver_id,
});

const params = (t: ApiToken) => [
  t.id,
  t.accountId,
  t.name,
  JSON.stringify(t.scopes),
  t.tokenHash,
  t.createdAt.getTime(),
  t.lastUsedAt?.getTime() ?? null,
  t.revokedAt?.getTime() ?? null,
  t.receiverId,
];

/** ApiTokenStore on SQLite. */
export function sqliteApiTokenStore(db: SqliteDb): ApiTokenStore {
  const insert = db.prepare(`INSERT INTO api_tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const upsert = db.prepare(
    `INSERT INTO api_tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, scopes = excluded.scopes,
       token_hash = excluded.token_hash, revoked_at = NULL`,
  );
  const byHash = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = ?`);
  const byAccountAndId = db.prepare<[string, string], Row>(
    `SELECT ${COLUMNS} FROM api_tokens WHERE account_id = ? AND id = ?`,
  );
  const byId = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`);
  const byAccount = db.prepare<[string], Row>(
    `SELECT ${COLUMNS} FROM api_tokens WHERE account_id = ? ORDER BY created_at, id`,
  );
  const revoke = db.prepare(
    'UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE account_id = ? AND id = ?',
  );
  const touch = db.prepare(
    'UPDATE api_tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?',
  );
  return {
    async insert(t) {
      insert.run(...params(t));
    },
    async upsert(t) {
      upsert.run(...params(t));
    },
    async findByHash(hash) {
      const r = byHash.get(hash);
      return r ? toToken(r) : null;
    },
    async get(accountId, id) {
      const r = byAccountAndId.get(accountId, id);
      return r ? toToken(r) : null;
    },
    async getById(id) {
      const r = byId.get(id);
      return r ? toToken(r) : null;
    },
    async list(accountId) {
      return byAccount.all(accountId).map(toToken);
    },
    async revoke(accountId, id, at) {
      return revoke.run(at.getTime(), accountId, id).changes === 1;
    },
    async touch(id, at) {
      touch.run(at.getTime(), id);
    },
  };
}
