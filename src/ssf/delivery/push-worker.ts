import { randomBytes } from 'node:crypto';
import type { Config } from '../../config/index.js';
import type { Clock } from '../../domain/clock.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Logger } from '../../observability/logger.js';
import type { Storage } from '../../storage/ports.js';
import type { OutboxEntry } from '../../storage/ssf-ports.js';
import { pushSet, type PushOutcome } from './push-client.js';
import type { PushMetrics } from './push-metrics.js';

/** Exponential backoff with ±20 % jitter, or the receiver's Retry-After when it gave one. */
export function nextDelay(attempt: number, base: number, max: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, base), Math.max(max, retryAfterMs));
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}

/**
 * Push delivery (RFC 8935, SSF §6.1.1): leases due SETs from the outbox (oldest per subject, on
 * enabled push streams), POSTs them, and records each outcome. Network errors, timeouts, 5xx and
 * 429 are retried with backoff (Retry-After honoured); 400 invalid_request/key/issuer/audience are
 * recorded as failed and not retried; after `maxAttempts` or `maxAgeSeconds` a SET is
 * dead-lettered, visible and re-drivable. A retried SET keeps its jti (at-least-once).
 */
export function pushWorker(deps: { config: Config; storage: Storage; secrets: SecretBox; now: Clock; logger: Logger; metrics: PushMetrics }) {
  const { push } = deps.config;
  const owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const { leaseMs } = push;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let wake: (() => void) | undefined;
  /** Set by kick(): remembered when no sleep is in progress, so a wake-up is never lost. */
  let kicked = false;
  let loop: Promise<void> | undefined;
  const kick = () => {
    kicked = true;
    wake?.();
  };

  const authorizationOf = async (e: OutboxEntry): Promise<{ url: string; authorization: string | null } | null> => {
    const stream = await deps.storage.streams.get(e.accountId, e.streamId);
    if (!stream) return null;
    const sealed = stream.delivery.authorizationHeaderSealed;
    const authorization = sealed ? deps.secrets.open(sealed, `${e.accountId}/streams/${e.streamId}/authorization`).toString('utf8') : null;
    return { url: stream.delivery.endpointUrl, authorization };
  };

  const deliver = async (e: OutboxEntry): Promise<void> => {
    const target = await authorizationOf(e);
    if (!target) return; // stream deleted meanwhile: its outbox went with it
    const started = Date.now();
    const outcome: PushOutcome = await pushSet(target.url, e.set, { authorization: target.authorization, timeoutMs: push.timeoutMs, allowPrivateNetwork: deps.config.allowPrivateNetwork });
    const now = deps.now();
    deps.metrics.attemptSeconds.observe((Date.now() - started) / 1000);
    if (outcome.kind === 'delivered') {
      await deps.storage.outbox.finish(e.jti, owner, 'delivered', null, now);
      deps.metrics.delivered.inc();
      deps.metrics.latencySeconds.observe(Math.max(0, now.getTime() - e.createdAt.getTime()) / 1000);
      return;
    }
    const attempt = e.attempts + 1;
    const tooOld = now.getTime() - e.createdAt.getTime() > push.maxAgeSeconds * 1000;
    if (outcome.kind === 'permanent') {
      await deps.storage.outbox.finish(e.jti, owner, 'failed', outcome.error, now);
      deps.metrics.failed.inc();
      deps.logger.warn('SET rejected by receiver, not retried', { account: e.accountId, stream_id: e.streamId, jti: e.jti, error: outcome.error });
    } else if (attempt >= push.maxAttempts || tooOld) {
      await deps.storage.outbox.finish(e.jti, owner, 'dead', `gave up after ${attempt} attempts: ${outcome.error}`, now);
      deps.metrics.dead.inc();
      deps.logger.warn('SET dead-lettered', { account: e.accountId, stream_id: e.streamId, jti: e.jti, attempts: attempt, error: outcome.error });
    } else {
      const delay = nextDelay(attempt, push.backoffBaseMs, push.backoffMaxMs, outcome.retryAfterMs);
      await deps.storage.outbox.retryLater(e.jti, owner, new Date(now.getTime() + delay), outcome.error);
      deps.metrics.retried.inc();
      deps.logger.debug('SET push will be retried', { account: e.accountId, stream_id: e.streamId, jti: e.jti, attempt, delay_ms: delay, error: outcome.error });
    }
  };

  const run = async () => {
    while (!stopped) {
      kicked = false;
      const room = push.concurrency - inFlight.size;
      let claimed: OutboxEntry[] = [];
      if (room > 0) {
        try {
          const now = deps.now();
          claimed = await deps.storage.outbox.claimDue(now, owner, new Date(now.getTime() + leaseMs), room);
        } catch (err) {
          deps.logger.error('claiming SETs to push failed', { error: err });
        }
      }
      for (const e of claimed) {
        const p: Promise<void> = deliver(e)
          .catch((err: unknown) => deps.logger.error('push attempt failed', { jti: e.jti, error: err }))
          .finally(() => {
            inFlight.delete(p);
            kick(); // a finished SET may release the next one about the same subject
          });
        inFlight.add(p);
      }
      if ((claimed.length && claimed.length === room) || kicked) continue;
      // Sleep until woken (a SET was queued, an attempt finished) or the next tick for retries due
      // and SETs queued by other instances.
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          wake = undefined;
          resolve();
        }, 250);
        wake = () => {
          clearTimeout(t);
          wake = undefined;
          resolve();
        };
      });
    }
  };

  return {
    start() {
      loop ??= run();
    },
    /** Something was queued: look now instead of at the next tick. */
    kick,
    /** Stops claiming and waits for attempts in flight (each is bounded by the push timeout). */
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await Promise.all([...inFlight]);
    },
  };
}
