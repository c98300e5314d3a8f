/**
 * Identifiers a user can be known by, across sources. Values are stored normalized so that
 * resolution is an exact match: emails and UPNs lowercased (RFC 9493 §3.2.2.1 leaves
 * canonicalization to the recipient; mailbox local parts are case-insensitive in practice),
 * Windows accounts (`DOMAIN\user`) lowercased whole, both parts being case-insensitive.
 */
export const IDENTIFIER_KINDS = ['email', 'iss_sub', 'okta_user_id', 'windows_account', 'upn', 'edr_user', 'opaque'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export interface UserIdentifier {
  readonly kind: IdentifierKind;
  /** Normalized value; for iss_sub, `iss` and `sub` joined by a space (issuers contain no spaces). */
  readonly value: string;
}

/** A user as riskwire knows them. `id` is our stable UUID. */
export interface User {
  readonly accountId: string;
  readonly id: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly identifiers: readonly UserIdentifier[];
  readonly createdAt: Date;
}

/** Normalizes an identifier value so equal identities compare equal. */
export function normalizeIdentifier(kind: IdentifierKind, raw: string): string {
  const v = raw.trim();
  switch (kind) {
    case 'email':
    case 'upn':
      return v.toLowerCase();
    case 'windows_account': {
      // DOMAIN\user: both parts are case-insensitive in Windows.
      return v.toLowerCase();
    }
    default:
      return v;
  }
}

/** The identifier for an RFC 9493 `iss_sub` pair. */
export function issSubIdentifier(iss: string, sub: string): UserIdentifier {
  return { kind: 'iss_sub', value: `${iss.trim()} ${sub.trim()}` };
}
