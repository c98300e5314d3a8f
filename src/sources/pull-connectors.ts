import type { Logger } from '../observability/logger.js';
import { startPeriodic } from '../risk/periodic.js';
import { guardedFetch } from '../ssf/outbound/guarded-fetch.js';
import type { Storage } from '../storage/ports.js';
import { startEventStreams } from './crowdstrike/event-streams.js';
import type { SourcesService } from './sources-service.js';

/** A logger whose every line names the source it is about. */
const tagged = (l: Logger, tags: Record<string, string>): Logger => ({
  error: (m, meta) => l.error(m, { ...tags, ...meta }),
  warn: (m, meta) => l.warn(m, { ...tags, ...meta }),
  info: (m, meta) => l.info(m, { ...tags, ...meta }),
  debug: (m, meta) => l.debug(m, { ...tags, ...meta }),
  child: (c) => tagged(l.child(c), tags),
});

/**
 * Runs one CrowdStrike Event Streams connector per source configured for it, reconciled with the
 * store every `intervalMs`: a new or changed source (re)starts its connector, a deleted one stops.
 * Every instance runs the connectors; recording is idempotent, so a second instance costs
 * bandwidth, not double scoring (see docs/storage.md).
 */
export function startPullConnectors(deps: {
  storage: Storage; sources: SourcesService; logger: Logger; allowPrivateNetwork: boolean;
  intervalMs?: number; backoffMs?: { first: number; max: number };
}): { stop(): Promise<void> } {
  const running = new Map<string, { stop(): Promise<void> }>();
  const fetch = guardedFetch({ allowPrivateNetwork: deps.allowPrivateNetwork, timeoutMs: 30_000 });

  const reconcile = async () => {
    const targets = await deps.sources.pullTargets('crowdstrike', (s) => typeof s.stream_client_id === 'string');
    const wanted = new Set<string>();
    for (const { source, settings } of targets) {
      // The key changes with every update of the source, so new settings restart the connector.
      const key = `${source.accountId}/${source.id}/${source.updatedAt.toISOString()}`;
      wanted.add(key);
      if (running.has(key)) continue;
      const logger = tagged(deps.logger, { accountId: source.accountId, sourceId: source.id });
      running.set(key, startEventStreams({
        settings: { baseUrl: String(settings.stream_api_base_url), clientId: String(settings.stream_client_id), clientSecret: String(settings.stream_client_secret), appId: String(settings.stream_app_id) },
        fetch, allowPrivateNetwork: deps.allowPrivateNetwork, logger, ...(deps.backoffMs ? { backoffMs: deps.backoffMs } : {}),
        getOffsets: () => deps.storage.sources.getOffsets(source.accountId, source.id),
        saveOffset: (partition, offset) => deps.storage.sources.saveOffset(source.accountId, source.id, partition, offset),
        ingest: (line) => deps.sources.ingestPulled(source, line),
      }));
    }
    await Promise.all([...running].filter(([key]) => !wanted.has(key)).map(async ([key, c]) => {
      running.delete(key);
      await c.stop();
    }));
  };

  const loop = startPeriodic('pull connector reconciliation', deps.intervalMs ?? 30_000, reconcile, deps.logger);
  return {
    async stop() {
      await loop.stop();
      await Promise.all([...running.values()].map((c) => c.stop()));
      running.clear();
    },
  };
}
