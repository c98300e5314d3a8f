import type { Request, RequestHandler } from 'express';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';

/** The route pattern (never the raw path: ids would explode metric cardinality). */
export function routeLabel(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? req.baseUrl + pattern : 'unmatched';
}

/** One log line and one metric sample per request, written when the response finishes. */
export function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      recordRequest(logger, metrics, {
        method: req.method, route: routeLabel(req), status: res.statusCode, start,
        requestId: res.locals.requestId as string | undefined, account: (res.locals.principal as { accountId?: string } | undefined)?.accountId,
      });
    });
    next();
  };
}

/** The request's log line and metric samples (shared with the hot path). */
export function recordRequest(
  logger: Logger,
  metrics: Metrics,
  r: { method: string; route: string; status: number; start: bigint; requestId?: string; account?: string },
): void {
  const seconds = Number(process.hrtime.bigint() - r.start) / 1e9;
  const labels = { method: r.method, route: r.route, status: String(r.status) };
  metrics.httpRequests.inc(labels);
  metrics.httpDuration.observe(labels, seconds);
  logger.info('request', {
    method: r.method,
    route: r.route,
    status: r.status,
    duration_ms: Math.round(seconds * 1e6) / 1e3,
    request_id: r.requestId,
    account: r.account,
  });
}
