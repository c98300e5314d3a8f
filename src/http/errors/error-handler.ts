import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { ServiceError } from '../../domain/errors.js';
import type { Logger } from '../../observability/logger.js';
import { failureBody, type CfMessage } from '../cloudflare/envelope.js';
import { toServiceError } from './to-service-error.js';

/**
 * Which error body a surface speaks (STYLE §7): the Cloudflare envelope under /client/v4, OAuth
 * `{error, error_description}` on SSF and token endpoints, RFC 8935 `{err, description}` on
 * push receivers. A router may set `res.locals.errorSurface`; otherwise the path decides.
 */
export type ErrorSurface = 'cloudflare' | 'oauth' | 'set-push';

/** Cloudflare-style numeric codes (≥ 1000), stable; see docs/errors.md. */
function cloudflareCode(e: ServiceError): number {
  if (e.status === 401) return 10000;
  if (e.status === 403) return 10001;
  if (e.status === 404 && e.code === 'no_route') return 7003;
  if (e.status === 405) return 7001;
  return 1000 + e.status;
}

function surfaceOf(req: Request, res: Response): ErrorSurface {
  return (res.locals.errorSurface as ErrorSurface | undefined) ?? (req.path.startsWith('/client/v4/') ? 'cloudflare' : 'oauth');
}

/** The body and headers of an error on a surface (shared with the hot path). */
export function renderError(e: ServiceError, surface: ErrorSurface, requestId: string): { body: unknown; headers: Record<string, string> } {
  const description = e.expose ? e.description : `internal error (request id ${requestId})`;
  switch (surface) {
    case 'cloudflare': {
      const code = cloudflareCode(e);
      const list: CfMessage[] = e.expose && e.fields.length
        ? e.fields.map((f) => ({ code, message: `${f.path}: ${f.message}`, source: { pointer: f.path } }))
        : [{ code, message: description }];
      return { body: failureBody(list), headers: {} };
    }
    case 'set-push':
      // RFC 8935 §2.3: JSON {err, description} and a Content-Language header.
      return { body: { err: e.code, description }, headers: { 'Content-Language': 'en' } };
    case 'oauth':
      return { body: { error: e.expose ? e.code : 'server_error', error_description: description }, headers: {} };
  }
}

/** 5xx to the error log with its cause; 4xx at debug (they are the caller's to fix). */
export function logError(logger: Logger, e: ServiceError, requestId: string, method: string, path: string): void {
  if (e.status >= 500) {
    logger.error('request failed', { request_id: requestId, method, path, error: e.cause ?? e });
  } else {
    logger.debug('request rejected', { request_id: requestId, status: e.status, code: e.code, description: e.description });
  }
}

/** Unknown routes: 404 in the surface's format. */
export const notFound: RequestHandler = (req) => {
  throw new ServiceError(404, 'no_route', `no route for ${req.method} ${req.path}`);
};

/** The one place errors become HTTP responses. Never a stack trace or driver text to the client. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toServiceError(err);
    const requestId = String(res.locals.requestId ?? '-');
    logError(logger, e, requestId, req.method, req.path);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { body, headers } = renderError(e, surfaceOf(req, res), requestId);
    res.status(e.status).set({ ...e.headers, ...headers, 'Cache-Control': 'no-store' }).json(body);
  };
}
