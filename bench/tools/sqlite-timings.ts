/**
 * A profiling aid, not a benchmark: preloaded into a riskwire process, it times every SQLite
 * statement run through better-sqlite3 (calls and total time per SQL text) and, when the process
 * exits, writes the table, slowest total first, to `$SQLITE_TIMINGS_FILE` (default
 * `sqlite-timings-<pid>.txt` in the OS temp directory). Session 3 found the per-signal no-op
 * writes and repeated reads of ingest with it (docs/benchmarks.md, ingest).
 *
 *   npm run build
 *   BENCH_SERVER_NODE_ARGS="--import ./dist/bench/tools/sqlite-timings.js" npm run bench -- sources
 *
 * (for the child-process benchmarks; ingest runs riskwire in-process: start node with the same
 * `--import`). It slows every statement by the cost of two clock reads.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

type Method = (...args: unknown[]) => unknown;
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => { prepare(sql: string): object; close(): void };
const probe = new Database(':memory:');
const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<'run' | 'get' | 'all', Method> & { source?: string };
probe.close();

const stats = new Map<string, { calls: number; ns: bigint }>();
for (const method of ['run', 'get', 'all'] as const) {
  const original = Statement[method];
  Statement[method] = function timed(this: { source: string }, ...args: unknown[]) {
    const start = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      const key = `${method} ${this.source.replace(/\s+/g, ' ')}`;
      const s = stats.get(key) ?? { calls: 0, ns: 0n };
      s.calls++;
      s.ns += process.hrtime.bigint() - start;
      stats.set(key, s);
    }
  };
}

process.on('exit', () => {
  const file = process.env.SQLITE_TIMINGS_FILE ?? path.join(os.tmpdir(), `sqlite-timings-${process.pid}.txt`);
  const rows = [...stats].sort((a, b) => (b[1].ns > a[1].ns ? 1 : b[1].ns < a[1].ns ? -1 : 0));
  const lines = rows.map(([sql, s]) => `${(Number(s.ns) / 1e6).toFixed(1).padStart(10)} ms ${String(s.calls).padStart(9)} calls  ${sql.slice(0, 160)}`);
  fs.writeFileSync(file, `total ms   calls  statement\n${lines.join('\n')}\n`);
});
