import type { Config } from '../config/index.js';
import type { Storage } from './ports.js';
import { openSqliteStorage } from './sqlite/index.js';
import { openMongoStorage } from './mongo/index.js';

/**
 * Chooses the adapter once, from config: MongoDB when MONGODB_URI is set, else embedded SQLite.
 * `server`: a long-running process (background work such as WAL checkpoints is worth a thread).
 */
export async function openStorage(storage: Config['storage'], opts: { server?: boolean; onBackgroundError?: (message: string) => void } = {}): Promise<Storage> {
  return storage.kind === 'mongodb'
    ? openMongoStorage(storage.uri)
    : openSqliteStorage(storage.path, { synchronous: storage.synchronous, backgroundCheckpoints: opts.server, onBackgroundError: opts.onBackgroundError });
}
