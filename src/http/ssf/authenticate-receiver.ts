import type { RequestHandler } from 'express';
import type { ApiTokenService } from '../../accounts/api-tokens.js';
import { isAccountId } from '../../domain/account.js';
import { errors } from '../../domain/errors.js';
import type { Storage } from '../../storage/ports.js';
import type { SsfScope } from '../../storage/ssf-ports.js';
import type { SsfServices } from '../../ssf/index.js';
import type { ReceiverPrincipal } from '../../ssf/streams/stream-service.js';

const challenge = (error?: string, description?: string) =>
  `Bearer realm="riskwire-ssf"${error ? `, error="${error}"` : ''}${description ? `, error_description="${description}"` : ''}`;

/** The authenticated receiver of an SSF request, with the scopes its token grants. */
export interface SsfCaller extends ReceiverPrincipal {
  readonly scopes: readonly SsfScope[];
}

/**
 * Authenticates a receiver on SSF endpoints (CAEP interop §2.7, RFC 6750): a bearer token in the
 * Authorization header only — either an access token from the account's token endpoint, or a
 * static API token bound to a receiver. A token in the query string is refused with 400
 * (RFC 6750 §2.3); no token is 401 with a bare challenge; a bad, expired or foreign token is
 * 401 with `error="invalid_token"` (RFC 6750 §3.1).
 */
export function authenticateReceiver(deps: { ssf: SsfServices; tokens: ApiTokenService; storage: Storage }): RequestHandler {
  return async (req, res, next) => {
    if (req.query.access_token !== undefined) {
      throw errors.badRequest('access tokens are accepted only in the Authorization header', { headers: { 'WWW-Authenticate': challenge('invalid_request') } });
    }
    const accountId = req.params.account_id;
    const header = req.get('authorization');
    if (!header) throw errors.unauthorized('missing bearer token', { headers: { 'WWW-Authenticate': challenge() } });
    const token = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header)?.[1];
    const invalid = () => errors.unauthorized('invalid or expired token', { headers: { 'WWW-Authenticate': challenge('invalid_token', 'invalid or expired token') } });
    if (!token || !isAccountId(accountId)) throw invalid();
    let clientId: string | null = null;
    let scopes: readonly SsfScope[] = [];
    if (token.split('.').length === 3) {
      const claims = await deps.ssf.accessTokens.verify(deps.ssf.issuer(accountId), accountId, token);
      if (claims) ({ clientId, scopes } = claims);
    } else {
      const p = await deps.tokens.authenticate(token);
      const record = p && p.accountId === accountId ? await deps.storage.apiTokens.get(accountId, p.tokenId) : null;
      if (record?.receiverId) {
        clientId = record.receiverId;
        scopes = record.scopes.filter((s): s is SsfScope => s === 'ssf.read' || s === 'ssf.manage');
      }
    }
    // A deleted receiver's tokens stop working with it.
    const receiver = clientId ? await deps.storage.receivers.get(accountId, clientId) : null;
    if (!receiver) throw invalid();
    res.locals.ssfCaller = { accountId, clientId: receiver.clientId, audience: receiver.audience, scopes } satisfies SsfCaller;
    res.set('Cache-Control', 'no-store');
    next();
  };
}

/** 403 `insufficient_scope` unless the token grants `scope` (ssf.manage implies ssf.read). */
export function requireSsfScope(scope: SsfScope): RequestHandler {
  return (_req, res, next) => {
    const { scopes } = res.locals.ssfCaller as SsfCaller;
    if (!scopes.includes(scope) && !(scope === 'ssf.read' && scopes.includes('ssf.manage'))) {
      throw errors.forbidden(`this token lacks the "${scope}" scope`, { headers: { 'WWW-Authenticate': `${challenge('insufficient_scope')}, scope="${scope}"` } });
    }
    next();
  };
}
