import { z } from 'zod';

/**
 * §5.3: SentinelOne publishes no webhook signature and no header of its own; the admin sets a
 * static header on the webhook / Hyperautomation HTTP action. The default follows the one real
 * integration the reference cites (Clarion, `x-webhook-secret`); any other name can be chosen.
 */
export const DEFAULT_HEADER = 'x-webhook-secret';

// Headers that carry framing or routing; a secret placed there would not survive proxies intact.
const RESERVED = new Set(['host', 'content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection', 'cookie', 'te', 'trailer', 'upgrade', 'expect', 'keep-alive', 'proxy-authorization']);

const HeaderName = z.string().trim().toLowerCase()
  .regex(/^[a-z0-9][a-z0-9!#$%&'*+.^_`|~-]{0,63}$/, 'must be an HTTP header name')
  .refine((h) => !RESERVED.has(h), 'cannot carry the shared secret');

/** The console's origin: https, public DNS name, no path, query or credentials (§5.1 `/web/api/v2.1/...` is appended). */
const ConsoleUrl = z.url({ protocol: /^https$/, hostname: z.regexes.domain, error: 'must be an https URL of the SentinelOne console' })
  .refine((u) => {
    const url = new URL(u);
    return (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash && !url.username && !url.password;
  }, 'must be the console origin only, e.g. https://usea1.sentinelone.net')
  .transform((u) => new URL(u).origin);

/**
 * Settings of a SentinelOne source.
 * - `header_name`: the request header carrying the source's shared secret (default `x-webhook-secret`).
 * - `verify_with_api`: re-fetch each threat/alert by id from the Management API before scoring
 *   (§5.3's recommendation); default off.
 * - `api_base_url`: the console, e.g. `https://usea1.sentinelone.net`; required with verification.
 * - `api_token`: a Service User API token (`Authorization: ApiToken <token>`, §5.1); required with
 *   verification. A credential: the sources service seals it at rest (the adapter's
 *   `secretSettings`) and the API and CLI show it only as "set".
 */
export const SentinelOneSettings = z.object({
  header_name: HeaderName.default(DEFAULT_HEADER),
  verify_with_api: z.boolean().default(false),
  api_base_url: ConsoleUrl.optional(),
  api_token: z.string().trim().min(1).max(4096).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
}).strict().superRefine((s, ctx) => {
  if (!s.verify_with_api) return;
  if (!s.api_base_url) ctx.addIssue({ code: 'custom', path: ['api_base_url'], message: 'is required when verify_with_api is true' });
  if (!s.api_token) ctx.addIssue({ code: 'custom', path: ['api_token'], message: 'is required when verify_with_api is true' });
});
export type SentinelOneSettings = z.infer<typeof SentinelOneSettings>;
