import type { Integration } from '../../storage/ssf-ports.js';
import { integrationWellKnownUrl } from '../../ssf/integrations/index.js';

/**
 * `RiskScoreIntegration` (vendors reference §1.3; the SDK's IntegrationGetResponse): every field
 * present. `account_tag` is the riskwire account id (the tenant in every URL). `reference_id` is a
 * string in the SDK's types; one stored without any (not possible through this API) shows as ''.
 */
export function presentIntegration(i: Integration, publicUrl: string) {
  return {
    id: i.id,
    account_tag: i.accountId,
    integration_type: i.integrationType,
    tenant_url: i.tenantUrl,
    reference_id: i.referenceId ?? '',
    well_known_url: integrationWellKnownUrl(publicUrl, i),
    active: i.active,
    created_at: i.createdAt.toISOString(),
  };
}
