import type { ApiToken } from '../../domain/api-token.js';

/** A token as the API lists it: never its hash, never its value. */
export function presentToken(t: ApiToken) {
  return {
    id: t.id,
    name: t.name,
    scopes: t.scopes,
    status: t.revokedAt ? 'revoked' : 'active',
    created_at: t.createdAt.toISOString(),
    last_used_at: t.lastUsedAt?.toISOString() ?? null,
    revoked_at: t.revokedAt?.toISOString() ?? null,
    ...(t.receiverId ? { receiver_id: t.receiverId } : {}),
  };
}
