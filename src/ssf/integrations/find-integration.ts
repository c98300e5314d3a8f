import { errors } from '../../domain/errors.js';
import type { Storage } from '../../storage/ports.js';
import type { Integration } from '../../storage/ssf-ports.js';

/*
 * Reads of an account's integrations (vendors reference §1.3 #6, #8, #11). Another account's
 * integration answers 404 exactly like a missing one: every store read is scoped by account.
 */

/** The integration, or 404. */
export async function getIntegration(storage: Storage, accountId: string, id: string): Promise<Integration> {
  const i = await storage.integrations.get(accountId, id);
  if (!i) throw errors.notFound(`integration "${id}" not found`);
  return i;
}

/** The account's integrations, oldest first (Cloudflare returns a bare array, §1.2). */
export function listIntegrations(storage: Storage, accountId: string): Promise<Integration[]> {
  return storage.integrations.list(accountId);
}

/** The first integration created with this reference id, or 404 (§1.3 #11). */
export async function getIntegrationByReference(storage: Storage, accountId: string, referenceId: string): Promise<Integration> {
  const i = await storage.integrations.getByReference(accountId, referenceId);
  if (!i) throw errors.notFound(`no integration with reference_id "${referenceId}"`);
  return i;
}
