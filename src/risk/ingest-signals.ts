import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { applyEvent, type RiskChange, type RiskEvent } from '../domain/risk.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/ports.js';
import type { AccountSettingsCache } from './account-settings.js';
import type { BehaviorService } from './behaviors.js';
import { resolveUser } from './resolve-user.js';
import type { RiskSignal, SignalOutcome } from './signal.js';

/** Summary of one ingestion call. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
  ignored: number;
  items: SignalOutcome[];
  /** The level changes these signals caused (already durable in the change feed). */
  changes: RiskChange[];
}

export type IngestSignals = (accountId: string, signals: readonly RiskSignal[]) => Promise<IngestResult>;

/**
 * The scoring engine's one entry point: every source calls it. For each signal: skip it (with a
 * reason) when its behavior is unknown or disabled; resolve the user; record the event and
 * apply it to the user's level atomically (Cloudflare §1.6: the level becomes the highest of the
 * current level and the behavior's). Signals are processed in order; one signal's failure to
 * resolve never fails the others.
 */
export function ingestSignals(deps: {
  storage: Storage;
  behaviors: BehaviorService;
  settings: AccountSettingsCache;
  now: Clock;
  logger: Logger;
}): IngestSignals {
  return async (accountId, signals) => {
    const result: IngestResult = { accepted: 0, duplicates: 0, ignored: 0, items: [], changes: [] };
    const { decayWindowSeconds } = await deps.settings.get(accountId);
    const windowMs = decayWindowSeconds === null ? null : decayWindowSeconds * 1000;
    const behaviors = new Map((await deps.behaviors.list(accountId)).map((b) => [b.id, b]));

    for (const s of signals) {
      const signalId = s.id ?? randomUUID();
      const ignore = (reason: string) => {
        result.ignored++;
        result.items.push({ id: signalId, status: 'ignored', reason });
      };
      const behavior = behaviors.get(s.behavior);
      if (!behavior) {
        ignore(`unknown behavior "${s.behavior}"`);
        continue;
      }
      // Cloudflare §1.6: while a behavior is disabled nothing is recorded for it.
      if (!behavior.enabled) {
        ignore(`behavior "${s.behavior}" is disabled`);
        continue;
      }
      const userId = await resolveUser(deps.storage, accountId, s.user, deps.now);
      if (!userId) {
        ignore(`unknown user id "${s.user.id}"`);
        continue;
      }
      const receivedAt = deps.now();
      // A timestamp in the future is clock skew at the source: it counts as now.
      const occurredAt = s.occurredAt && s.occurredAt < receivedAt ? s.occurredAt : receivedAt;
      const event: RiskEvent = {
        accountId,
        id: randomUUID(),
        userId,
        behaviorId: behavior.id,
        behaviorName: behavior.name,
        riskLevel: behavior.riskLevel,
        occurredAt,
        receivedAt,
        source: s.source,
        signalId,
        details: s.details ?? {},
      };
      const outcome = await deps.storage.risk.recordEvent(event, (state, e) => applyEvent(state, e, windowMs, deps.now()));
      if (outcome.status === 'duplicate') {
        result.duplicates++;
        result.items.push({ id: signalId, status: 'duplicate', userId });
        continue;
      }
      result.accepted++;
      result.items.push({ id: signalId, status: 'accepted', userId });
      if (outcome.change) {
        result.changes.push(outcome.change);
        deps.logger.info('risk level changed', {
          account: accountId, user_id: userId, previous: outcome.change.previous, current: outcome.change.current, behavior: behavior.id,
        });
      }
    }
    return result;
  };
}
