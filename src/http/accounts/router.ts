import { Router, type RequestHandler } from 'express';
import type { AccountService } from '../../accounts/accounts.js';
import { errors } from '../../domain/errors.js';
import { sendResult } from '../cloudflare/envelope.js';
import { validate, input } from '../middleware/validate.js';
import { route } from '../route.js';
import { AccountParams } from './schema.js';
import { presentAccount } from './presenters.js';

/** GET /client/v4/accounts/:account_id — any valid token of the account. */
export function accountsRouter(deps: { accounts: AccountService; guard: RequestHandler[] }): Router {
  const router = Router();
  const S = { params: AccountParams };
  route(router, '/client/v4/accounts/:account_id', {
    get: [
      ...deps.guard,
      validate(S),
      async (_req, res) => {
        const { params } = input(res, S);
        const account = await deps.accounts.get(params.account_id);
        if (!account) throw errors.notFound(`account "${params.account_id}" not found`);
        sendResult(res, presentAccount(account));
      },
    ],
  });
  return router;
}
