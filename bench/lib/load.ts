import os from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * A source of request bodies that lives inside the load worker: `next()` is called once per
 * request sent, so every request can carry fresh ids. `check` is called on a sample of the
 * responses (every `checkEvery`-th) and returns a reason when the response is not what the
 * scenario expects (e.g. duplicates counted, signals ignored).
 */
export interface RequestSource {
  next(): string;
  check?(status: number, body: string): string | undefined;
}

/** Builds a RequestSource from a structured-clonable argument (it crosses a thread boundary). */
export type RequestSourceFactory = (arg: unknown) => RequestSource;

/**
 * Where the load worker finds the RequestSource: a module (absolute file: URL, typically
 * `new URL('./lib/signals.js', import.meta.url).href`) and the name of its exported factory.
 */
export interface RequestSourceRef {
  module: string;
  exportName: string;
  arg?: unknown;
  /** Run `check` on every n-th response. Default 50; 0 disables checks. */
  checkEvery?: number;
}

export interface MeasureOptions {
  /** Full URL of the target (path included). Loopback only: the host must be 127.0.0.1. */
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** One fixed body for every request. */
  body?: string;
  /** A fresh body per request, generated in the load worker. Takes precedence over `body`. */
  requests?: RequestSourceRef;
  /** Concurrent connections. Default 10. */
  connections?: number;
  /** Length of the run in seconds (1–120). Default 10. Ignored when `amount` is set. */
  durationSeconds?: number;
  /** Number of requests to complete instead of a duration (1–10,000,000). */
  amount?: number;
  /** Requests in flight per connection. Default 1. */
  pipelining?: number;
  /** Per-request timeout in seconds. Default 10. */
  timeoutSeconds?: number;
  /**
   * A discarded run of this many seconds first, same settings, same worker: it warms both the
   * server and the load generator's JIT. Default 0 (none). Its broken-run counters are kept.
   */
  warmupSeconds?: number;
}

/** Counters of the discarded warm-up run: a warm-up that broke makes the whole run broken. */
export interface WarmupCounters {
  requests: number;
  non2xx: number;
  errors: number;
  mismatches: number;
  firstMismatch?: string;
}

export interface MeasureResult {
  /** Responses received (any status). */
  requests: number;
  /** Wall-clock length of the run in seconds. */
  durationSeconds: number;
  requestsPerSec: number;
  /** Latency percentiles over every response, from the load generator's view, in ms. */
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  /** Sampled responses whose `check` failed, and the first reason. */
  mismatches: number;
  firstMismatch?: string;
  statusCodes: Record<string, number>;
  connections: number;
  pipelining: number;
  warmup?: WarmupCounters;
  /**
   * CPU used during the measured run, as fractions of the whole machine (1 = every core busy):
   * by this process (server, if in-process, and load generator), and by everything else,
   * kernel work not charged to a process included. A high `others` means a noisy run.
   */
  cpu: { process: number; others: number };
}

/** What the worker receives (structured-clonable). */
export interface LoadWorkerSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  requests?: RequestSourceRef;
  connections: number;
  durationSeconds: number;
  amount?: number;
  pipelining: number;
  timeoutSeconds: number;
  warmupSeconds: number;
}

export type LoadWorkerMessage =
  | { phase: 'measuring' }
  | { phase: 'done'; ok: true; result: Omit<MeasureResult, 'cpu'> }
  | { phase: 'done'; ok: false; error: string };

/** Busy and total CPU time of the machine, and this process's CPU time, all in µs. */
function cpuSnapshot() {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    busy += (t.user + t.nice + t.sys + t.irq) * 1000;
    total += (t.user + t.nice + t.sys + t.irq + t.idle) * 1000;
  }
  const p = process.cpuUsage();
  return { busy, total, own: p.user + p.system };
}

function cpuShares(a: ReturnType<typeof cpuSnapshot>, b: ReturnType<typeof cpuSnapshot>): MeasureResult['cpu'] {
  const total = b.total - a.total;
  if (total <= 0) return { process: 0, others: 0 };
  const own = (b.own - a.own) / total;
  return { process: own, others: Math.max(0, (b.busy - a.busy) / total - own) };
}

const MAX_DURATION_SECONDS = 120;
const MAX_AMOUNT = 10_000_000;
/** Hard ceiling for a run by `amount`, after which the worker is terminated. */
const AMOUNT_WALL_CLOCK_SECONDS = 300;

/** Refuses anything but http://127.0.0.1:<port>/…: benchmarks never leave the machine. */
export function assertLoopback(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`load: not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' || u.hostname !== '127.0.0.1') {
    throw new Error(`load: refusing ${u.protocol}//${u.host}: only http://127.0.0.1 targets are allowed`);
  }
  return u;
}

function positiveInt(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`load: ${name} must be an integer in 1..${max}, got ${value}`);
  return value;
}

/**
 * Runs autocannon against `url` in a worker thread, so the load generator and an in-process
 * server under test run on different threads (and cores). Bounded: a fixed duration, or a fixed
 * amount with a wall-clock ceiling.
 */
export async function measure(opts: MeasureOptions): Promise<MeasureResult> {
  assertLoopback(opts.url);
  const spec: LoadWorkerSpec = {
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    connections: positiveInt('connections', opts.connections ?? 10, 1000),
    durationSeconds: positiveInt('durationSeconds', opts.durationSeconds ?? 10, MAX_DURATION_SECONDS),
    pipelining: positiveInt('pipelining', opts.pipelining ?? 1, 100),
    timeoutSeconds: positiveInt('timeoutSeconds', opts.timeoutSeconds ?? 10, 60),
    warmupSeconds: opts.warmupSeconds ? positiveInt('warmupSeconds', opts.warmupSeconds, 60) : 0,
  };
  if (opts.body !== undefined) spec.body = opts.body;
  if (opts.requests) spec.requests = opts.requests;
  if (opts.amount !== undefined) spec.amount = positiveInt('amount', opts.amount, MAX_AMOUNT);

  const ceilingMs =
    1000 * (spec.warmupSeconds + (spec.amount !== undefined ? AMOUNT_WALL_CLOCK_SECONDS : spec.durationSeconds + 2 * spec.timeoutSeconds + 15));
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: spec });
  return new Promise<MeasureResult>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`load: run exceeded its ${ceilingMs / 1000} s ceiling; load worker terminated`)));
      void worker.terminate();
    }, ceilingMs);
    let from = cpuSnapshot();
    worker.on('message', (msg: LoadWorkerMessage) => {
      if (msg.phase === 'measuring') {
        from = cpuSnapshot();
        return;
      }
      const cpu = cpuShares(from, cpuSnapshot());
      settle(() => (msg.ok ? resolve({ ...msg.result, cpu }) : reject(new Error(`load: ${msg.error}`))));
      // Whatever autocannon left scheduled, the run is over.
      void worker.terminate();
    });
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) => settle(() => reject(new Error(`load: worker exited with code ${code} before reporting`))));
  });
}
