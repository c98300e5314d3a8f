import type { Receiver, Stream } from '../../storage/ssf-ports.js';
import { EVENTS_SUPPORTED, OKTA_EVENTS_SUPPORTED } from '../../ssf/event-types.js';

/**
 * A stream configuration as SSF §8.1.1 defines it. The push `authorization_header` is a secret the
 * receiver gave us; it is never echoed back.
 */
export function presentStream(s: Stream, issuer: string, minVerificationInterval: number) {
  return {
    stream_id: s.streamId,
    iss: issuer,
    aud: s.aud,
    events_supported: s.profile === 'okta' ? OKTA_EVENTS_SUPPORTED : EVENTS_SUPPORTED,
    ...(s.eventsRequested.length ? { events_requested: s.eventsRequested } : {}),
    events_delivered: s.eventsDelivered,
    delivery: { method: s.delivery.method, endpoint_url: s.delivery.endpointUrl },
    ...(s.description !== null ? { description: s.description } : {}),
    min_verification_interval: minVerificationInterval,
  };
}

/** SSF §8.1.2.1 status. */
export function presentStatus(s: Stream) {
  return { stream_id: s.streamId, status: s.status, ...(s.statusReason ? { reason: s.statusReason } : {}) };
}

export function presentReceiver(r: Receiver) {
  return { client_id: r.clientId, name: r.name, audience: r.audience, scopes: r.scopes, created_at: r.createdAt.toISOString() };
}
