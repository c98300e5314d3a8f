import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../domain/errors.js';
import type { ErrorSurface } from '../errors/error-handler.js';
import { Exchange, type ExchangeDeps } from './exchange.js';

/**
 * A route served on the hot path. `pattern` matches the path (no query) and captures the
 * still-encoded path parameters, in order.
 */
export interface HotRoute {
  method: 'POST';
  pattern: RegExp;
  /** The route pattern for logs and metrics, as the express stack labels it. */
  label: string;
  surface: ErrorSurface;
  handle(x: Exchange, params: string[], query: string): Promise<void>;
}

/** Serves a request when a hot route matches it; false hands it to the express app. */
export type HotPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The high-volume intake endpoints — signals, vendor webhooks, SET push — served on bare
 * node:http before express: express's routing and middleware alone cost several times what
 * these requests do (docs/benchmarks.md, ingest). Only the routes' POSTs live here; every
 * other method on their paths (405, a webhook's GET verification) stays in the express routers.
 * Express matches paths case-insensitively and with an optional trailing slash; the patterns
 * do the same, so a request is served by the same code whichever way it is spelled.
 */
export function createHotPath(routes: readonly HotRoute[], deps: ExchangeDeps): HotPath {
  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const r of routes) {
      if (req.method !== r.method) continue;
      const m = r.pattern.exec(path);
      if (!m) continue;
      const x = new Exchange(req, res, r.label, r.surface, deps);
      let params: string[];
      try {
        params = m.slice(1).map((p) => decodeURIComponent(p));
      } catch {
        x.fail(errors.badRequest('the request path contains an invalid %-escape'));
        return true;
      }
      r.handle(x, params, q < 0 ? '' : url.slice(q + 1)).catch((err: unknown) => x.fail(err));
      return true;
    }
    return false;
  };
}
