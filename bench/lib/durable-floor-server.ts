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
  rows: Array<{ id: string; body: string }>;
  status: number;
  /** The response body (JSON); none when absent. */
  answer?: unknown;
}

/** The signals API's floor (bench ingest): every signal's id, answered with riskwire's envelope shape. */
export const signalsIntake: FloorIntake = (body) => {
  const signals = (JSON.parse(body.toString('utf8')) as { signals: Array<{ id: string }> }).signals;
  return {
    rows: signals.map((s) => ({ id: s.id, body: JSON.stringify(s) })),
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
 */
export async function startDurableFloorServer(intake: FloorIntake = signalsIntake): Promise<BareServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riskwire-floor-'));
  const db = new Database(path.join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE intake (seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL); CREATE UNIQUE INDEX intake_id ON intake (account_id, id);');
  const insert = db.prepare('INSERT INTO intake (account_id, id, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  let queue: Array<{ accepted: FloorAccepted; res: http.ServerResponse }> = [];
  const flush = db.transaction((group: typeof queue) => {
    for (const { accepted } of group) for (const r of accepted.rows) insert.run('bench', r.id, r.body);
  });
  const commit = () => {
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
          db.close();
          fs.rmSync(dir, { recursive: true, force: true });
          if (err) reject(err);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
