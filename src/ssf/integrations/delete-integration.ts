import { auditIntegration, type IntegrationDeps } from './deps.js';
import { getIntegration } from './find-integration.js';

/**
 * DELETE /integrations/{id} (vendors reference §1.3 #10). The stream goes first (with its outbox):
 * should the second step fail, what is left is an integration that sends nothing, which a repeated
 * DELETE removes — never a stream still pushing for a deleted integration.
 * @throws 404 for an unknown integration.
 */
export async function deleteIntegration(deps: IntegrationDeps, accountId: string, id: string, actor: string): Promise<void> {
  const i = await getIntegration(deps.storage, accountId, id);
  await deps.storage.streams.delete(accountId, i.streamId);
  await deps.storage.integrations.delete(accountId, id);
  await auditIntegration(deps, actor, 'integration.deleted', i);
}
