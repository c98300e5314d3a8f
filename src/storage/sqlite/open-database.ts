import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

export type SqliteDb = Database.Database;

/**
 * Opens (creating if needed) the embedded database and brings its schema up to date.
 * WAL lets the CLI and the server use one file at once. With WAL, `synchronous=NORMAL` keeps
 * every committed transaction across a process crash (kill -9) and may lose the last ones only
 * on power loss or an OS crash; `full` fsyncs every commit for that case too, at a large cost in
 * write throughput (RISKWIRE_SQLITE_SYNCHRONOUS).
 */
export function openDatabase(file: string, synchronous: 'normal' | 'full' = 'normal', migrations: readonly Migration[] = MIGRATIONS): SqliteDb {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  // A writer waiting on another process (CLI next to the server) waits instead of failing.
  db.pragma('busy_timeout = 5000');
  // Savepoints (group commit, nested transactions) journal each page they touch; in memory,
  // not in a temp file written on every statement.
  db.pragma('temp_store = MEMORY');
  migrate(db, migrations);
  return db;
}

function migrate(db: SqliteDb, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
  // IMMEDIATE: two processes starting together serialize here instead of both migrating.
  const apply = db.transaction((m: Migration) => {
    const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
    if (done) return;
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      m.version,
      m.name,
      Date.now(),
    );
  });
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  const unknown = [...applied].filter((v) => v > newest);
  if (unknown.length) {
    throw new Error(`database schema version ${Math.max(...unknown)} is newer than this riskwire (${newest}); upgrade riskwire`);
  }
  for (const m of migrations) if (!applied.has(m.version)) apply.immediate(m);
}
