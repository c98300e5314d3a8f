import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BareServer } from './bare-server.js';

/**
 * A reference point between the bare server and riskwire: the least a durable ingest endpoint
 * can do on this machine. It parses the JSON body, inserts each signal's id into a SQLite table
 * in WAL mode (synchronous NORMAL, as riskwire) with a unique index standing for idempotency,
 * commits the inserts of one event-loop turn together, and answers after the COMMIT with
 * riskwire's envelope shape. No authentication, validation, user resolution or scoring: what
 * riskwire spends beyond this row is the work of the engine, not of durable storage.
 */
export async function startDurableFloorServer(): Promise<BareServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riskwire-floor-'));
  const db = new Database(path.join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE signals (seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL); CREATE UNIQUE INDEX signals_id ON signals (account_id, id);');
  const insert = db.prepare('INSERT INTO signals (account_id, id, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  let queue: Array<{ signals: Array<{ id: string }>; res: http.ServerResponse }> = [];
  const flush = db.transaction((group: typeof queue) => {
    for (const { signals } of group) for (const s of signals) insert.run('bench', s.id, JSON.stringify(s));
  });
  const commit = () => {
    const group = queue;
    queue = [];
    flush.immediate(group);
    for (const { signals, res } of group) {
      const body = JSON.stringify({ success: true, errors: [], messages: [], result: { accepted: signals.length, duplicates: 0, ignored: 0 } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let signals: Array<{ id: string }>;
      try {
        signals = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { signals: Array<{ id: string }> }).signals;
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (queue.push({ signals, res }) === 1) setImmediate(commit);
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
