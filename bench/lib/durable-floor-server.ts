import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BareServer } from './bare-server.js';

/**
 * What a floor endpoint does with one request before storing it: the rows to insert (an id,
 * unique per account, and the payload kept with it) and the answer to give once they are
 * committed. Throwing answers 400 without storing anything.
 */
export type FloorIntake = (body: Buffer, headers: http.IncomingHttpHeaders) => Promise<FloorAccepted> | FloorAccepted;
export interface FloorAccepted {
  /** `user`: whom the row scores, for a scoring floor (none: nothing to score). */
  rows: Array<{ id: string; body: string; user?: string }>;
  status: number;
  /** The response body (JSON); none when absent. */
  answer?: unknown;
}

/** The signals API's floor (bench ingest): every signal's id, answered with riskwire's envelope shape. */
export const signalsIntake: FloorIntake = (body) => {
  const signals = (JSON.parse(body.toString('utf8')) as { signals: Array<{ id: string }> }).signals;
  return {
    rows: signals.map((s) => ({ id: s.id, body: JSON.stringify(s), user: (s as { user?: { email?: string } }).user?.email })),
    status: 200,
    answer: { success: true, errors: [], messages: [], result: { accepted: signals.length, duplicates: 0, ignored: 0 } },
  };
};

/**
 * A reference point between the bare server and riskwire: the least a durable intake endpoint
 * can do on this machine. `intake` does the endpoint's own minimum (parse the body; the
 * webhook and push floors also check the signature); each row it returns is inserted into a
 * SQLite table in WAL mode (synchronous NORMAL, as riskwire) with a unique index standing for
 * idempotency; the inserts of one event-loop turn commit together and each request is answered
 * after the COMMIT. No authentication, validation, user resolution or scoring: what riskwire
 * spends beyond this row is the work of the engine, not of durable storage.
 *
 * `scoring` makes it a *scoring floor*: the least any scorer must also write durably for each new
 * row — the event in a per-user history (one row, one index) and the user's level (one upsert,
 * atomic max, keyed by the row's `user`) — with no user resolution, change feed, summary
 * orderings or audit. `in-request`: in the request's group commit, answered after it (as
 * riskwire's signals API). `after-answer`: the answer follows the intake row's commit and the
 * scoring writes are batched every 10 ms in one transaction of their own (as riskwire's webhook
 * and push endpoints score after answering); on close it reports on stderr whether scoring kept up.
 */
export type FloorScoring = 'none' | 'in-request' | 'after-answer';
export async function startDurableFloorServer(intake: FloorIntake = signalsIntake, opts: { scoring?: FloorScoring } = {}): Promise<BareServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riskwire-floor-'));
  const db = new Database(path.join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE intake (seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL); CREATE UNIQUE INDEX intake_id ON intake (account_id, id);');
  const insert = db.prepare('INSERT INTO intake (account_id, id, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, user_key TEXT NOT NULL, level INTEGER NOT NULL, at INTEGER NOT NULL);
    CREATE INDEX events_by_user ON events (account_id, user_key, at);
    CREATE TABLE users (account_id TEXT NOT NULL, user_key TEXT NOT NULL, level INTEGER NOT NULL, events INTEGER NOT NULL, last_at INTEGER NOT NULL, PRIMARY KEY (account_id, user_key)) WITHOUT ROWID;`);
  const event = db.prepare('INSERT INTO events (account_id, user_key, level, at) VALUES (?, ?, ?, ?)');
  const score = db.prepare(`INSERT INTO users (account_id, user_key, level, events, last_at) VALUES (?, ?, ?, 1, ?)
    ON CONFLICT DO UPDATE SET level = max(level, excluded.level), events = events + 1, last_at = excluded.last_at`);
  let backlog: string[] = [];
  let scored = 0;
  let acceptedRows = 0;
  const scoreBatch = db.transaction((users: string[]) => {
    const at = Date.now();
    for (const u of users) {
      event.run('bench', u, 3, at);
      score.run('bench', u, 3, at);
    }
  });
  const scoring = opts.scoring ?? 'none';
  const scorer = scoring === 'after-answer' ? setInterval(() => {
    const batch = backlog;
    backlog = [];
    if (batch.length) scoreBatch.immediate(batch);
    scored += batch.length;
  }, 10) : undefined;
  let queue: Array<{ accepted: FloorAccepted; res: http.ServerResponse }> = [];
  const flush = db.transaction((group: typeof queue) => {
    const at = Date.now();
    for (const { accepted } of group) {
      for (const r of accepted.rows) {
        if (insert.run('bench', r.id, r.body).changes === 0) continue;
        acceptedRows++;
        if (scoring === 'none' || r.user === undefined) continue;
        if (scoring === 'after-answer') {
          backlog.push(r.user);
          continue;
        }
        event.run('bench', r.user, 3, at);
        score.run('bench', r.user, 3, at);
      }
    }
  });
  let closed = false;
  const commit = () => {
    // Requests still queued when the server closes have lost their connections: nothing to answer.
    if (closed) return;
    const group = queue;
    queue = [];
    flush.immediate(group);
    for (const { accepted, res } of group) {
      const body = accepted.answer === undefined ? '' : JSON.stringify(accepted.answer);
      res.writeHead(accepted.status, { ...(body ? { 'content-type': 'application/json' } : {}), 'content-length': Buffer.byteLength(body) }).end(body);
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const accepted = await intake(Buffer.concat(chunks), req.headers);
          if (queue.push({ accepted, res }) === 1) setImmediate(commit);
        } catch {
          res.writeHead(400, { 'content-length': '0' }).end();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          closed = true;
          if (scorer) {
            clearInterval(scorer);
            const t0 = Date.now();
            const left = backlog.length;
            scoreBatch.immediate(backlog);
            process.stderr.write(`[bench] scoring floor (after answer): ${acceptedRows} rows accepted, ${scored} scored while under load, the other ${left} in ${Date.now() - t0} ms after it\n`);
          }
          db.close();
          fs.rmSync(dir, { recursive: true, force: true });
          if (err) reject(err);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
