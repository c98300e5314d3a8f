import path from 'node:path';
import Database from 'better-sqlite3';
import type { Storage } from '../../src/storage/ports.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { openDatabase } from '../../src/storage/sqlite/open-database.js';
import { MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { describeStorageContracts } from '../contracts/storage.contract.js';
import { anAccount } from '../helpers/factories.js';
import { tempDir } from '../helpers/temp-dir.js';

const dirs: Array<() => void> = [];
afterAll(() => dirs.forEach((cleanup) => cleanup()));

/** A fresh database file per call. */
async function freshSqlite() {
  const { dir, cleanup } = tempDir();
  dirs.push(cleanup);
  return openSqliteStorage(path.join(dir, 'riskwire.db'));
}

/** Two stores on one fresh database file, as two processes would open it. */
async function sharedSqlite(): Promise<[Storage, Storage]> {
  const { dir, cleanup } = tempDir();
  dirs.push(cleanup);
  const file = path.join(dir, 'riskwire.db');
  return [openSqliteStorage(file), openSqliteStorage(file)];
}

describeStorageContracts('SQLite', freshSqlite, sharedSqlite);

describe('SQLite adapter', () => {
  it('keeps data across close and reopen of the same file', async () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const file = path.join(dir, 'nested', 'riskwire.db');
    const a = anAccount();
    const first = openSqliteStorage(file);
    await first.accounts.create(a);
    await first.close();
    const second = openSqliteStorage(file);
    await expect(second.accounts.get(a.id)).resolves.toEqual(a);
    await second.close();
  });

  it('records applied migrations once and runs WAL', () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const file = path.join(dir, 'riskwire.db');
    openDatabase(file).close();
    const db = openDatabase(file);
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('migration 10 gives the sources of an existing database distinct revisions that count up on update', async () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const file = path.join(dir, 'riskwire.db');
    const before = openDatabase(file, 'normal', MIGRATIONS.filter((m) => m.version < 10));
    const insert = before.prepare("INSERT INTO sources (account_id, id, type, name, settings, secret_sealed, created_at, updated_at) VALUES ('acme', ?, 'okta_event_hook', ?, '{}', 'v1.x', 0, 0)");
    for (const id of ['s1', 's2', 's3']) insert.run(id, id);
    before.close();
    const store = openSqliteStorage(file);
    try {
      const revisions = await Promise.all(['s1', 's2', 's3'].map((id) => store.sources.revision('acme', id)));
      for (const r of revisions) expect(Number.isSafeInteger(Number(r))).toBe(true);
      expect(new Set(revisions).size).toBe(3);
      const s1 = (await store.sources.get('acme', 's1'))!;
      await store.sources.update({ ...s1, secretSealed: 'v1.y' });
      expect(Number(await store.sources.revision('acme', 's1'))).toBe(Number(revisions[0]) + 1);
    } finally {
      await store.close();
    }
  });

  it('refuses to open a database written by a newer riskwire', () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const file = path.join(dir, 'riskwire.db');
    openDatabase(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").run();
    raw.close();
    expect(() => openDatabase(file)).toThrow(/newer than this riskwire/);
  });

  it('two connections to one file (server and CLI) both see each other’s writes', async () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const file = path.join(dir, 'riskwire.db');
    const server = openSqliteStorage(file);
    const cli = openSqliteStorage(file);
    const a = anAccount();
    await cli.accounts.create(a);
    await expect(server.accounts.get(a.id)).resolves.toEqual(a);
    await server.close();
    await cli.close();
  });
});
