import { z } from 'zod';
import { ACCOUNT_ID_PATTERN } from '../../domain/account.js';

/** `:account_id` in every /client/v4/accounts path. */
export const AccountParams = z.object({
  account_id: z.string().regex(ACCOUNT_ID_PATTERN, 'must match [a-z0-9][a-z0-9_-]{0,63}'),
});
