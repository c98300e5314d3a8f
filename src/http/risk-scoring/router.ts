import { Router, type RequestHandler } from 'express';
import type { Principal } from '../../accounts/api-tokens.js';
import type { Clock } from '../../domain/clock.js';
import { errors } from '../../domain/errors.js';
import type { RiskServices } from '../../risk/index.js';
import { riskSummary, userRiskDetail } from '../../risk/queries.js';
import { resetUser } from '../../risk/reset-user.js';
import type { Storage } from '../../storage/ports.js';
import { randomId } from '../../crypto/tokens.js';
import { sendResult } from '../cloudflare/envelope.js';
import { requireScope } from '../middleware/authenticate.js';
import { input, validate } from '../middleware/validate.js';
import { route } from '../route.js';
import * as S from './schema.js';
import { presentBehavior, presentBehaviors, presentSettings, presentSummaryUser, presentUserDetail } from './presenters.js';

const actorOf = (res: { locals: Record<string, unknown> }) => `token:${(res.locals.principal as Principal).tokenId}`;
const BASE = '/client/v4/accounts/:account_id/zt_risk_scoring';

/**
 * Cloudflare's zero trust risk scoring API (vendors reference §1.3), plus our extensions:
 * signals in, custom behaviors, and the decay setting. Static paths are registered before
 * `/:user_id` so they are never read as a user id.
 */
export function riskScoringRouter(deps: { risk: RiskServices; storage: Storage; now: Clock; guard: RequestHandler[]; onRiskChanged?: () => void }): Router {
  const router = Router();
  const scope = (s: Parameters<typeof requireScope>[0]) => [...deps.guard, requireScope(s)];
  const Account = { params: S.AccountParams };
  const PutBehaviors = { params: S.AccountParams, body: S.PutBehaviorsBody };
  const CustomPut = { params: S.BehaviorParams, body: S.PutCustomBehaviorBody };
  const CustomDelete = { params: S.BehaviorParams };
  const Summary = { params: S.AccountParams, query: S.SummaryQuery };
  const Settings = { params: S.AccountParams, body: S.SettingsBody };
  const Detail = { params: S.UserParams, query: S.UserQuery };
  const Reset = { params: S.UserParams };

  route(router, `${BASE}/behaviors`, {
    get: [...scope('risk:read'), validate(Account), async (_req, res) => {
      sendResult(res, presentBehaviors(await deps.risk.behaviors.list(input(res, Account).params.account_id)));
    }],
    put: [...scope('risk:write'), validate(PutBehaviors), async (_req, res) => {
      const { params, body } = input(res, PutBehaviors);
      const changes = Object.entries(body.behaviors).map(([id, b]) => ({ id, enabled: b.enabled, riskLevel: b.risk_level }));
      sendResult(res, presentBehaviors(await deps.risk.behaviors.update(params.account_id, changes, actorOf(res))));
    }],
  });
  route(router, `${BASE}/behaviors/:behavior_id`, {
    post: [...scope('risk:write'), validate(CustomPut), async (_req, res) => {
      const { params, body } = input(res, CustomPut);
      const b = await deps.risk.behaviors.putCustom(
        params.account_id,
        { id: params.behavior_id, name: body.name, description: body.description, riskLevel: body.risk_level, enabled: body.enabled },
        actorOf(res),
      );
      sendResult(res, presentBehavior(b));
    }],
    delete: [...scope('risk:write'), validate(CustomDelete), async (_req, res) => {
      const { params } = input(res, CustomDelete);
      await deps.risk.behaviors.deleteCustom(params.account_id, params.behavior_id, actorOf(res));
      sendResult(res, null);
    }],
  });
  // POST …/signals is served by the hot path (src/http/hot-path/signals.ts).
  route(router, `${BASE}/signals`, {}, { servedElsewhere: ['post'] });
  route(router, `${BASE}/summary`, {
    get: [...scope('pii:read'), validate(Summary), async (_req, res) => {
      const { params, query } = input(res, Summary);
      const { users, total } = await riskSummary(deps.storage, params.account_id, { page: query.page, perPage: query.per_page, orderBy: query.order_by, direction: query.direction });
      sendResult(res, { users: users.map(presentSummaryUser) }, { resultInfo: { page: query.page, per_page: query.per_page, count: users.length, total_count: total } });
    }],
  });
  route(router, `${BASE}/settings`, {
    get: [...scope('risk:read'), validate(Account), async (_req, res) => {
      const account = await deps.storage.accounts.get(input(res, Account).params.account_id);
      if (!account) throw errors.notFound('account not found');
      sendResult(res, presentSettings(account.settings));
    }],
    put: [...scope('risk:write'), validate(Settings), async (_req, res) => {
      const { params, body } = input(res, Settings);
      const account = await deps.storage.accounts.get(params.account_id);
      if (!account) throw errors.notFound('account not found');
      const settings = { ...account.settings, decayWindowSeconds: body.decay_window_seconds };
      if (!(await deps.storage.accounts.updateSettings(params.account_id, settings))) throw errors.notFound('account not found');
      deps.risk.settings.invalidate(params.account_id);
      // Users scored before (or under another window) carry no check time for this window: the
      // scheduler's next pass re-evaluates each of them.
      if (settings.decayWindowSeconds !== null && settings.decayWindowSeconds !== account.settings.decayWindowSeconds) await deps.storage.risk.scheduleDecay(params.account_id, deps.now());
      await deps.storage.auditLog.append({ id: randomId(), accountId: params.account_id, at: deps.now(), actor: actorOf(res), action: 'risk.settings_updated', target: null, details: { decay_window_seconds: settings.decayWindowSeconds } });
      sendResult(res, presentSettings(settings));
    }],
  });
  route(router, `${BASE}/:user_id`, {
    get: [...scope('pii:read'), validate(Detail), async (_req, res) => {
      const { params, query } = input(res, Detail);
      const { user, events, total } = await userRiskDetail(deps.storage, params.account_id, params.user_id, { page: query.page, perPage: query.per_page, orderBy: query.order_by, direction: query.direction });
      sendResult(res, presentUserDetail(user, events), { resultInfo: { page: query.page, per_page: query.per_page, count: events.length, total_count: total } });
    }],
  });
  route(router, `${BASE}/:user_id/reset`, {
    post: [...scope('risk:write'), validate(Reset), async (_req, res) => {
      const { params } = input(res, Reset);
      await resetUser(deps.storage, deps.now, params.account_id, params.user_id, actorOf(res));
      deps.onRiskChanged?.();
      sendResult(res, null);
    }],
  });
  return router;
}
