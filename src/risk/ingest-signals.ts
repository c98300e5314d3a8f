import { randomUUID } from 'node:crypto';
import type { Behavior } from '../domain/behavior.js';
import type { Clock } from '../domain/clock.js';
import { applyEvent, type RiskChange, type RiskEvent } from '../domain/risk.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/ports.js';
import type { AccountSettingsCache } from './account-settings.js';
import type { BehaviorService } from './behaviors.js';
import { resolveUsers } from './resolve-user.js';
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
    const behaviors = new Map((await deps.behaviors.forIngest(accountId)).map((b) => [b.id, b]));

    // A signal id the account already recorded is a duplicate whatever else it now says (its
    // behavior since disabled, other user data): nothing more is decided or created for it.
    const ids = signals.flatMap((s) => (s.id === undefined ? [] : [s.id]));
    const known = ids.length ? await deps.storage.risk.knownSignals(accountId, ids) : new Map<string, string>();

    // Pass 1: decide each signal, keeping the input order; resolve the users of those to record.
    type Slot = { signalId: string; ignored?: string; duplicateOf?: string; event?: RiskEvent };
    const slots: Slot[] = [];
    const toResolve: Array<{ slot: Slot; signal: RiskSignal; behavior: Behavior }> = [];
    for (const s of signals) {
      const signalId = s.id ?? randomUUID();
      const duplicateOf = known.get(signalId);
      if (duplicateOf !== undefined) {
        slots.push({ signalId, duplicateOf });
        continue;
      }
      const behavior = behaviors.get(s.behavior);
      if (!behavior) {
        slots.push({ signalId, ignored: `unknown behavior "${s.behavior}"` });
        continue;
      }
      // Cloudflare §1.6: while a behavior is disabled nothing is recorded for it.
      if (!behavior.enabled) {
        slots.push({ signalId, ignored: `behavior "${s.behavior}" is disabled` });
        continue;
      }
      const slot: Slot = { signalId };
      slots.push(slot);
      toResolve.push({ slot, signal: s, behavior });
    }
    const userIds = await resolveUsers(deps.storage, accountId, toResolve.map((x) => x.signal.user), deps.now);
    toResolve.forEach(({ slot, signal: s, behavior }, i) => {
      const userId = userIds[i];
      if (!userId) {
        slot.ignored = `unknown user id "${s.user.id}"`;
        return;
      }
      const receivedAt = deps.now();
      // A timestamp in the future is clock skew at the source: it counts as now.
      const occurredAt = s.occurredAt && s.occurredAt < receivedAt ? s.occurredAt : receivedAt;
      slot.event = {
        accountId, id: randomUUID(), userId, behaviorId: behavior.id, behaviorName: behavior.name, riskLevel: behavior.riskLevel,
        occurredAt, receivedAt, source: s.source, signalId: slot.signalId, details: s.details ?? {},
      };
    });
    // Pass 2: record every event with its level change, in order (one commit on SQLite).
    const events = slots.flatMap((x) => (x.event ? [x.event] : []));
    // Nothing to record (every signal ignored): no write, so no commit to wait for.
    const outcomes = events.length ? await deps.storage.risk.recordEvents(events, (state, e) => applyEvent(state, e, windowMs, deps.now())) : [];
    let next = 0;
    for (const slot of slots) {
      if (slot.duplicateOf !== undefined) {
        result.duplicates++;
        result.items.push({ id: slot.signalId, status: 'duplicate', userId: slot.duplicateOf });
        continue;
      }
      if (!slot.event) {
        result.ignored++;
        result.items.push({ id: slot.signalId, status: 'ignored', reason: slot.ignored! });
        continue;
      }
      const outcome = outcomes[next++]!;
      const userId = slot.event.userId;
      if (outcome.status === 'duplicate') {
        result.duplicates++;
        result.items.push({ id: slot.signalId, status: 'duplicate', userId });
        continue;
      }
      result.accepted++;
      result.items.push({ id: slot.signalId, status: 'accepted', userId });
      if (outcome.change) {
        result.changes.push(outcome.change);
        deps.logger.info('risk level changed', {
          account: accountId, user_id: userId, previous: outcome.change.previous, current: outcome.change.current, behavior: slot.event.behaviorId,
        });
      }
    }
    return result;
  };
}
