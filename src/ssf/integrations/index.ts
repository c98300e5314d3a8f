import type { Integration } from '../../storage/ssf-ports.js';
import { createIntegration, type CreateIntegrationInput } from './create-integration.js';
import { deleteIntegration } from './delete-integration.js';
import type { IntegrationDeps } from './deps.js';
import { getIntegration, getIntegrationByReference, listIntegrations } from './find-integration.js';
import { updateIntegration, type UpdateIntegrationInput } from './update-integration.js';
import { integrationConfiguration, integrationConfigurationById, type IssuerEndpoints } from './well-known.js';

export type { IntegrationDeps } from './deps.js';
export { integrationWellKnownUrl, WELL_KNOWN_PREFIXES, WELL_KNOWN_ROOTS } from './well-known.js';

/**
 * Cloudflare-compatible risk sharing integrations (vendors reference §1.3 #6–#11, §1.8): each is
 * an Okta org that receives the account's risk changes as Okta user-risk-change SETs (§3.1.4)
 * over a push stream riskwire manages.
 */
export function integrationService(deps: IntegrationDeps & { endpoints: IssuerEndpoints }) {
  return {
    list: (accountId: string): Promise<Integration[]> => listIntegrations(deps.storage, accountId),
    get: (accountId: string, id: string) => getIntegration(deps.storage, accountId, id),
    getByReference: (accountId: string, referenceId: string) => getIntegrationByReference(deps.storage, accountId, referenceId),
    create: (accountId: string, input: CreateIntegrationInput, actor: string) => createIntegration(deps, accountId, input, actor),
    update: (accountId: string, id: string, input: UpdateIntegrationInput, actor: string) => updateIntegration(deps, accountId, id, input, actor),
    delete: (accountId: string, id: string, actor: string) => deleteIntegration(deps, accountId, id, actor),
    /** The public SSF configuration document of an integration (no authentication). */
    configuration: (accountId: string, id: string) => integrationConfiguration(deps.storage, deps.endpoints, accountId, id),
    /** The same document by integration id alone (Cloudflare's URL shape; no authentication). */
    configurationById: (id: string) => integrationConfigurationById(deps.storage, deps.endpoints, id),
  };
}

export type IntegrationService = ReturnType<typeof integrationService>;
