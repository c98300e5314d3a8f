import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/storage/sqlite/open-database.js';
import { loadBehaviorCatalog } from '../src/config/behavior-catalog.js';
import { levelRank } from '../src/domain/risk-level.js';
import { startBareServer } from './lib/bare-server.js';
import { BrokenRunError, fmt, printHeader, printTable, printVerdicts, progress } from './lib/report.js';

/**
 * `npm run bench -- scale`: 1,000,000 users with 10,000,000 risk events in the embedded store;
 * summary pages and user detail must answer with p99 under 50 ms, and the server's resident
 * memory must stay under 512 MB. Sizes can be lowered for a quick look with SCALE_USERS and
 * SCALE_EVENTS_PER_USER (the recorded figures use the defaults).
 */
const USERS = Number(process.env.SCALE_USERS ?? 1_000_000);
const EVENTS_PER_USER = Number(process.env.SCALE_EVENTS_PER_USER ?? 10);
const SAMPLES = 500;
const ACCOUNT = 'bench';
const DAY = 86_400_000;

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riskwire-scale-'));
  try {
    const loadSeconds = load(dataDir);
    const token = `bench-${randomBytes(24).toString('hex')}`;
    const server = await startServer(dataDir, token);
    try {
      const auth = { authorization: `Bearer ${token}` };
      const base = `${server.url}/client/v4/accounts/${ACCOUNT}/zt_risk_scoring`;
      const sampleUsers = pickUsers(dataDir, 200);
      const bare = await startBareServer();
      const scenarios: Array<[string, (i: number) => string]> = [
        ['bare node:http GET (baseline)', () => `${bare.url}/`],
        ['summary page 1, by timestamp', () => `${base}/summary?per_page=25`],
        ['summary page 1, by event_count', () => `${base}/summary?per_page=25&order_by=event_count`],
        ['summary page 1, by max_risk_level', () => `${base}/summary?per_page=25&order_by=max_risk_level`],
        ['summary page 40 (offset 975)', () => `${base}/summary?per_page=25&page=40`],
        ['user detail, by timestamp', (i) => `${base}/${sampleUsers[i % sampleUsers.length]}`],
        ['user detail, by risk_level', (i) => `${base}/${sampleUsers[i % sampleUsers.length]}?order_by=risk_level`],
      ];
      const rows: Array<[string, number, number, number]> = [];
      for (const [name, url] of scenarios) {
        progress(`measuring: ${name}`);
        const headers = name.startsWith('bare') ? {} : auth;
        for (let i = 0; i < 50; i++) await timed(url(i), headers); // warm-up
        const times: number[] = [];
        for (let i = 0; i < SAMPLES; i++) times.push(await timed(url(i), headers));
        times.sort((a, b) => a - b);
        rows.push([name, pct(times, 0.5), pct(times, 0.99), times.at(-1)!]);
      }
      await bare.close();
      const rss = server.memory();
      printHeader('scale (embedded SQLite store)', [
        `data: ${fmt(USERS, 0)} users, ${fmt(USERS * EVENTS_PER_USER, 0)} events (${fmt(fs.statSync(path.join(dataDir, 'riskwire.db')).size / 2 ** 30, 2)} GiB database), loaded in ${fmt(loadSeconds, 0)} s`,
        `latency: ${SAMPLES} sequential requests per row after 50 warm-up requests, one client on loopback`,
        `server: node dist/src/main.js as a child process, LOG_LEVEL=warn`,
        'command: npm run build && npm run bench -- scale',
      ]);
      printTable(['request', 'p50 ms', 'p99 ms', 'max ms'], rows.map(([n, p50, p99, max]) => [n, fmt(p50), fmt(p99), fmt(max)]));
      printTable(['server memory', 'MiB'], [['resident now (VmRSS)', fmt(rss.rss / 1024, 1)], ['peak resident (VmHWM)', fmt(rss.hwm / 1024, 1)]]);
      const worstP99 = Math.max(...rows.slice(1).map((r) => r[2]));
      printVerdicts([
        { name: 'slowest summary/detail p99', value: `${fmt(worstP99)} ms`, target: '< 50 ms', pass: worstP99 < 50 },
        { name: 'peak resident memory', value: `${fmt(rss.hwm / 1024, 1)} MiB`, target: '< 512 MB', pass: rss.hwm * 1024 < 512e6 },
      ]);
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function timed(url: string, headers: Record<string, string>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!res.ok) throw new BrokenRunError(`${url} answered ${res.status}`);
  return ms;
}

/**
 * Fills the schema the server uses (migrations applied by openDatabase) with consistent data:
 * every user's level, count and last event derive from their events, as ingestion would make
 * them. Rows go in by user so index inserts stay mostly sequential.
 */
function load(dataDir: string): number {
  const started = Date.now();
  const db = openDatabase(path.join(dataDir, 'riskwire.db'), 'normal');
  db.pragma('synchronous = OFF'); // loading only; the server reopens with its own settings
  db.pragma('cache_size = -262144');
  const now = Date.now();
  db.prepare('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)').run(ACCOUNT, 'Scale benchmark', now);
  const catalog = loadBehaviorCatalog();
  const insBehavior = db.prepare('INSERT INTO behaviors (account_id, id, name, description, enabled, risk_rank, custom, updated_at) VALUES (?, ?, ?, ?, 1, ?, 0, ?)');
  for (const b of catalog) insBehavior.run(ACCOUNT, b.id, b.name, b.description, levelRank(b.riskLevel), now);
  const picks = catalog.slice(0, 8);
  const insUser = db.prepare(`INSERT INTO users (account_id, id, name, email, created_at, risk_rank, event_count, last_event_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const insIdent = db.prepare('INSERT INTO user_identifiers (account_id, kind, value, user_id) VALUES (?, ?, ?, ?)');
  const insEvent = db.prepare(`INSERT INTO risk_events (id, account_id, user_id, behavior_id, behavior_name, risk_rank, occurred_at, received_at, source, signal_id, details)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'bench', ?, ?)`);
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const batch = db.transaction((from: number, to: number) => {
    for (let u = from; u < to; u++) {
      const id = randomUUID();
      const email = `user${u}@scale.example.com`;
      let max = 0;
      let last = 0;
      for (let e = 0; e < EVENTS_PER_USER; e++) {
        const b = picks[Math.floor(rand() * picks.length)]!;
        const r = rand();
        const rank = r < 0.6 ? 1 : r < 0.9 ? 2 : 3;
        const at = now - Math.floor(rand() * 30 * DAY);
        max = Math.max(max, rank);
        last = Math.max(last, at);
        insEvent.run(randomUUID(), ACCOUNT, id, b.id, b.name, rank, at, at, `s${u}-${e}`, '{"ray_id":"8d3f"}');
      }
      insUser.run(ACCOUNT, id, `User ${u}`, email, now - 60 * DAY, max, EVENTS_PER_USER, last);
      insIdent.run(ACCOUNT, 'email', email, id);
    }
  });
  const step = 10_000;
  for (let from = 0; from < USERS; from += step) {
    batch(from, Math.min(USERS, from + step));
    if ((from / step) % 10 === 0) progress(`loaded ${fmt(from + step, 0)} / ${fmt(USERS, 0)} users`);
  }
  db.prepare('INSERT INTO account_risk_stats (account_id, scored_users) VALUES (?, ?)').run(ACCOUNT, EVENTS_PER_USER > 0 ? USERS : 0);
  db.exec('ANALYZE');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return (Date.now() - started) / 1000;
}

function pickUsers(dataDir: string, n: number): string[] {
  const db = openDatabase(path.join(dataDir, 'riskwire.db'));
  const ids = (db.prepare('SELECT id FROM users WHERE account_id = ? AND rowid % ? = 0 LIMIT ?').all(ACCOUNT, Math.max(1, Math.floor(USERS / n)), n) as Array<{ id: string }>).map((r) => r.id);
  db.close();
  return ids;
}

async function startServer(dataDir: string, token: string) {
  const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', LOG_FORMAT: 'json',
      RISKWIRE_MASTER_KEY: randomBytes(32).toString('hex'), RISKWIRE_BOOTSTRAP_ACCOUNT: ACCOUNT, RISKWIRE_BOOTSTRAP_TOKEN: token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  // LOG_LEVEL=warn hides the "listening" line, so find the port by asking the OS.
  for (;;) {
    if (child.exitCode !== null) throw new BrokenRunError(`server exited: ${out}`);
    const port = listeningPort(child.pid!);
    if (port) {
      const url = `http://127.0.0.1:${port}`;
      if ((await fetch(`${url}/healthz`).catch(() => null))?.ok) {
        return {
          url,
          memory: () => readMemory(child.pid!),
          stop: async () => {
            child.kill('SIGTERM');
            await new Promise((r) => child.once('exit', r));
          },
        };
      }
    }
    if (Date.now() > deadline) throw new BrokenRunError(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The TCP port a process listens on, from /proc (Linux). */
function listeningPort(pid: number): number | null {
  try {
    const inodes = new Set(
      fs.readdirSync(`/proc/${pid}/fd`).map((fd) => /socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]).filter(Boolean),
    );
    for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && inodes.has(cols[9])) return parseInt(cols[1]!.split(':')[1]!, 16);
    }
  } catch {
    return null;
  }
  return null;
}

function readMemory(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
