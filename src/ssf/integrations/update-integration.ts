import { randomUUID } from 'node:crypto';
import { errors } from '../../domain/errors.js';
import type { Integration, Stream } from '../../storage/ssf-ports.js';
import { auditIntegration, type IntegrationDeps } from './deps.js';
import { getIntegration } from './find-integration.js';
import { newOktaStream, oktaTarget } from './okta-stream.js';
import { normalizeTenantUrl } from './tenant-url.js';

export interface UpdateIntegrationInput {
  readonly tenantUrl: string;
  /** Omitted or null: a new random UUIDv4 — the PUT leaves the integration as a create with this body would. */
  readonly referenceId: string | null;
  readonly active: boolean;
}

/**
 * PUT /integrations/{id} (vendors reference §1.3 #9): "Overwrite the reference_id, tenant_url, and
 * active values with the ones provided." The stream follows:
 * - active false ⇒ `disabled` ("no risk changes will be exported", §1.3), and a disabled stream
 *   holds nothing (SSF §8.1.2.1): pending SETs are dropped; active true ⇒ `enabled`;
 * - a new tenant_url moves `aud` and the push endpoint; SETs still pending were signed for the old
 *   org's audience (Okta rejects them, §3.1.3), so they are dropped too.
 * No stream-updated event is sent: Okta accepts none (§3.1.4).
 * @throws 404 for an unknown integration, 400 for a bad tenant_url.
 */
export async function updateIntegration(deps: IntegrationDeps, accountId: string, id: string, input: UpdateIntegrationInput, actor: string): Promise<Integration> {
  const current = await getIntegration(deps.storage, accountId, id);
  const tenantUrl = await normalizeTenantUrl(input.tenantUrl, deps.outboundUrls);
  const next: Integration = { ...current, tenantUrl, referenceId: input.referenceId ?? randomUUID(), active: input.active };
  const now = deps.now();
  const stream = await deps.storage.streams.get(accountId, current.streamId);
  if (!stream) {
    // Only after a delete that stopped between the stream and the integration: rebuild the stream
    // under the id the integration records, so the integration works again.
    await deps.storage.streams.insert({ ...newOktaStream(accountId, tenantUrl, input.active, now), streamId: current.streamId });
  } else {
    const status: Stream['status'] = input.active ? 'enabled' : 'disabled';
    const retargeted = stream.aud !== tenantUrl;
    if (retargeted || stream.status !== status) {
      const updated: Stream = { ...stream, ...oktaTarget(tenantUrl), status, statusReason: input.active ? null : 'integration inactive', updatedAt: now };
      if (!(await deps.storage.streams.update(updated))) throw errors.notFound(`integration "${id}" not found`);
    }
    // After the status change, so the fan-out cannot queue behind the drop (as setStatus does).
    if (!input.active || retargeted) await deps.storage.outbox.dropPending(accountId, stream.streamId);
  }
  if (!(await deps.storage.integrations.update(next))) throw errors.notFound(`integration "${id}" not found`);
  await auditIntegration(deps, actor, 'integration.updated', next);
  return next;
}
