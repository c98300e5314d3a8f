import { Router, type RequestHandler } from 'express';
import type { Principal } from '../../accounts/api-tokens.js';
import type { SsfServices } from '../../ssf/index.js';
import type { Storage } from '../../storage/ports.js';
import { errors } from '../../domain/errors.js';
import type { Clock } from '../../domain/clock.js';
import { randomId } from '../../crypto/tokens.js';
import { sendResult } from '../cloudflare/envelope.js';
import { requireScope } from '../middleware/authenticate.js';
import { input, validate } from '../middleware/validate.js';
import { route } from '../route.js';
import { presentReceiver } from './presenters.js';
import * as S from './schema.js';

const actorOf = (res: { locals: Record<string, unknown> }) => `token:${(res.locals.principal as Principal).tokenId}`;

/** Operator API for the transmitter: receivers (OAuth clients) and key rotation. Scope `ssf:admin`. */
export function ssfAdminRouter(deps: { ssf: SsfServices; storage: Storage; now: Clock; guard: RequestHandler[] }): Router {
  const router = Router();
  const admin = [...deps.guard, requireScope('ssf:admin')];
  const Acc = { params: S.AccountParam };
  const Create = { params: S.AccountParam, body: S.CreateReceiverBody };
  const Del = { params: S.ReceiverParams };
  route(router, '/client/v4/accounts/:account_id/ssf/receivers', {
    get: [...admin, validate(Acc), async (_req, res) => {
      sendResult(res, (await deps.ssf.receivers.list(input(res, Acc).params.account_id)).map(presentReceiver));
    }],
    post: [...admin, validate(Create), async (_req, res) => {
      const { params, body } = input(res, Create);
      const { receiver, clientSecret } = await deps.ssf.receivers.create(params.account_id, body, actorOf(res));
      const e = deps.ssf.endpoints(params.account_id);
      // The secret is shown this once; only its hash is stored.
      sendResult(res, { ...presentReceiver(receiver), client_secret: clientSecret, token_endpoint: e.token, issuer: e.issuer }, { status: 201 });
    }],
  });
  route(router, '/client/v4/accounts/:account_id/ssf/receivers/:client_id', {
    delete: [...admin, validate(Del), async (_req, res) => {
      const { params } = input(res, Del);
      await deps.ssf.receivers.delete(params.account_id, params.client_id, actorOf(res));
      sendResult(res, null);
    }],
  });
  const Settings = { params: S.AccountParam, body: S.SsfSettingsBody };
  route(router, '/client/v4/accounts/:account_id/ssf/settings', {
    get: [...admin, validate(Acc), async (_req, res) => {
      const account = await deps.storage.accounts.get(input(res, Acc).params.account_id);
      if (!account) throw errors.notFound('account not found');
      sendResult(res, { default_subjects: account.settings.ssfDefaultSubjects });
    }],
    put: [...admin, validate(Settings), async (_req, res) => {
      const { params, body } = input(res, Settings);
      const account = await deps.storage.accounts.get(params.account_id);
      if (!account) throw errors.notFound('account not found');
      await deps.storage.accounts.updateSettings(params.account_id, { ...account.settings, ssfDefaultSubjects: body.default_subjects });
      sendResult(res, { default_subjects: body.default_subjects });
    }],
  });
  const StreamStatus = { params: S.AdminStreamParams, body: S.AdminStatusBody };
  route(router, '/client/v4/accounts/:account_id/ssf/streams/:stream_id/status', {
    post: [...admin, validate(StreamStatus), async (_req, res) => {
      const { params, body } = input(res, StreamStatus);
      const s = await deps.ssf.streams.setStatusByTransmitter(params.account_id, params.stream_id, body.status, body.reason ?? null);
      sendResult(res, { stream_id: s.streamId, status: s.status, reason: s.statusReason });
    }],
  });
  const Deliveries = { params: S.AdminStreamParams, query: S.DeliveriesQuery };
  const stream = async (accountId: string, streamId: string) => {
    const st = await deps.storage.streams.get(accountId, streamId);
    if (!st) throw errors.notFound(`stream "${streamId}" not found`);
    return st;
  };
  route(router, '/client/v4/accounts/:account_id/ssf/streams/:stream_id/deliveries', {
    get: [...admin, validate(Deliveries), async (_req, res) => {
      const { params, query } = input(res, Deliveries);
      await stream(params.account_id, params.stream_id);
      const list = await deps.storage.outbox.listByState(params.account_id, params.stream_id, query.state, query.limit);
      sendResult(res, list.map((e) => ({
        jti: e.jti, state: e.state, event_type: e.eventType, attempts: e.attempts, created_at: e.createdAt.toISOString(),
        next_attempt_at: e.state === 'pending' ? e.nextAttemptAt.toISOString() : null, last_error: e.lastError,
      })));
    }],
  });
  const Redrive = { params: S.AdminStreamParams, body: S.RedriveBody };
  route(router, '/client/v4/accounts/:account_id/ssf/streams/:stream_id/deliveries/redrive', {
    post: [...admin, validate(Redrive), async (_req, res) => {
      const { params, body } = input(res, Redrive);
      await stream(params.account_id, params.stream_id);
      const redriven = await deps.storage.outbox.redrive(params.account_id, params.stream_id, body.jtis ?? null, deps.now());
      await deps.storage.auditLog.append({ id: randomId(), accountId: params.account_id, at: deps.now(), actor: actorOf(res), action: 'deliveries.redriven', target: params.stream_id, details: { count: redriven } });
      deps.ssf.kickPush();
      sendResult(res, { redriven });
    }],
  });
  route(router, '/client/v4/accounts/:account_id/ssf/keys/rotate', {
    post: [...admin, validate(Acc), async (_req, res) => {
      const { kid, activatesAt } = await deps.ssf.keys.rotate(input(res, Acc).params.account_id);
      sendResult(res, { kid, activates_at: activatesAt.toISOString() });
    }],
  });
  return router;
}
