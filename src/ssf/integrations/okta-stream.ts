import { randomBytes } from 'node:crypto';
import { PUSH, type Stream } from '../../storage/ssf-ports.js';
import { OKTA_EVENTS_SUPPORTED } from '../event-types.js';

/**
 * Okta's SET intake (vendors reference §3.1.3): `POST {org}/security/api/v1/security-events`,
 * no HTTP authentication — Okta trusts a SET by its signature, `iss` and `aud` alone.
 */
export const oktaSecurityEventsUrl = (tenantUrl: string) => `${tenantUrl}/security/api/v1/security-events`;

/** The delivery and audience of an integration's stream for a tenant. `aud` is the Okta org URL (§3.1.3). */
export function oktaTarget(tenantUrl: string): Pick<Stream, 'aud' | 'delivery'> {
  return { aud: tenantUrl, delivery: { method: PUSH, endpointUrl: oktaSecurityEventsUrl(tenantUrl), authorizationHeaderSealed: null } };
}

/**
 * The push stream that carries an integration's SETs (vendors reference §1.8): managed by riskwire
 * (`receiverId: null`, so no SSF receiver ever sees or changes it), `okta` profile (Okta's
 * user-risk-change, §3.1.4), enabled while the integration is active.
 */
export function newOktaStream(accountId: string, tenantUrl: string, active: boolean, now: Date): Stream {
  return {
    accountId,
    streamId: randomBytes(16).toString('hex'),
    receiverId: null,
    ...oktaTarget(tenantUrl),
    eventsRequested: [...OKTA_EVENTS_SUPPORTED],
    eventsDelivered: [...OKTA_EVENTS_SUPPORTED],
    description: 'Okta risk sharing integration',
    status: active ? 'enabled' : 'disabled',
    statusReason: active ? null : 'integration inactive',
    profile: 'okta',
    createdAt: now,
    updatedAt: now,
    lastVerificationAt: null,
  };
}
