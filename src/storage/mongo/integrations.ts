import type { Db } from 'mongodb';
import type { Integration, IntegrationStore } from '../ssf-ports.js';

interface Doc { _id: string; account_id: string; id: string; integration_type: 'Okta'; tenant_url: string; reference_id: string | null; active: boolean; stream_id: string; created_at: Date }
const toIntegration = (d: Doc): Integration => ({
  accountId: d.account_id, id: d.id, integrationType: d.integration_type, tenantUrl: d.tenant_url, referenceId: d.reference_id ?? null,
  active: d.active, streamId: d.stream_id, createdAt: d.created_at,
});

export async function ensureIntegrationIndexes(db: Db): Promise<void> {
  await db.collection('integrations').createIndex({ account_id: 1, reference_id: 1, created_at: 1 }, { name: 'by_reference' });
  // getById: the unauthenticated Cloudflare-shaped well-known URL names the integration only.
  await db.collection('integrations').createIndex({ id: 1 }, { name: 'by_id' });
}

/** IntegrationStore on MongoDB. */
export function mongoIntegrationStore(db: Db): IntegrationStore {
  const col = db.collection<Doc>('integrations');
  const key = (a: string, id: string) => `${a}:${id}`;
  return {
    async insert(i) {
      await col.insertOne({ _id: key(i.accountId, i.id), account_id: i.accountId, id: i.id, integration_type: i.integrationType, tenant_url: i.tenantUrl, reference_id: i.referenceId, active: i.active, stream_id: i.streamId, created_at: i.createdAt });
    },
    async get(accountId, id) {
      const d = await col.findOne({ _id: key(accountId, id) });
      return d ? toIntegration(d) : null;
    },
    async getById(id) {
      const docs = await col.find({ id }).limit(2).toArray();
      return docs.length === 1 ? toIntegration(docs[0]!) : null;
    },
    async getByReference(accountId, ref) {
      const d = await col.find({ account_id: accountId, reference_id: ref }).sort({ created_at: 1, id: 1 }).limit(1).next();
      return d ? toIntegration(d) : null;
    },
    async list(accountId) {
      return (await col.find({ account_id: accountId }).sort({ created_at: 1, id: 1 }).toArray()).map(toIntegration);
    },
    async update(i) {
      return (await col.updateOne({ _id: key(i.accountId, i.id) }, { $set: { tenant_url: i.tenantUrl, reference_id: i.referenceId, active: i.active } })).matchedCount === 1;
    },
    async delete(accountId, id) {
      return (await col.deleteOne({ _id: key(accountId, id) })).deletedCount === 1;
    },
  };
}
