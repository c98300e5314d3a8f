import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Push delivery metrics (ARCHITECTURE "Operations"). */
export interface PushMetrics {
  delivered: Counter;
  retried: Counter;
  failed: Counter;
  dead: Counter;
  /** From queueing to the receiver's 2xx. */
  latencySeconds: Histogram;
  /** One HTTP attempt. */
  attemptSeconds: Histogram;
}

export function createPushMetrics(registry: Registry, outboxDepth: () => Promise<Array<{ stream: string; pending: number }>>): PushMetrics {
  const c = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  new Gauge({
    name: 'riskwire_outbox_pending',
    help: 'SETs waiting in each stream outbox',
    labelNames: ['stream'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of await outboxDepth()) this.set({ stream: d.stream }, d.pending);
    },
  });
  return {
    delivered: c('riskwire_sets_delivered_total', 'SETs a push receiver accepted'),
    retried: c('riskwire_sets_retried_total', 'Push attempts that will be retried'),
    failed: c('riskwire_sets_failed_total', 'SETs a push receiver rejected for good (RFC 8935 invalid_*)'),
    dead: c('riskwire_sets_dead_lettered_total', 'SETs given up after the retry bound'),
    latencySeconds: new Histogram({ name: 'riskwire_set_delivery_latency_seconds', help: 'From queueing a SET to its delivery', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300], registers: [registry] }),
    attemptSeconds: new Histogram({ name: 'riskwire_push_attempt_seconds', help: 'Duration of one push attempt', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [registry] }),
  };
}
