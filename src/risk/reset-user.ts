import type { Clock } from '../domain/clock.js';
import { applyReset } from '../domain/risk.js';
import { errors } from '../domain/errors.js';
import type { Storage } from '../storage/ports.js';
import { randomId } from '../crypto/tokens.js';

/**
 * Resets a user's score (Cloudflare POST /{user_id}/reset): unscored, last_reset_time set, history
 * kept. Every reset is a RiskChange (cause `reset`), so receivers learn the level dropped.
 * @throws 404 when the account has no such user.
 */
export async function resetUser(storage: Storage, now: Clock, accountId: string, userId: string, actor: string): Promise<void> {
  const r = await storage.risk.transition(accountId, userId, (s) => applyReset(s, now(), actor));
  if (!r) throw errors.notFound(`user "${userId}" not found`);
  await storage.auditLog.append({ id: randomId(), accountId, at: now(), actor, action: 'user.risk_reset', target: userId, details: {} });
}
