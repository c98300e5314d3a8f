/**
 * Operator API scopes (Cloudflare-style permission groups). `admin` implies every other scope.
 * `ssf.read` / `ssf.manage` are SSF receiver scopes (CAEP interop profile §2.7) for static
 * bearer tokens handed to receivers.
 */
export const API_SCOPES = ['risk:read', 'risk:write', 'pii:read', 'ssf:admin', 'sources:admin', 'admin'] as const;
export const SSF_SCOPES = ['ssf.read', 'ssf.manage'] as const;
export const ALL_SCOPES = [...API_SCOPES, ...SSF_SCOPES] as const;

export type Scope = (typeof ALL_SCOPES)[number];

/** A stored API token. The token itself is never stored; only its SHA-256 hash. */
export interface ApiToken {
  /** Public id (32 hex), used to list and revoke. */
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Hex SHA-256 of the full token string. */
  readonly tokenHash: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  /** For SSF static bearer tokens: the receiver (client id) the token acts as; null otherwise. */
  readonly receiverId: string | null;
}

/** True when `granted` allows `needed`: directly, or through `admin` (except SSF receiver scopes). */
export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  if (granted.includes(needed)) return true;
  // ssf.manage is a superset of ssf.read (CAEP interop §2.7: management tokens may also read).
  if (needed === 'ssf.read' && granted.includes('ssf.manage')) return true;
  return granted.includes('admin') && (API_SCOPES as readonly string[]).includes(needed);
}

/** True for any of the known scope names. */
export function isScope(s: string): s is Scope {
  return (ALL_SCOPES as readonly string[]).includes(s);
}
