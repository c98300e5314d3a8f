import { Router, type RequestHandler } from 'express';
import type { ApiTokenService, Principal } from '../../accounts/api-tokens.js';
import type { Storage } from '../../storage/ports.js';
import { errors } from '../../domain/errors.js';
import { sendResult } from '../cloudflare/envelope.js';
import { requireScope } from '../middleware/authenticate.js';
import { validate, input } from '../middleware/validate.js';
import { route } from '../route.js';
import { AccountParams, CreateTokenBody, TokenParams } from './schema.js';
import { presentToken } from './presenters.js';

const actorOf = (p: Principal) => `token:${p.tokenId}`;

/** API tokens of an account: list, create (value shown once), revoke. Scope `admin`. */
export function tokensRouter(deps: { tokens: ApiTokenService; storage: Storage; guard: RequestHandler[] }): Router {
  const router = Router();
  const admin = [...deps.guard, requireScope('admin')];
  const List = { params: AccountParams };
  const Create = { params: AccountParams, body: CreateTokenBody };
  const Revoke = { params: TokenParams };

  route(router, '/client/v4/accounts/:account_id/tokens', {
    get: [
      ...admin,
      validate(List),
      async (_req, res) => {
        const { params } = input(res, List);
        sendResult(res, (await deps.tokens.list(params.account_id)).map(presentToken));
      },
    ],
    post: [
      ...admin,
      validate(Create),
      async (_req, res) => {
        const { params, body } = input(res, Create);
        if (body.receiver_id && !(await deps.storage.receivers.get(params.account_id, body.receiver_id))) {
          throw errors.badRequest(`receiver "${body.receiver_id}" not found`, { fields: [{ path: '/body/receiver_id', message: 'unknown receiver' }] });
        }
        const { token, record } = await deps.tokens.create(
          { accountId: params.account_id, name: body.name, scopes: body.scopes, receiverId: body.receiver_id },
          actorOf(res.locals.principal as Principal),
        );
        // The value is returned here once; it is not stored and cannot be shown again.
        sendResult(res, { ...presentToken(record), value: token }, { status: 201 });
      },
    ],
  });
  route(router, '/client/v4/accounts/:account_id/tokens/:token_id', {
    delete: [
      ...admin,
      validate(Revoke),
      async (_req, res) => {
        const { params } = input(res, Revoke);
        const record = await deps.tokens.revoke(params.account_id, params.token_id, actorOf(res.locals.principal as Principal));
        sendResult(res, presentToken(record));
      },
    ],
  });
  return router;
}
