/**
 * `npm run bench -- ingest`: how fast riskwire takes in signals, relative to the cheapest HTTP
 * endpoint this Node can serve on the same machine in the same run.
 *
 *  1. bare node:http server, single-signal bodies (the baseline), run first and again last;
 *  2. riskwire, one signal per request;
 *  3. riskwire, 100 signals per request;
 *  4. for reference, no target: the durable floor (bench/lib/durable-floor-server.ts), one signal per
 *     request, to tell the cost of durable storage itself from the cost of the engine;
 *  5. for reference, no target: scoring floors, the least any scorer must write per signal (an event
 *     row and the user's level), scoring in the request (1 and 100 signals per request) and after
 *     answering: what the targets leave room for on this machine, whatever the engine.
 *
 * Targets: (2) req/s ≥ 0.50 × (1) req/s (mean of both baseline runs), and (3) ≥ 20,000 signals/s. Missing a target prints
 * FAIL but exits 0; a broken run (non-2xx, connection errors, wrong answers) exits 1.
 */
import os from 'node:os';
import { measure, type MeasureOptions, type MeasureResult, type RequestSourceRef } from './lib/load.js';
import { startBareServer, type BareServer } from './lib/bare-server.js';
import { startDurableFloorServer } from './lib/durable-floor-server.js';
import { callJson, startRiskwire, type BenchRiskwire } from './lib/riskwire.js';
import { signalBodies, type SignalBodiesArg } from './lib/signals.js';
import { BrokenRunError, fmt, printHeader, printTable, printVerdicts, progress } from './lib/report.js';

const BEHAVIOR = 'imp_travel';
const BATCH = 100;
const TARGET_SINGLE_RATIO = 0.5;
const TARGET_BATCH_SIGNALS_PER_SEC = 20_000;
/** A run is flagged noisy when the two baseline runs differ by more than this, */
const NOISY_DRIFT = 0.15;
/** or when anything else used more than this share of the machine's CPU during a scenario. */
const NOISY_OTHERS = 0.1;

/** Same settings for every scenario. BENCH_SECONDS / BENCH_WARMUP_SECONDS shorten runs while developing. */
const SETTINGS = {
  connections: 10,
  pipelining: 1,
  durationSeconds: envSeconds('BENCH_SECONDS', 10),
  warmupSeconds: envSeconds('BENCH_WARMUP_SECONDS', 2),
};

function envSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 60) throw new Error(`${name} must be an integer number of seconds in 1..60`);
  return n;
}

const signalsPath = (accountId: string) => `/client/v4/accounts/${accountId}/zt_risk_scoring/signals`;

function bodies(arg: SignalBodiesArg): RequestSourceRef {
  return { module: new URL('./lib/signals.js', import.meta.url).href, exportName: 'signalBodies', arg };
}

interface Row {
  name: string;
  batch: number;
  result: MeasureResult;
}

function assertSound(name: string, r: MeasureResult): void {
  const problems: string[] = [];
  if (r.requests === 0) problems.push('no responses at all');
  if (r.non2xx > 0) problems.push(`${r.non2xx} non-2xx responses (status counts ${JSON.stringify(r.statusCodes)})`);
  if (r.errors > 0) problems.push(`${r.errors} connection errors (${r.timeouts} timeouts)`);
  if (r.mismatches > 0) problems.push(`${r.mismatches} sampled responses were wrong, first: ${r.firstMismatch ?? '?'}`);
  const w = r.warmup;
  if (w && (w.non2xx > 0 || w.errors > 0 || w.mismatches > 0)) {
    problems.push(`warm-up: ${w.non2xx} non-2xx, ${w.errors} errors, ${w.mismatches} wrong answers${w.firstMismatch ? ` (first: ${w.firstMismatch})` : ''}`);
  }
  if (problems.length) throw new BrokenRunError(`${name}: ${problems.join('; ')}`);
}

/** A discarded warm-up, then the measured run, in one load worker with identical settings. */
async function scenario(name: string, batch: number, opts: MeasureOptions): Promise<Row> {
  progress(`${name}: ${SETTINGS.warmupSeconds} s warm-up + ${SETTINGS.durationSeconds} s measured`);
  const result = await measure({ ...opts, ...SETTINGS });
  assertSound(name, result);
  progress(`${name}: ${fmt(result.requestsPerSec, 0)} req/s`);
  return { name, batch, result };
}

