import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../domain/errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { logError, renderError, type ErrorSurface } from '../errors/error-handler.js';
import { toServiceError } from '../errors/to-service-error.js';
import { requestIdFrom } from '../middleware/request-id.js';
import { recordRequest } from '../middleware/request-log.js';

/** What every hot-path exchange needs from the app. */
export interface ExchangeDeps {
  logger: Logger;
  metrics: Metrics;
  /** True once shutdown began: responses then close their connection. */
  isDraining: () => boolean;
}

/**
 * One request/response on the hot path, on bare node:http: the same request id, draining
 * behaviour, request log line, metrics and error bodies as the express stack
 * (src/http/middleware, src/http/errors), without express's per-request cost.
 */
export class Exchange {
  readonly requestId: string;
  /** Set once authenticated: it goes into the request log. */
  account: string | undefined;
  private readonly start = process.hrtime.bigint();

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly route: string,
    private readonly surface: ErrorSurface,
    private readonly deps: ExchangeDeps,
  ) {
    this.requestId = requestIdFrom(this.header('x-request-id'));
    res.setHeader('X-Request-Id', this.requestId);
    if (deps.isDraining()) res.setHeader('Connection', 'close');
    res.once('finish', () => {
      recordRequest(deps.logger, deps.metrics, {
        method: req.method ?? '-', route, status: res.statusCode, start: this.start, requestId: this.requestId, account: this.account,
      });
    });
  }

  /** A request header as one string (repeated headers joined with ", "). */
  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  /**
   * The request body, at most `limit` bytes: 413 as soon as the declared or received length
   * exceeds it, 415 for a compressed body (no hot route accepts one), 400 when the client
   * stops sending midway.
   */
  readBody(limit: number): Promise<Buffer> {
    const encoding = this.header('content-encoding');
    if (encoding && encoding.trim().toLowerCase() !== 'identity') {
      return Promise.reject(errors.unsupportedMediaType(`Content-Encoding "${encoding}" is not supported; send the body uncompressed`));
    }
    const declared = Number(this.header('content-length'));
    if (declared > limit) return Promise.reject(this.tooLarge(limit));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = (err: Error | null) => {
        if (done) return;
        done = true;
        this.req.off('data', onData);
        if (err) reject(err);
        else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) finish(this.tooLarge(limit));
        else chunks.push(chunk);
      };
      this.req.on('data', onData);
      this.req.once('end', () => finish(null));
      // 'close' also follows a complete body ('end' came first then): the error is made only when needed.
      const cut = () => {
        if (!done) finish(errors.badRequest('request body was incomplete'));
      };
      this.req.once('error', cut);
      this.req.once('close', cut);
    });
  }

  /** A JSON response (`application/json; charset=utf-8`), as express's res.json writes it. */
  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    this.res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    });
    this.res.end(text);
  }

  /** A response without a body (202, 204). */
  empty(status: number): void {
    this.res.writeHead(status);
    this.res.end();
  }

  /** Any error as the surface's error body: the one mapping the express stack uses too. */
  fail(err: unknown): void {
    const e = toServiceError(err);
    logError(this.deps.logger, e, this.requestId, this.req.method ?? '-', this.req.url ?? '-');
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    const { body, headers } = renderError(e, this.surface, this.requestId);
    this.json(e.status, body, { ...e.headers, ...headers, 'Cache-Control': 'no-store' });
  }

  private tooLarge(limit: number) {
    // The rest of the body is not read: the connection closes after the answer.
    this.res.setHeader('Connection', 'close');
    return errors.payloadTooLarge(`request body exceeds the ${limit} byte limit`);
  }
}
