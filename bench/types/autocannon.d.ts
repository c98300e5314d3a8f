/**
 * The slice of autocannon 8's programmatic API the benchmarks use (the package ships no types).
 * See node_modules/autocannon/README.md, "API".
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    /** What a request is built from; `setupRequest` may rewrite it before each send. */
    interface RequestParams {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
    }

    interface Request extends RequestParams {
      /** Returns the request to send (or a falsy value to restart the sequence). */
      setupRequest?: (request: RequestParams, context: Record<string, unknown>) => RequestParams | null | undefined;
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    }

    interface Options {
      url: string;
      connections?: number;
      /** Seconds. Ignored when `amount` is set. */
      duration?: number;
      amount?: number;
      /** Milliseconds between samples; a timed run ends at the first sample after `duration`. Default 1000. */
      sampleInt?: number;
      pipelining?: number;
      /** Seconds to wait for a response. */
      timeout?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      requests?: Request[];
      title?: string;
      bailout?: number;
      workers?: number;
      expectBody?: string;
      verifyBody?: (body: string) => boolean;
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
      [percentile: string]: number;
    }

    /**
     * What a run resolves to. In the main thread autocannon aggregates it (`latency`, `requests`,
     * `throughput` histograms); in a worker thread it hands back the raw counters instead
     * (`totalCompletedRequests`, encoded histograms). The fields below are common to both.
     */
    interface Result {
      /** Seconds, rounded to 10 ms. */
      duration: number;
      start: Date;
      finish: Date;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      resets: number;
      statusCodeStats: Record<string, { count: number }>;
      latency?: Histogram;
      requests?: (Histogram & { sent: number }) | string;
      totalCompletedRequests?: number;
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
      on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
      on(event: 'reqError', listener: (error: Error) => void): this;
      on(event: 'done', listener: (result: Result) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  function autocannon(opts: autocannon.Options): autocannon.Instance;
  function autocannon(opts: autocannon.Options, cb: (err: Error | null, result: autocannon.Result) => void): autocannon.Instance;

  export = autocannon;
}
