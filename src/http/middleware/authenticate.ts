import type { RequestHandler } from 'express';
import type { ApiTokenService, Principal } from '../../accounts/api-tokens.js';
import { hasScope, type Scope } from '../../domain/api-token.js';
import { isAccountId } from '../../domain/account.js';
import { errors } from '../../domain/errors.js';

const REALM = 'riskwire';

/**
 * Bearer-token authentication (RFC 6750 §2.1, header only). A token in the query string is
 * refused (RFC 6750 §2.3; CAEP interop §2.7). Missing token: 401 with a bare challenge;
 * unknown or revoked token: 401 with `error="invalid_token"` (RFC 6750 §3.1).
 */
export function authenticate(tokens: ApiTokenService): RequestHandler {
  return async (req, res, next) => {
    res.locals.principal = await bearerPrincipal(tokens, req.get('authorization'), typeof req.query.access_token !== 'undefined');
    next();
  };
}

/**
 * The principal behind an Authorization header, or the 400/401 above (shared with the hot path).
 * `tokenInQuery`: the request's query string carries `access_token`.
 */
export async function bearerPrincipal(tokens: ApiTokenService, header: string | undefined, tokenInQuery: boolean): Promise<Principal> {
  if (tokenInQuery) {
    throw errors.badRequest('access tokens are accepted only in the Authorization header', {
      headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_request"` },
    });
  }
  if (!header) {
    throw errors.unauthorized('missing bearer token', { headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` } });
  }
  const m = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header);
  const principal = m?.[1] ? await tokens.authenticate(m[1]) : null;
  if (!principal) {
    throw errors.unauthorized('invalid or revoked token', {
      headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="invalid or revoked token"` },
    });
  }
  return principal;
}

/**
 * Tenant isolation for `/accounts/:account_id/...`: a malformed id is 400; an account other than
 * the token's is 404, exactly as if it did not exist (ARCHITECTURE "Tenancy").
 */
export const requireOwnAccount: RequestHandler = (req, res, next) => {
  checkOwnAccount(res.locals.principal as Principal, req.params.account_id);
  next();
};

/** The check behind requireOwnAccount (shared with the hot path). */
export function checkOwnAccount(principal: Principal, id: unknown): asserts id is string {
  if (!isAccountId(id)) throw errors.badRequest('account_id must match [a-z0-9][a-z0-9_-]{0,63}', { fields: [{ path: '/params/account_id', message: 'malformed account id' }] });
  if (principal.accountId !== id) throw errors.notFound(`account "${id}" not found`);
}

/** 403 with `error="insufficient_scope"` unless the token grants `scope` (RFC 6750 §3.1). */
export function requireScope(scope: Scope): RequestHandler {
  return (_req, res, next) => {
    checkScope(res.locals.principal as Principal, scope);
    next();
  };
}

/** The check behind requireScope (shared with the hot path). */
export function checkScope(principal: Principal, scope: Scope): void {
  if (!hasScope(principal.scopes, scope)) {
    throw errors.forbidden(`this token lacks the "${scope}" scope`, {
      headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"` },
    });
  }
}
