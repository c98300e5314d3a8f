import type { CatalogBehavior } from '../domain/behavior.js';
import type { Clock } from '../domain/clock.js';
import { applyEvent } from '../domain/risk.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/ports.js';
import { accountSettingsCache, type AccountSettingsCache } from './account-settings.js';
import { behaviorService, type BehaviorService } from './behaviors.js';
import { runDecayPass } from './decay-worker.js';
import { ingestSignals, type IngestSignals } from './ingest-signals.js';
import { startPeriodic, type Periodic } from './periodic.js';

/** The scoring engine's services, built once per process. */
export interface RiskServices {
  readonly behaviors: BehaviorService;
  readonly ingest: IngestSignals;
  readonly settings: AccountSettingsCache;
  /** Starts the decay scheduler and the crash-recovery sweep; stop them on shutdown. */
  startWorkers(opts?: { decayIntervalMs?: number; recoveryIntervalMs?: number; recoveryAgeMs?: number }): Periodic;
}

export function riskServices(deps: { storage: Storage; catalog: readonly CatalogBehavior[]; now: Clock; logger: Logger }): RiskServices {
  const logger = deps.logger.child('risk');
  const settings = accountSettingsCache(deps.storage, deps.now);
  const behaviors = behaviorService(deps.storage, deps.catalog, deps.now);
  const ingest = ingestSignals({ storage: deps.storage, behaviors, settings, now: deps.now, logger });
  return {
    behaviors,
    ingest,
    settings,
    startWorkers(opts = {}) {
      const decay = startPeriodic('decay pass', opts.decayIntervalMs ?? 30_000, () => runDecayPass({ storage: deps.storage, settings, now: deps.now, logger }), logger);
      // Finishes events a crash left recorded but unapplied (MongoDB; a no-op on SQLite). The
      // decay window is the last one this process saw for the account.
      const recovery = startPeriodic('risk recovery', opts.recoveryIntervalMs ?? 30_000, () =>
        deps.storage.risk.recover(new Date(deps.now().getTime() - (opts.recoveryAgeMs ?? 10_000)), (s, e) => {
          const w = settings.peek(e.accountId)?.decayWindowSeconds ?? null;
          return applyEvent(s, e, w === null ? null : w * 1000, deps.now());
        }), logger);
      return {
        async stop() {
          await Promise.all([decay.stop(), recovery.stop()]);
        },
      };
    },
  };
}
