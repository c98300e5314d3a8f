import type { Integration, IntegrationStore } from '../ssf-ports.js';
import type { SqliteDb } from './open-database.js';

interface Row { account_id: string; id: string; integration_type: 'Okta'; tenant_url: string; reference_id: string | null; active: number; stream_id: string; created_at: number }
const toIntegration = (r: Row): Integration => ({
  accountId: r.account_id, id: r.id, integrationType: r.integration_type, tenantUrl: r.tenant_url, referenceId: r.reference_id,
  active: r.active === 1, streamId: r.stream_id, createdAt: new Date(r.created_at),
});

/** IntegrationStore on SQLite. */
export function sqliteIntegrationStore(db: SqliteDb): IntegrationStore {
  const insert = db.prepare('INSERT INTO integrations (account_id, id, integration_type, tenant_url, reference_id, active, stream_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const get = db.prepare<[string, string], Row>('SELECT * FROM integrations WHERE account_id = ? AND id = ?');
  const byRef = db.prepare<[string, string], Row>('SELECT * FROM integrations WHERE account_id = ? AND reference_id = ? ORDER BY created_at, id LIMIT 1');
  const list = db.prepare<[string], Row>('SELECT * FROM integrations WHERE account_id = ? ORDER BY created_at, id');
  const update = db.prepare('UPDATE integrations SET tenant_url = ?, reference_id = ?, active = ? WHERE account_id = ? AND id = ?');
  const del = db.prepare('DELETE FROM integrations WHERE account_id = ? AND id = ?');
  // The Cloudflare-shaped well-known URL has no account in it (index integrations_by_id).
  const byId = db.prepare<[string], Row>('SELECT * FROM integrations WHERE id = ? LIMIT 2');
  return {
    async insert(i) {
      insert.run(i.accountId, i.id, i.integrationType, i.tenantUrl, i.referenceId, i.active ? 1 : 0, i.streamId, i.createdAt.getTime());
    },
    async get(accountId, id) {
      const r = get.get(accountId, id);
      return r ? toIntegration(r) : null;
    },
    async getByReference(accountId, ref) {
      const r = byRef.get(accountId, ref);
      return r ? toIntegration(r) : null;
    },
    async list(accountId) {
      return list.all(accountId).map(toIntegration);
    },
    async update(i) {
      return update.run(i.tenantUrl, i.referenceId, i.active ? 1 : 0, i.accountId, i.id).changes === 1;
    },
    async delete(accountId, id) {
      return del.run(accountId, id).changes === 1;
    },
    async getById(id) {
      const rows = byId.all(id);
      return rows.length === 1 ? toIntegration(rows[0]!) : null;
    },
  };
}
