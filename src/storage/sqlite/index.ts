import type { Storage } from '../ports.js';
import { openDatabase } from './open-database.js';
import { sqliteAccountStore } from './accounts.js';
import { sqliteApiTokenStore } from './api-tokens.js';
import { sqliteAuditLogStore } from './audit-log.js';
import { sqliteBehaviorStore } from './behaviors.js';
import { sqliteUserStore } from './users.js';
import { sqliteRiskStore } from './risk.js';
import { sqliteOutboxStore, sqliteReceiverStore, sqliteSigningKeyStore, sqliteStreamStore } from './ssf.js';
import { sqliteIntegrationById, sqliteIntegrationStore } from './integrations.js';
import { sqliteReceivedSetStore, sqliteSubscriptionStore } from './inbound.js';
import { sqliteSourceStore } from './sources.js';

/** Opens the embedded store at `file` and returns every port on it. */
export function openSqliteStorage(file: string, opts: { synchronous?: 'normal' | 'full' } = {}): Storage {
  const db = openDatabase(file, opts.synchronous ?? 'normal');
  let closed = false;
  return {
    kind: 'sqlite',
    accounts: sqliteAccountStore(db),
    apiTokens: sqliteApiTokenStore(db),
    auditLog: sqliteAuditLogStore(db),
    behaviors: sqliteBehaviorStore(db),
    users: sqliteUserStore(db),
    risk: sqliteRiskStore(db),
    signingKeys: sqliteSigningKeyStore(db),
    receivers: sqliteReceiverStore(db),
    streams: sqliteStreamStore(db),
    outbox: sqliteOutboxStore(db),
    integrations: { ...sqliteIntegrationStore(db), ...sqliteIntegrationById(db) },
    subscriptions: sqliteSubscriptionStore(db),
    receivedSets: sqliteReceivedSetStore(db),
    sources: sqliteSourceStore(db),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
