import type { Storage } from '../ports.js';
import { openDatabase } from './open-database.js';
import { groupCommit } from './group-commit.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { sqliteAccountStore } from './accounts.js';
import { sqliteApiTokenStore } from './api-tokens.js';
import { sqliteAuditLogStore } from './audit-log.js';
import { sqliteBehaviorStore } from './behaviors.js';
import { sqliteUserStore } from './users.js';
import { sqliteRiskStore } from './risk.js';
import { sqliteOutboxStore, sqliteReceiverStore, sqliteSigningKeyStore, sqliteStreamStore } from './ssf.js';
import { sqliteIntegrationStore } from './integrations.js';
import { sqliteReceivedSetStore, sqliteSubscriptionStore } from './inbound.js';
import { sqliteSourceStore } from './sources.js';

/**
 * Opens the embedded store at `file` and returns every port on it. `backgroundCheckpoints` (the
 * server): WAL checkpoints on a second thread (checkpointer.ts); one-shot users (CLI, tests)
 * leave them to SQLite.
 */
export function openSqliteStorage(
  file: string,
  opts: { synchronous?: 'normal' | 'full'; backgroundCheckpoints?: boolean; onBackgroundError?: (message: string) => void } = {},
): Storage {
  const db = openDatabase(file, opts.synchronous ?? 'normal');
  let checkpointer: Checkpointer | undefined;
  if (opts.backgroundCheckpoints) {
    // The backstop: ~80 MB of WAL before a commit checkpoints by itself (default 1000 pages).
    db.pragma('wal_autocheckpoint = 20000');
    checkpointer = startCheckpointer(file, { onError: opts.onBackgroundError });
  }
  const gc = groupCommit(db);
  let closed = false;
  return {
    kind: 'sqlite',
    accounts: sqliteAccountStore(db),
    apiTokens: sqliteApiTokenStore(db),
    auditLog: sqliteAuditLogStore(db),
    behaviors: sqliteBehaviorStore(db),
    users: sqliteUserStore(db, gc),
    risk: sqliteRiskStore(db, gc),
    signingKeys: sqliteSigningKeyStore(db),
    receivers: sqliteReceiverStore(db),
    streams: sqliteStreamStore(db),
    outbox: sqliteOutboxStore(db, gc),
    integrations: sqliteIntegrationStore(db),
    subscriptions: sqliteSubscriptionStore(db, gc),
    receivedSets: sqliteReceivedSetStore(db, gc),
    sources: sqliteSourceStore(db, gc),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (closed) return;
      closed = true;
      gc.flushNow();
      await checkpointer?.stop();
      db.close();
    },
  };
}
