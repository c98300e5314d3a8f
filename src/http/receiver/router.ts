import { Router, type RequestHandler } from 'express';
import type { Principal } from '../../accounts/api-tokens.js';
import { errors } from '../../domain/errors.js';
import type { ReceiverService } from '../../receiver/receiver-service.js';
import type { Subscription } from '../../storage/inbound-ports.js';
import { sendResult } from '../cloudflare/envelope.js';
import { requireScope } from '../middleware/authenticate.js';
import { input, validate } from '../middleware/validate.js';
import { route } from '../route.js';
import * as S from './schema.js';

const present = (s: Subscription, pushEndpoint: string) => ({
  id: s.id, mode: s.mode, issuer: s.issuer, jwks_uri: s.jwksUri, audience: s.audience, status: s.status, push_endpoint: pushEndpoint,
  ...(s.streamId ? { stream_id: s.streamId } : {}), verified_at: s.verifiedAt?.toISOString() ?? null,
  last_event_at: s.lastEventAt?.toISOString() ?? null, last_error: s.lastError,
});

/**
 * The receiver's two surfaces: the operator API (register transmitters, read what they sent,
 * scope ssf:admin) and the RFC 8935 push endpoint each subscription gets.
 */
export function receiverRouter(deps: { receiver: ReceiverService; guard: RequestHandler[] }): Router {
  const router = Router();
  const admin = [...deps.guard, requireScope('ssf:admin')];
  const actor = (res: { locals: Record<string, unknown> }) => `token:${(res.locals.principal as Principal).tokenId}`;
  const Register = { params: S.AccountParam, body: S.RegisterTransmitterBody };
  const One = { params: S.TransmitterParams };
  const Sets = { params: S.TransmitterParams, query: S.SetsQuery };
  route(router, '/client/v4/accounts/:account_id/ssf/transmitters', {
    post: [...admin, validate(Register), async (_req, res) => {
      const { params, body } = input(res, Register);
      const s = body.mode === 'static'
        ? await deps.receiver.registerStatic(params.account_id, body, actor(res))
        : await deps.receiver.registerManaged(params.account_id, body, actor(res));
      sendResult(res, present(s, deps.receiver.pushEndpoint(s.accountId, s.id)), { status: 201 });
    }],
    get: [...admin, validate({ params: S.AccountParam }), async (_req, res) => {
      const list = await deps.receiver.list((res.locals.input as { params: { account_id: string } }).params.account_id);
      sendResult(res, list.map((s) => present(s, deps.receiver.pushEndpoint(s.accountId, s.id))));
    }],
  });
  route(router, '/client/v4/accounts/:account_id/ssf/transmitters/:subscription_id', {
    get: [...admin, validate(One), async (_req, res) => {
      const { params } = input(res, One);
      const s = await deps.receiver.get(params.account_id, params.subscription_id);
      sendResult(res, present(s, deps.receiver.pushEndpoint(s.accountId, s.id)));
    }],
    delete: [...admin, validate(One), async (_req, res) => {
      const { params } = input(res, One);
      await deps.receiver.delete(params.account_id, params.subscription_id, actor(res));
      sendResult(res, null);
    }],
  });
  route(router, '/client/v4/accounts/:account_id/ssf/transmitters/:subscription_id/sets', {
    get: [...admin, validate(Sets), async (_req, res) => {
      const { params, query } = input(res, Sets);
      await deps.receiver.get(params.account_id, params.subscription_id);
      const sets = await deps.receiver.sets(params.account_id, params.subscription_id, query.limit);
      sendResult(res, sets.map((r) => ({
        jti: r.jti, issuer: r.issuer, event_type: r.eventType, subject: r.subject, received_at: r.receivedAt.toISOString(), state: r.state, outcome: r.outcome,
      })));
    }],
  });

  const StatusSet = { params: S.TransmitterParams, body: S.ManagedStatusBody };
  const Subject = { params: S.TransmitterParams, body: S.ManagedSubjectBody };
  const relay = (res: import('express').Response, r: { status: number; body: unknown }) => {
    if (r.status >= 200 && r.status < 300) sendResult(res, { transmitter_status: r.status, result: r.body });
    else throw errors.badRequest(`the transmitter answered HTTP ${r.status}`);
  };
  route(router, '/client/v4/accounts/:account_id/ssf/transmitters/:subscription_id/status', {
    get: [...admin, validate(One), async (_req, res) => {
      const { params } = input(res, One);
      relay(res, await deps.receiver.manage(params.account_id, params.subscription_id, 'get-status'));
    }],
    post: [...admin, validate(StatusSet), async (_req, res) => {
      const { params, body } = input(res, StatusSet);
      relay(res, await deps.receiver.manage(params.account_id, params.subscription_id, 'set-status', body));
    }],
  });
  for (const [path, op] of [['add', 'add-subject'], ['remove', 'remove-subject']] as const) {
    route(router, `/client/v4/accounts/:account_id/ssf/transmitters/:subscription_id/subjects/${path}`, {
      post: [...admin, validate(Subject), async (_req, res) => {
        const { params, body } = input(res, Subject);
        relay(res, await deps.receiver.manage(params.account_id, params.subscription_id, op, body));
      }],
    });
  }

  // The RFC 8935 push endpoint's POST is served by the hot path (src/http/hot-path/set-push.ts).
  route(router, '/ssf-receiver/:account_id/:subscription_id', {}, { servedElsewhere: ['post'] });
  return router;
}
