import { z } from 'zod';

const AccountParam = z.object({ account_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'malformed account id') });

/** POST /client/v4/accounts/{id}/ssf/transmitters — static or managed mode (README, "Receiving"). */
export const RegisterTransmitterBody = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('static'),
    issuer: z.url({ error: 'issuer must be a URL' }),
    jwks_uri: z.url({ error: 'jwks_uri must be a URL' }),
    audience: z.string().min(1).max(2048).optional(),
  }).strict(),
  z.object({
    mode: z.literal('managed'),
    issuer: z.url({ error: 'issuer must be a URL' }).optional(),
    well_known_url: z.url({ error: 'well_known_url must be a URL' }).optional(),
    auth: z.union([
      z.object({ client_id: z.string().min(1), client_secret: z.string().min(1), token_endpoint: z.url().optional(), scope: z.string().optional() }).strict(),
      z.object({ access_token: z.string().min(1) }).strict(),
    ], { error: 'auth is {client_id, client_secret, token_endpoint?, scope?} or {access_token}' }),
    delivery: z.enum(['push', 'poll']),
    events_requested: z.array(z.url()).min(1).max(50).optional(),
    audience: z.string().min(1).max(2048).optional(),
  }).strict().refine((b) => b.issuer || b.well_known_url, { message: 'issuer or well_known_url is required', path: ['issuer'] }),
], { error: 'mode must be "static" or "managed"' });
export const TransmitterParams = AccountParam.extend({ subscription_id: z.string().regex(/^[0-9a-f]{24}$/, 'malformed transmitter id') });
export const SetsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const PushParams = z.object({ account_id: z.string().min(1).max(64), subscription_id: z.string().min(1).max(64) });
export { AccountParam };

/** POST …/transmitters/{id}/status */
export const ManagedStatusBody = z.object({ status: z.enum(['enabled', 'paused', 'disabled']), reason: z.string().max(500).optional() }).strict();
/** POST …/transmitters/{id}/subjects/add|remove — the subject is the transmitter's to judge. */
export const ManagedSubjectBody = z.object({ subject: z.record(z.string(), z.unknown()), verified: z.boolean().optional() }).strict();
