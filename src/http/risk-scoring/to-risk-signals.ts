import type { z } from 'zod';
import type { RiskSignal } from '../../risk/signal.js';
import type { SignalsBody } from './schema.js';

/** The API's signals (snake_case, validated by SignalsBody) as the scoring engine takes them. */
export function toRiskSignals(signals: z.output<typeof SignalsBody>['signals']): RiskSignal[] {
  return signals.map((s) => ({
    id: s.id,
    behavior: s.behavior,
    user: {
      id: s.user.id,
      email: s.user.email,
      name: s.user.name,
      identifiers: s.user.identifiers?.map((i) => ('iss' in i ? { kind: 'iss_sub' as const, iss: i.iss, sub: i.sub } : { kind: i.type as never, value: i.value })),
    },
    occurredAt: s.occurred_at ? new Date(s.occurred_at) : undefined,
    source: s.source ?? 'api',
    details: s.details,
  }));
}
