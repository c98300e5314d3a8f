import { z } from 'zod';
import { ALL_SCOPES } from '../../domain/api-token.js';
import { AccountParams } from '../accounts/schema.js';

export { AccountParams };

/** POST /tokens body. Unknown members are an error: a typo in a scope grant should not pass silently. */
export const CreateTokenBody = z
  .object({
    name: z.string().trim().min(1, 'required').max(200),
    scopes: z.array(z.enum(ALL_SCOPES)).min(1, 'at least one scope'),
    /** For an SSF static bearer token: the receiver (client id) it acts as; scopes then ssf.read/ssf.manage only. */
    receiver_id: z.string().min(1).max(128).optional(),
  })
  .strict()
  .refine((b) => (b.receiver_id === undefined) === b.scopes.every((s) => !s.startsWith('ssf.')), {
    message: 'ssf.read / ssf.manage go with receiver_id, and a receiver token has only those scopes',
    path: ['scopes'],
  });

/** /tokens/:token_id */
export const TokenParams = AccountParams.extend({
  token_id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'malformed token id'),
});
