import type { Config } from '../config/index.js';
import type { Storage } from './ports.js';
import { openSqliteStorage } from './sqlite/index.js';
import { openMongoStorage } from './mongo/index.js';

/** Chooses the adapter once, from config: MongoDB when MONGODB_URI is set, else embedded SQLite. */
export async function openStorage(storage: Config['storage']): Promise<Storage> {
  return storage.kind === 'mongodb' ? openMongoStorage(storage.uri) : openSqliteStorage(storage.path, { synchronous: storage.synchronous });
}
