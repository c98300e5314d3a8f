import { z } from 'zod';
import { AccountParams } from '../accounts/schema.js';

export { AccountParams };

/*
 * Request bodies of the integrations API (vendors reference §1.3 #7, #9). Unknown members are
 * ignored, as on PUT /behaviors: Cloudflare clients may send members we do not model.
 */

const required = (what: string) => ({ error: (i: { input: unknown }) => (i.input === undefined ? 'is required' : `must be ${what}`) });

/** The org's base URL; its form (https origin, public address) is checked by the use case (tenant-url.ts). */
const TenantUrl = z.string(required('a string such as https://tenant.okta.com')).min(1, 'must not be empty').max(2048, 'is too long');
/** Client-defined ("should be set to the Access-Okta IDP integration ID"); null or absent ⇒ a random UUIDv4. */
const ReferenceId = z.string({ error: 'must be a string or null' }).min(1, 'must not be empty').max(255, 'is at most 255 characters').nullable().optional();

/** POST /integrations: `{integration_type: "Okta", tenant_url, reference_id?}`. */
export const CreateIntegrationBody = z.object({
  integration_type: z.literal('Okta', required('"Okta" (the only integration type)')),
  tenant_url: TenantUrl,
  reference_id: ReferenceId,
});

/** PUT /integrations/{id}: a full overwrite `{active, tenant_url, reference_id?}`. */
export const UpdateIntegrationBody = z.object({
  active: z.boolean(required('a boolean')),
  tenant_url: TenantUrl,
  reference_id: ReferenceId,
});

/** Any id is looked up; one that matches nothing is a 404 like an unknown UUID. */
export const IntegrationParams = AccountParams.extend({ integration_id: z.string().min(1).max(128) });
export const ReferenceParams = AccountParams.extend({ reference_id: z.string().min(1).max(255) });

/** The public well-known document's path parameters; a malformed one is simply not found. */
export const WellKnownParams = z.object({ account_id: z.string(), integration_id: z.string() });
/** The same for Cloudflare's shape, the integration id alone. */
export const WellKnownByIdParams = z.object({ integration_id: z.string() });
