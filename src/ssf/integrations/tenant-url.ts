import { errors, ServiceError } from '../../domain/errors.js';
import type { OutboundUrlPolicy } from '../streams/outbound-url.js';

/** The request field every tenant URL error names (Cloudflare `source.pointer`). */
const FIELD = 'tenant_url';
const POINTER = '/body/tenant_url';

const invalid = (message: string) => errors.badRequest(`${FIELD} ${message}`, { fields: [{ path: POINTER, message }] });

/**
 * Validates and normalizes an integration's `tenant_url` (vendors reference §1.3, §1.8): the base
 * URL of the Okta org, e.g. `https://my-tenant.oktapreview.com`. It is both the SETs' `aud`
 * (Okta requires the org URL, §3.1.3) and where they are pushed
 * (`{tenant_url}/security/api/v1/security-events`), so it must be an origin: no path, query,
 * fragment or credentials; a trailing slash is dropped and the host lowercased (`URL.origin`).
 * The outbound policy then applies as to every push endpoint (https only, no private
 * addresses unless RISKWIRE_ALLOW_PRIVATE_NETWORK).
 * @throws 400 naming tenant_url.
 */
export async function normalizeTenantUrl(raw: string, policy: OutboundUrlPolicy): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid('must be an absolute URL such as https://tenant.okta.com');
  }
  if (url.username || url.password) throw invalid('must not carry credentials');
  if (url.pathname !== '/' && url.pathname !== '') throw invalid('must be the tenant base URL, without a path');
  if (url.search || raw.includes('?')) throw invalid('must not have a query');
  if (url.hash || raw.includes('#')) throw invalid('must not have a fragment');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('must use https');
  try {
    await policy.check(url.origin, FIELD);
  } catch (err) {
    // Same message, plus the pointer the Cloudflare envelope shows as `source.pointer`.
    if (err instanceof ServiceError && err.status === 400) throw errors.badRequest(err.description, { fields: [{ path: POINTER, message: err.description }] });
    throw err;
  }
  return url.origin;
}
