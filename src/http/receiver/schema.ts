import { z } from 'zod';

const AccountParam = z.object({ account_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'malformed account id') });

/** POST /client/v4/accounts/{id}/ssf/transmitters — static mode this session; managed mode comes later. */
export const RegisterTransmitterBody = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('static'),
    issuer: z.url({ error: 'issuer must be a URL' }),
    jwks_uri: z.url({ error: 'jwks_uri must be a URL' }),
    audience: z.string().min(1).max(2048).optional(),
  }).strict(),
], { error: 'mode must be "static" (managed subscriptions are not available yet)' });
export const TransmitterParams = AccountParam.extend({ subscription_id: z.string().regex(/^[0-9a-f]{24}$/, 'malformed transmitter id') });
export const SetsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const PushParams = z.object({ account_id: z.string().min(1).max(64), subscription_id: z.string().min(1).max(64) });
export { AccountParam };
