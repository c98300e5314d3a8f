import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.js';
import { errors } from '../../domain/errors.js';
import { route } from '../route.js';

/** What /readyz asks: every check must resolve within the timeout. */
export type ReadinessCheck = () => Promise<void>;

const READY_TIMEOUT_MS = 2000;

/** /healthz (process up), /readyz (storage reachable), /metrics (Prometheus text). */
export function healthRouter(deps: { metrics: Metrics; ready: ReadinessCheck }): Router {
  const router = Router();
  route(router, '/healthz', {
    get: (_req, res) => {
      res.json({ status: 'ok' });
    },
  });
  route(router, '/readyz', {
    get: async (_req, res) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('readiness check timed out')), READY_TIMEOUT_MS);
      });
      try {
        await Promise.race([deps.ready(), timeout]);
      } catch (cause) {
        throw errors.unavailable('not ready: storage unreachable', { cause });
      } finally {
        clearTimeout(timer);
      }
      res.json({ status: 'ready' });
    },
  });
  route(router, '/metrics', {
    get: async (_req, res) => {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    },
  });
  return router;
}
