/** Event type URIs (SSF §11, CAEP §3, RISC §2). */
const SSF = 'https://schemas.openid.net/secevent/ssf/event-type/';
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';

export const EVENT = {
  verification: `${SSF}verification`,
  streamUpdated: `${SSF}stream-updated`,
  riskLevelChange: `${CAEP}risk-level-change`,
  sessionRevoked: `${CAEP}session-revoked`,
  credentialChange: `${CAEP}credential-change`,
  deviceComplianceChange: `${CAEP}device-compliance-change`,
  tokenClaimsChange: `${CAEP}token-claims-change`,
  assuranceLevelChange: `${CAEP}assurance-level-change`,
  sessionEstablished: `${CAEP}session-established`,
  sessionPresented: `${CAEP}session-presented`,
  credentialCompromise: `${RISC}credential-compromise`,
  accountDisabled: `${RISC}account-disabled`,
  accountEnabled: `${RISC}account-enabled`,
  accountCredentialChangeRequired: `${RISC}account-credential-change-required`,
  oktaUserRiskChange: 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change',
} as const;

/**
 * What riskwire's transmitter emits on standard streams: risk-level-change for every level change,
 * session-revoked when a user's level rises to high (sessions of a user riskwire now holds at high
 * risk are revoked), and device-compliance-change when an EDR signal marks a device unhealthy. The
 * CAEP interoperability profile needs at least one of session-revoked, credential-change,
 * device-compliance-change (reference §12.1 item 15).
 */
export const EVENTS_SUPPORTED: readonly string[] = [EVENT.riskLevelChange, EVENT.sessionRevoked, EVENT.deviceComplianceChange];

/** What an Okta-profile stream carries. */
export const OKTA_EVENTS_SUPPORTED: readonly string[] = [EVENT.oktaUserRiskChange];