/** Enables the behavior and checks one request end to end before any load. */
async function prepare(app: BenchRiskwire, batch: number): Promise<void> {
  try {
    await callJson(app, 'PUT', '/zt_risk_scoring/behaviors', { behaviors: { [BEHAVIOR]: { enabled: true, risk_level: 'high' } } });
  } catch (err) {
    throw new BrokenRunError(`set-up: enabling behavior "${BEHAVIOR}" failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const source = signalBodies({ batchSize: batch, behavior: BEHAVIOR, verifyRiskwire: true } satisfies SignalBodiesArg);
  const res = await fetch(`${app.url}${signalsPath(app.accountId)}`, { method: 'POST', headers: app.headers, body: source.next() });
  const text = await res.text();
  const problem = source.check?.(res.status, text);
  if (problem) throw new BrokenRunError(`pre-flight POST ${signalsPath(app.accountId)} with ${batch} signal(s): ${problem}`);
}

async function riskwireScenario(name: string, batch: number): Promise<Row> {
  // A fresh app and store per scenario: no scenario pays for the rows another one wrote.
  const app = await startRiskwire();
  try {
    await prepare(app, batch);
    return await scenario(name, batch, {
      url: `${app.url}${signalsPath(app.accountId)}`,
      method: 'POST',
      headers: app.headers,
      requests: bodies({ batchSize: batch, behavior: BEHAVIOR, verifyRiskwire: true }),
    });
  } finally {
    await app.close();
  }
}

/**
 * A comparison server (the bare baseline, or the durable floor) under the same path, headers and
 * single-signal bodies as riskwire gets: only the server differs. `answersLikeRiskwire`: its
 * responses are checked as riskwire's are.
 */
async function referenceScenario(name: string, start: () => Promise<BareServer>, answersLikeRiskwire: boolean, batchSize = 1): Promise<Row> {
  const server = await start();
  try {
    return await scenario(name, batchSize, {
      url: `${server.url}${signalsPath('bench')}`,
      method: 'POST',
      headers: { authorization: `Bearer bench_baseline_${'0'.repeat(48)}`, 'content-type': 'application/json' },
      requests: bodies({ batchSize, behavior: BEHAVIOR, verifyRiskwire: answersLikeRiskwire }),
    });
  } finally {
    await server.close();
  }
}
const bareScenario = (name: string) => referenceScenario(name, startBareServer, false);
const floorScenario = (name: string) => referenceScenario(name, startDurableFloorServer, true);

export async function run(): Promise<void> {
  const started = new Date();
  // The baseline runs first and last: its mean is what riskwire is compared with, and the
  // difference between the two shows how much the machine drifted during the run.
  const before = await bareScenario('bare node:http, 1 signal/req (before)');
  const single = await riskwireScenario('riskwire, 1 signal/req', 1);
  const batched = await riskwireScenario(`riskwire, ${BATCH} signals/req`, BATCH);
  const floor = await floorScenario('durable floor (reference), 1 signal/req');
  const scoringFloor = await referenceScenario('scoring floor (reference), 1 signal/req', () => startDurableFloorServer(undefined, { scoring: 'in-request' }), true);
  const afterAnswerFloor = await referenceScenario('scoring floor, after answer (reference), 1 signal/req', () => startDurableFloorServer(undefined, { scoring: 'after-answer' }), true);
  const scoringFloorBatched = await referenceScenario('scoring floor (reference), 100 signals/req', () => startDurableFloorServer(undefined, { scoring: 'in-request' }), true, 100);
  const after = await bareScenario('bare node:http, 1 signal/req (after)');
  const rows = [before, single, batched, floor, scoringFloor, afterAnswerFloor, scoringFloorBatched, after];

  const bareRps = (before.result.requestsPerSec + after.result.requestsPerSec) / 2;
  const drift = Math.abs(before.result.requestsPerSec - after.result.requestsPerSec) / bareRps;
  const ratio = single.result.requestsPerSec / bareRps;
  const batchedSignals = batched.result.requestsPerSec * BATCH;

  printHeader('ingest', [
    `load: autocannon in a worker thread of this process (server on the main thread); ${SETTINGS.connections} connections, pipelining ${SETTINGS.pipelining}, ` +
      `${SETTINGS.warmupSeconds} s warm-up (discarded, same worker) + ${SETTINGS.durationSeconds} s measured per scenario, 127.0.0.1 only`,
    `riskwire: in-process, default settings, embedded SQLite in a fresh DATA_DIR under ${os.tmpdir()} per scenario; ` +
      'logger silenced (request logging would add one JSON line per request at info)',
    `signals: behavior "${BEHAVIOR}" enabled (risk_level high), unique ids, 10,000 distinct users`,
    `cpu: share of the whole machine (${os.cpus().length} cores = 100%) used during the measured run by this process ` +
      '(server + load generator) and by everything else',
  ], started);
  printTable(
    ['scenario', 'req/s', 'signals/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'cpu bench', 'cpu others'],
    rows.map(({ name, batch, result: r }) => [
      name,
      fmt(r.requestsPerSec, 0),
      fmt(r.requestsPerSec * batch, 0),
      fmt(r.p50Ms),
      fmt(r.p99Ms),
      fmt(r.requests, 0),
      r.non2xx,
      r.errors,
      `${fmt(100 * r.cpu.process, 0)}%`,
      `${fmt(100 * r.cpu.others, 0)}%`,
    ]),
  );
  const busiest = Math.max(...rows.map((r) => r.result.cpu.others));
  const noisy = drift > NOISY_DRIFT || busiest > NOISY_OTHERS;
  process.stdout.write(
    `bare baseline: ${fmt(bareRps, 0)} req/s (mean of before/after, which differ by ${fmt(100 * drift, 0)}%); ` +
      `other CPU use on the machine peaked at ${fmt(100 * busiest, 0)}% — ` +
      `${noisy ? 'a NOISY run: rerun on a quiet machine before quoting figures' : 'a quiet run'}\n` +
      `durable floor ÷ bare: ${fmt(floor.result.requestsPerSec / bareRps)} (reference, no target: JSON.parse and one group-committed INSERT per signal, nothing else)\n` +
      `scoring floor ÷ bare: ${fmt(scoringFloor.result.requestsPerSec / bareRps)} in the request, ${fmt(afterAnswerFloor.result.requestsPerSec / bareRps)} after answering; ` +
      `batched scoring floor ${fmt(scoringFloorBatched.result.requestsPerSec * 100, 0)} signals/s (reference, no target: the least any scorer writes)\n\n`,
  );
  printVerdicts([
    {
      name: 'single-signal riskwire req/s ÷ bare req/s',
      value: fmt(ratio),
      target: `≥ ${fmt(TARGET_SINGLE_RATIO)}`,
      pass: ratio >= TARGET_SINGLE_RATIO,
    },
    {
      name: `batched (${BATCH}/req) signals/s`,
      value: fmt(batchedSignals, 0),
      target: `≥ ${fmt(TARGET_BATCH_SIGNALS_PER_SEC, 0)}`,
      pass: batchedSignals >= TARGET_BATCH_SIGNALS_PER_SEC,
    },
  ]);
}
