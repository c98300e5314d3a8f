import { errors } from '../domain/errors.js';
import type { RiskEvent } from '../domain/risk.js';
import type { EventOrder, PageRequest, SummaryOrder, UserRecord, UserSummaryRecord } from '../storage/risk-ports.js';
import type { Storage } from '../storage/ports.js';

/** GET /summary: scored users, one page. */
export async function riskSummary(storage: Storage, accountId: string, page: PageRequest<SummaryOrder>): Promise<{ users: UserSummaryRecord[]; total: number }> {
  return storage.users.summary(accountId, page);
}

/** GET /{user_id}: the user and one page of their events. @throws 404 for an unknown user. */
export async function userRiskDetail(
  storage: Storage,
  accountId: string,
  userId: string,
  page: PageRequest<EventOrder>,
): Promise<{ user: UserRecord; events: RiskEvent[]; total: number }> {
  const user = await storage.users.get(accountId, userId);
  if (!user) throw errors.notFound(`user "${userId}" not found`);
  const { events, total } = await storage.risk.listEvents(accountId, userId, page);
  return { user, events, total };
}
