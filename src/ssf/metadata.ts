import { PUSH, POLL } from '../storage/ssf-ports.js';

/** The issuer of an account: each account is its own SSF transmitter (ARCHITECTURE "Tenancy"). */
export const issuerOf = (publicUrl: string, accountId: string) => `${publicUrl}/ssf/${accountId}`;

/** Where each endpoint of an account's transmitter lives. */
export function endpointsOf(publicUrl: string, accountId: string) {
  const iss = issuerOf(publicUrl, accountId);
  return {
    issuer: iss,
    jwks: `${iss}/jwks.json`,
    token: `${iss}/oauth/token`,
    streams: `${iss}/streams`,
    status: `${iss}/streams/status`,
    addSubject: `${iss}/streams/subjects/add`,
    removeSubject: `${iss}/streams/subjects/remove`,
    verify: `${iss}/streams/verify`,
    poll: (streamId: string) => `${iss}/poll/${streamId}`,
  };
}

/**
 * Transmitter Configuration Metadata (SSF §7.1). Arrays are never empty (SSF §7.2.3); endpoint
 * URLs derive from PUBLIC_URL, so they are https wherever PUBLIC_URL is.
 */
export function transmitterMetadata(publicUrl: string, accountId: string, defaultSubjects: 'ALL' | 'NONE') {
  const e = endpointsOf(publicUrl, accountId);
  return {
    spec_version: '1_0',
    issuer: e.issuer,
    jwks_uri: e.jwks,
    delivery_methods_supported: [PUSH, POLL],
    configuration_endpoint: e.streams,
    status_endpoint: e.status,
    add_subject_endpoint: e.addSubject,
    remove_subject_endpoint: e.removeSubject,
    verification_endpoint: e.verify,
    // OAuth 2.0 for the management API and the poll endpoint; RFC 6750 bearer tokens as well.
    authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }, { spec_urn: 'urn:ietf:rfc:6750' }],
    default_subjects: defaultSubjects,
  };
}

/** RFC 8414 authorization server metadata for the account's token endpoint. */
export function authorizationServerMetadata(publicUrl: string, accountId: string) {
  const e = endpointsOf(publicUrl, accountId);
  return {
    issuer: e.issuer,
    token_endpoint: e.token,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    grant_types_supported: ['client_credentials'],
    scopes_supported: ['ssf.read', 'ssf.manage'],
    response_types_supported: ['token'],
  };
}
