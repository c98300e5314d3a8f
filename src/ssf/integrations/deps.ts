import type { Clock } from '../../domain/clock.js';
import type { Storage } from '../../storage/ports.js';
import type { OutboundUrlPolicy } from '../streams/outbound-url.js';
import { randomId } from '../../crypto/tokens.js';
import type { Integration } from '../../storage/ssf-ports.js';

/** What the integration use cases need. */
export interface IntegrationDeps {
  readonly storage: Storage;
  readonly now: Clock;
  /** SSRF policy for tenant URLs (they receive pushes). */
  readonly outboundUrls: OutboundUrlPolicy;
  /** At most this many integrations per account (each is a push stream signing every risk change). */
  readonly maxPerAccount: number;
}

/** Every change to an integration goes to the account's audit log (never secrets: there are none). */
export function auditIntegration(deps: Pick<IntegrationDeps, 'storage' | 'now'>, actor: string, action: string, i: Integration): Promise<void> {
  return deps.storage.auditLog.append({
    id: randomId(), accountId: i.accountId, at: deps.now(), actor, action, target: i.id,
    details: { integration_type: i.integrationType, tenant_url: i.tenantUrl, reference_id: i.referenceId, active: i.active, stream_id: i.streamId },
  });
}
