/**
 * The load generator's thread: runs one autocannon run described by workerData (a
 * LoadWorkerSpec) and posts back one LoadWorkerMessage. Started by measure() in load.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import autocannon from 'autocannon';
import type { LoadWorkerMessage, LoadWorkerSpec, MeasureResult, RequestSource, RequestSourceFactory, WarmupCounters } from './load.js';

/** Latencies as float ms (autocannon's own histogram keeps whole milliseconds only). */
class Samples {
  private data = new Float64Array(1 << 16);
  private n = 0;
  add(v: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = v;
  }
  /** Nearest-rank percentile, p in (0, 1]. */
  percentiles(...ps: number[]): number[] {
    const sorted = this.data.slice(0, this.n).sort();
    return ps.map((p) => (this.n === 0 ? 0 : sorted[Math.max(0, Math.ceil(p * this.n) - 1)] ?? 0));
  }
}

async function loadSource(spec: LoadWorkerSpec): Promise<RequestSource | undefined> {
  if (!spec.requests) return undefined;
  const mod = (await import(spec.requests.module)) as Record<string, unknown>;
  const factory = mod[spec.requests.exportName];
  if (typeof factory !== 'function') throw new Error(`${spec.requests.module} exports no function "${spec.requests.exportName}"`);
  return (factory as RequestSourceFactory)(spec.requests.arg);
}

/** Mutable counters of one autocannon run, fed by its events and the sampled checks. */
interface Tally {
  latencies: Samples;
  statusCodes: Record<string, number>;
  completed: number;
  non2xx: number;
  responses: number;
  mismatches: number;
  firstMismatch?: string;
}

const newTally = (): Tally => ({ latencies: new Samples(), statusCodes: {}, completed: 0, non2xx: 0, responses: 0, mismatches: 0 });

/** One bounded autocannon run; `tally` collects what it saw. */
async function runOnce(spec: LoadWorkerSpec, source: RequestSource | undefined, seconds: number, amount: number | undefined, tally: Tally) {
  const checkEvery = spec.requests?.checkEvery ?? 50;
  const request: autocannon.Request = {};
  if (source) {
    request.setupRequest = (req) => {
      req.body = source.next();
      return req;
    };
    if (source.check && checkEvery > 0) {
      const check = source.check.bind(source);
      request.onResponse = (status, body) => {
        if (++tally.responses % checkEvery !== 0) return;
        const reason = check(status, body);
        if (reason !== undefined) {
          tally.mismatches++;
          tally.firstMismatch ??= reason;
        }
      };
    }
  }
  const options: autocannon.Options = {
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    connections: spec.connections,
    pipelining: spec.pipelining,
    timeout: spec.timeoutSeconds,
    duration: seconds,
    // A timed run stops at the first sample after `duration`: sample often, so it ends on time.
    sampleInt: 100,
    requests: [request],
  };
  if (spec.body !== undefined) options.body = spec.body;
  if (amount !== undefined) options.amount = amount;

  const instance = autocannon(options);
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    tally.completed++;
    tally.latencies.add(responseTimeMs);
    tally.statusCodes[statusCode] = (tally.statusCodes[statusCode] ?? 0) + 1;
    if (statusCode < 200 || statusCode > 299) tally.non2xx++;
  });
  return instance;
}

async function measureInWorker(spec: LoadWorkerSpec, port: MessagePort): Promise<Omit<MeasureResult, 'cpu'>> {
  // One source for warm-up and measurement: ids keep counting, so none repeats.
  const source = await loadSource(spec);
  let warmup: WarmupCounters | undefined;
  if (spec.warmupSeconds > 0) {
    const w = newTally();
    const raw = await runOnce(spec, source, spec.warmupSeconds, undefined, w);
    warmup = { requests: w.completed, non2xx: w.non2xx, errors: raw.errors, mismatches: w.mismatches };
    if (w.firstMismatch !== undefined) warmup.firstMismatch = w.firstMismatch;
  }
  port.postMessage({ phase: 'measuring' } satisfies LoadWorkerMessage);
  const t = newTally();
  const raw = await runOnce(spec, source, spec.durationSeconds, spec.amount, t);
  const durationSeconds = (raw.finish.getTime() - raw.start.getTime()) / 1000;
  const [p50Ms = 0, p99Ms = 0] = t.latencies.percentiles(0.5, 0.99);
  const result: Omit<MeasureResult, 'cpu'> = {
    requests: t.completed,
    durationSeconds,
    requestsPerSec: durationSeconds > 0 ? t.completed / durationSeconds : 0,
    p50Ms,
    p99Ms,
    non2xx: t.non2xx,
    errors: raw.errors,
    timeouts: raw.timeouts,
    mismatches: t.mismatches,
    statusCodes: t.statusCodes,
    connections: spec.connections,
    pipelining: spec.pipelining,
  };
  if (t.firstMismatch !== undefined) result.firstMismatch = t.firstMismatch;
  if (warmup) result.warmup = warmup;
  return result;
}

const port = parentPort;
if (!port) throw new Error('load-worker.js runs only as a worker thread (see measure() in load.ts)');
let message: LoadWorkerMessage;
try {
  message = { phase: 'done', ok: true, result: await measureInWorker(workerData as LoadWorkerSpec, port) };
} catch (err) {
  message = { phase: 'done', ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) };
}
port.postMessage(message);
