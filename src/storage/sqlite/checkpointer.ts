import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a second thread. A checkpoint copies the pages written to the WAL back into
 * the database file; SQLite's automatic checkpoint runs it inside whichever COMMIT crosses the
 * threshold, on the thread that committed — here the event loop, which then stalls for the copy
 * (about a fifth of the cost of a busy intake, docs/benchmarks.md). This thread opens its own
 * connection and runs PASSIVE checkpoints (they never block writers or readers, SQLite
 * "Checkpointing") every `intervalMs`; the main connection keeps a high automatic threshold as a
 * backstop in case this thread falls behind or dies.
 */
export interface Checkpointer {
  stop(): Promise<void>;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const tick = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => { if (m === 'stop') { clearInterval(timer); tick(); db.close(); process.exit(0); } });
`;

export function startCheckpointer(file: string, opts: { intervalMs?: number; onError?: (message: string) => void } = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, intervalMs: opts.intervalMs ?? 200 } });
  worker.unref();
  worker.on('message', (m: { error?: string }) => {
    if (m.error) opts.onError?.(m.error);
  });
  let exited = false;
  const done = new Promise<void>((resolve) => worker.once('exit', () => {
    exited = true;
    resolve();
  }));
  worker.on('error', (err) => opts.onError?.(`checkpoint thread failed: ${err.message}`));
  return {
    stop: () => {
      if (!exited) {
        // Referenced again while it finishes: an event loop with nothing else left would
        // otherwise end the process before the thread's last checkpoint and exit.
        worker.ref();
        worker.postMessage('stop');
      }
      return done;
    },
  };
}
