import type { Storage } from '../ports.js';
import { connectMongo } from './connect.js';
import { mongoAccountStore } from './accounts.js';
import { mongoApiTokenStore, ensureApiTokenIndexes } from './api-tokens.js';
import { mongoAuditLogStore, ensureAuditLogIndexes } from './audit-log.js';
import { mongoBehaviorStore, ensureBehaviorIndexes } from './behaviors.js';
import { mongoUserStore, ensureUserIndexes } from './users.js';
import { mongoRiskStore, ensureRiskIndexes } from './risk.js';
import { ensureSsfIndexes, mongoReceiverStore, mongoSigningKeyStore, mongoStreamStore } from './ssf.js';
import { mongoOutboxStore } from './outbox.js';
import { ensureIntegrationIndexes, mongoIntegrationStore } from './integrations.js';
import { ensureInboundIndexes, mongoReceivedSetStore, mongoSubscriptionStore } from './inbound.js';
import { ensureSourceIndexes, mongoSourceStore } from './sources.js';

/**
 * Connects to MongoDB, creates the indexes every port relies on, and returns the ports.
 * No multi-document transactions or change streams are used (FerretDB and standalone servers
 * lack them): each write is a single atomic document operation.
 */
export async function openMongoStorage(uri: string): Promise<Storage> {
  const { client, db } = await connectMongo(uri);
  try {
    await ensureApiTokenIndexes(db);
    await ensureAuditLogIndexes(db);
    await ensureBehaviorIndexes(db);
    await ensureUserIndexes(db);
    await ensureRiskIndexes(db);
    await ensureSsfIndexes(db);
    await ensureIntegrationIndexes(db);
    await ensureInboundIndexes(db);
    await ensureSourceIndexes(db);
  } catch (err) {
    await client.close();
    throw err;
  }
  let closed = false;
  return {
    kind: 'mongodb',
    accounts: mongoAccountStore(db),
    apiTokens: mongoApiTokenStore(db),
    auditLog: mongoAuditLogStore(db),
    behaviors: mongoBehaviorStore(db),
    users: mongoUserStore(db),
    risk: mongoRiskStore(db),
    signingKeys: mongoSigningKeyStore(db),
    receivers: mongoReceiverStore(db),
    streams: mongoStreamStore(db),
    outbox: mongoOutboxStore(db),
    integrations: mongoIntegrationStore(db),
    subscriptions: mongoSubscriptionStore(db),
    receivedSets: mongoReceivedSetStore(db),
    sources: mongoSourceStore(db),
    async ping() {
      await db.command({ ping: 1 });
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
