import type { RequestHandler, Router } from 'express';
import { errors } from '../domain/errors.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Steps = RequestHandler | RequestHandler[];

/**
 * Registers one path's handlers and answers other methods with 405 and an `Allow` header
 * (express alone would fall through to 404). HEAD is allowed wherever GET is.
 * `servedElsewhere`: methods of this path the hot path (src/http/hot-path) answers before
 * express sees them; they only count in `Allow`.
 */
export function route(router: Router, path: string, handlers: Partial<Record<Method, Steps>>, opts: { servedElsewhere?: Method[] } = {}): void {
  const r = router.route(path);
  const allow: string[] = (opts.servedElsewhere ?? []).map((m) => m.toUpperCase());
  for (const [method, steps] of Object.entries(handlers) as Array<[Method, Steps]>) {
    r[method](...(Array.isArray(steps) ? steps : [steps]));
    allow.push(method.toUpperCase());
    if (method === 'get') allow.push('HEAD');
  }
  r.all(() => {
    throw errors.methodNotAllowed(allow);
  });
}
