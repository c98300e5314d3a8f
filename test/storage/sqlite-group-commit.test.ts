import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { groupCommit } from '../../src/storage/sqlite/group-commit.js';
import { startCheckpointer } from '../../src/storage/sqlite/checkpointer.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { openDatabase, type SqliteDb } from '../../src/storage/sqlite/open-database.js';
import { anAccount } from '../helpers/factories.js';
import { eventually } from '../helpers/eventually.js';
import { MAIN } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const NO_MIGRATIONS: never[] = [];

describe('SQLite group commit', () => {
  let dir: { dir: string; cleanup: () => void };
  let db: SqliteDb;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir.dir, 'gc.db');
    db = openDatabase(file, 'normal', NO_MIGRATIONS);
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL) STRICT');
  });
  afterEach(() => {
    db.close();
    dir.cleanup();
  });
  /** What another connection (another process) sees: only committed rows. */
  const committed = () => {
    const other = new Database(file, { readonly: true });
    try {
      return (other.prepare('SELECT k, v FROM t ORDER BY k').all() as Array<{ k: string; v: number }>).map((r) => `${r.k}=${r.v}`);
    } finally {
      other.close();
    }
  };

  it('commits the writes of one event-loop turn together, and answers each only once it is committed', async () => {
    const gc = groupCommit(db);
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    const seenAtResolve: string[][] = [];
    const writes = ['a', 'b', 'c'].map((k, i) => gc.run(() => insert.run(k, i).changes).then((n) => {
      seenAtResolve.push(committed());
      return n;
    }));
    expect(committed()).toEqual([]); // queued, not yet written
    expect(await Promise.all(writes)).toEqual([1, 1, 1]);
    for (const seen of seenAtResolve) expect(seen).toEqual(['a=0', 'b=1', 'c=2']);
  });

  it('a write that throws rolls back only itself and rejects only its caller', async () => {
    const gc = groupCommit(db);
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    const results = await Promise.allSettled([
      gc.run(() => insert.run('x', 1)),
      gc.run(() => {
        insert.run('y', 2); // undone with its savepoint
        insert.run('x', 3); // primary key conflict
      }),
      gc.run(() => {
        throw new Error('not SQL at all');
      }),
      gc.run(() => insert.run('z', 4)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(committed()).toEqual(['x=1', 'z=4']);
  });

  it('runs queued writes in the order queued, across several groups', async () => {
    const gc = groupCommit(db);
    const upsert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v');
    const order: number[] = [];
    const all = Array.from({ length: 1000 }, (_, i) => gc.run(() => {
      order.push(i);
      return upsert.run('last', i);
    }));
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(committed()).toEqual(['last=999']);
  });

  it('when SQLite rolls the whole transaction back, no write of the group is reported stored', async () => {
    const gc = groupCommit(db);
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    db.exec('CREATE TABLE blobs (v TEXT NOT NULL) STRICT');
    const big = db.prepare('INSERT INTO blobs (v) VALUES (?)');
    // A database that cannot grow: the large write fails with SQLITE_FULL.
    const pages = (db.pragma('page_count', { simple: true }) as number) + 2;
    db.pragma(`max_page_count = ${pages}`);
    const results = await Promise.allSettled([
      gc.run(() => insert.run('small', 1)),
      gc.run(() => big.run('x'.repeat(200_000))),
      gc.run(() => insert.run('after', 2)),
    ]);
    const stored = committed();
    // Whatever SQLite chose to undo (the statement or the whole transaction), what was reported
    // stored is stored, and what was not is not.
    expect(results[1]!.status).toBe('rejected');
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/full/i);
    for (const [i, key] of ['small', 'after'].entries()) {
      const r = results[i === 0 ? 0 : 2]!;
      expect([key, r.status, stored.some((s) => s.startsWith(`${key}=`))]).toEqual([key, r.status, r.status === 'fulfilled']);
    }
    expect((db.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n).toBe(0);
  });

  it('flushNow commits what is queued (before the database closes)', async () => {
    const gc = groupCommit(db);
    const p = gc.run(() => db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('now', 1));
    gc.flushNow();
    expect(committed()).toEqual(['now=1']);
    await p;
  });
});

describe('SQLite background checkpoints', () => {
  it('the checkpoint thread copies the WAL into the database file while the main connection keeps writing', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir.dir, 'cp.db');
      const db = openDatabase(file, 'normal', NO_MIGRATIONS);
      db.pragma('wal_autocheckpoint = 0'); // only the thread checkpoints here
      db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT');
      const before = fs.statSync(file).size;
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      db.transaction(() => {
        for (let i = 0; i < 500; i++) insert.run('x'.repeat(1000));
      })();
      expect(fs.statSync(file).size).toBe(before); // all of it is still in the WAL
      const errors: string[] = [];
      const cp = startCheckpointer(file, { intervalMs: 20, onError: (m) => errors.push(m) });
      await eventually(() => fs.statSync(file).size > before + 400_000);
      await cp.stop();
      await cp.stop(); // idempotent
      expect(errors).toEqual([]);
      db.close();
    } finally {
      dir.cleanup();
    }
  });

  it('closing the store waits for the checkpoint thread even when nothing else keeps the process alive', () => {
    // The thread is unref'd while it runs; closing while it checkpoints a large WAL used to let
    // node end the process early (exit code 13, "unsettled top-level await").
    const storage = path.join(path.dirname(MAIN), 'storage', 'sqlite');
    const script = `
      import fs from 'node:fs';
      const { openSqliteStorage } = await import(${JSON.stringify(path.join(storage, 'index.js'))});
      const { openDatabase } = await import(${JSON.stringify(path.join(storage, 'open-database.js'))});
      const dir = fs.mkdtempSync(${JSON.stringify(path.join(os.tmpdir(), 'riskwire-cp-'))});
      const st = openSqliteStorage(dir + '/rw.db', { backgroundCheckpoints: true });
      const db = openDatabase(dir + '/rw.db');
      db.pragma('wal_autocheckpoint = 0');
      db.exec('CREATE TABLE big (v TEXT)');
      const ins = db.prepare('INSERT INTO big (v) VALUES (?)');
      db.transaction(() => { for (let i = 0; i < 20000; i++) ins.run('x'.repeat(2000)); })();
      db.close();
      await st.close();
      fs.rmSync(dir, { recursive: true, force: true });
      console.log('closed');`;
    const dir = tempDir();
    try {
      const file = path.join(dir.dir, 'close.mjs');
      fs.writeFileSync(file, script);
      for (let i = 0; i < 4; i++) expect(execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 }).trim()).toBe('closed');
    } finally {
      dir.cleanup();
    }
  });

  it('a server store checkpoints in the background and closes its thread with the store', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir.dir, 'rw.db');
      const storage = openSqliteStorage(file, { backgroundCheckpoints: true });
      await storage.accounts.create(anAccount({ id: 'acme' }));
      await storage.close();
      const reopened = openSqliteStorage(file);
      expect(await reopened.accounts.get('acme')).toMatchObject({ id: 'acme' });
      await reopened.close();
    } finally {
      dir.cleanup();
    }
  });
});
