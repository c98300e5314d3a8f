import { randomUUID } from 'node:crypto';
import { errors } from '../../domain/errors.js';
import type { Integration } from '../../storage/ssf-ports.js';
import { auditIntegration, type IntegrationDeps } from './deps.js';
import { newOktaStream } from './okta-stream.js';
import { normalizeTenantUrl } from './tenant-url.js';

export interface CreateIntegrationInput {
  readonly tenantUrl: string;
  /** Omitted or null: a random UUIDv4, as Cloudflare does (its Terraform docs: "If omitted, a random UUIDv4 is used"). */
  readonly referenceId: string | null;
}

/**
 * POST /integrations (vendors reference §1.3 #7): an active Okta integration and the push stream
 * that carries its SETs. The stream is written first and removed again if the integration cannot
 * be, so no stream is left pushing for an integration nobody can see.
 * @throws 400 for a bad tenant_url, 409 past the per-account limit.
 */
export async function createIntegration(deps: IntegrationDeps, accountId: string, input: CreateIntegrationInput, actor: string): Promise<Integration> {
  const tenantUrl = await normalizeTenantUrl(input.tenantUrl, deps.outboundUrls);
  if ((await deps.storage.integrations.list(accountId)).length >= deps.maxPerAccount) {
    throw errors.conflict(`an account may have at most ${deps.maxPerAccount} integrations`);
  }
  const now = deps.now();
  const stream = newOktaStream(accountId, tenantUrl, true, now);
  const integration: Integration = {
    accountId, id: randomUUID(), integrationType: 'Okta', tenantUrl, referenceId: input.referenceId ?? randomUUID(),
    active: true, streamId: stream.streamId, createdAt: now,
  };
  await deps.storage.streams.insert(stream);
  try {
    await deps.storage.integrations.insert(integration);
  } catch (err) {
    await deps.storage.streams.delete(accountId, stream.streamId).catch(() => false);
    throw err;
  }
  await auditIntegration(deps, actor, 'integration.created', integration);
  return integration;
}
