import type { MappingRule } from '../config/receiver-mappings.js';
import type { Logger } from '../observability/logger.js';
import type { IngestSignals } from '../risk/ingest-signals.js';
import type { RiskSignal } from '../risk/signal.js';
import type { ReceivedSet } from '../storage/inbound-ports.js';
import type { Storage } from '../storage/ports.js';
import { EVENT } from '../ssf/event-types.js';
import { toSignal } from './to-signal.js';

/**
 * Turns stored SETs into risk signals (or records why not): the signals of one account go to the
 * scoring engine in one call, in the order given, and the outcomes are written together.
 * Idempotent: a signal's id derives from its SET's jti.
 * A SET whose scoring or outcome write failed stays pending (recovered later, receiver-service
 * `recover`); the failure is logged, not thrown.
 */
export async function processReceived(
  deps: { storage: Storage; rules: readonly MappingRule[]; ingest: IngestSignals; logger: Logger },
  records: readonly ReceivedSet[],
): Promise<void> {
  const outcomes: Array<string | undefined> = records.map(() => undefined);
  const byAccount = new Map<string, Array<{ at: number; signal: RiskSignal }>>();
  records.forEach((r, at) => {
    if (r.eventType === EVENT.verification || r.eventType === EVENT.streamUpdated) {
      outcomes[at] = 'control event';
      return;
    }
    const event = ((r.claims.events as Record<string, unknown>)[r.eventType] ?? {}) as Record<string, unknown>;
    let mapped: ReturnType<typeof toSignal>;
    try {
      mapped = toSignal(deps.rules, { issuer: r.issuer, jti: r.jti, eventType: r.eventType, event, subject: r.subject ?? {} });
    } catch (err) {
      // Mapping is a pure function of the stored SET: failing once, it fails on every retry.
      // Recorded as ignored (and logged), not left pending for recovery to retry forever.
      deps.logger.error('a received SET could not be mapped', { jti: r.jti, error: err });
      outcomes[at] = `ignored: the event could not be mapped (${(err as Error).message})`;
      return;
    }
    if ('ignored' in mapped) {
      outcomes[at] = `ignored: ${mapped.ignored}`;
      return;
    }
    let list = byAccount.get(r.accountId);
    if (!list) byAccount.set(r.accountId, (list = []));
    list.push({ at, signal: mapped.signal });
  });
  for (const [accountId, list] of byAccount) {
    try {
      const result = await deps.ingest(accountId, list.map((x) => x.signal));
      list.forEach(({ at, signal }, i) => {
        const item = result.items[i]!;
        outcomes[at] = item.status === 'ignored' ? `ignored: ${item.reason ?? ''}` : `${item.status}: ${signal.behavior} for user ${item.userId ?? '?'}`;
      });
    } catch (err) {
      deps.logger.error('scoring received SETs failed; they stay pending', { account: accountId, sets: list.length, error: err });
    }
  }
  const done = records.flatMap((r, at) => {
    const outcome = outcomes[at];
    return outcome === undefined ? [] : [{ accountId: r.accountId, subscriptionId: r.subscriptionId, jti: r.jti, outcome }];
  });
  if (!done.length) return;
  await deps.storage.receivedSets.markProcessed(done)
    .catch((err: unknown) => deps.logger.error('recording received SET outcomes failed; they stay pending', { sets: done.length, jtis: done.slice(0, 10).map((d) => d.jti), error: err }));
}
