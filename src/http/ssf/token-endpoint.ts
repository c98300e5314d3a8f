import type { RequestHandler } from 'express';
import { ServiceError } from '../../domain/errors.js';
import type { SsfScope } from '../../storage/ssf-ports.js';
import type { SsfServices } from '../../ssf/index.js';

const oauthError = (status: number, code: string, description: string, headers?: Record<string, string>) =>
  new ServiceError(status, code, description, headers ? { headers } : {});

/** RFC 6749 §2.3.1: client_id and secret in Basic are form-urlencoded before base64. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const m = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  if (at < 0) return null;
  try {
    return { id: decodeURIComponent(decoded.slice(0, at).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(at + 1).replace(/\+/g, ' ')) };
  } catch {
    return null;
  }
}

/**
 * The account's OAuth 2.0 token endpoint: client-credentials grant (RFC 6749 §4.4) with
 * client_secret_basic or client_secret_post, scopes `ssf.read` / `ssf.manage`. Errors per
 * RFC 6749 §5.2 (`invalid_client` is 401 with a Basic challenge when Basic was used).
 */
export function tokenEndpoint(ssf: SsfServices): RequestHandler {
  return async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const accountId = req.params.account_id as string;
    const basic = basicCredentials(req.get('authorization'));
    if (req.get('authorization') && !basic) throw oauthError(401, 'invalid_client', 'unsupported client authentication', { 'WWW-Authenticate': 'Basic realm="riskwire-ssf"' });
    if (basic && str('client_secret')) throw oauthError(400, 'invalid_request', 'use one client authentication method, not two');
    const clientId = basic?.id ?? str('client_id');
    const secret = basic?.secret ?? str('client_secret');
    if (str('grant_type') === undefined) throw oauthError(400, 'invalid_request', 'grant_type is required');
    if (str('grant_type') !== 'client_credentials') throw oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
    if (!clientId || !secret) throw oauthError(401, 'invalid_client', 'client authentication is required', { 'WWW-Authenticate': 'Basic realm="riskwire-ssf"' });
    const receiver = await ssf.receivers.authenticate(accountId, clientId, secret);
    if (!receiver) throw oauthError(401, 'invalid_client', 'client authentication failed', basic ? { 'WWW-Authenticate': 'Basic realm="riskwire-ssf"' } : undefined);
    const requested = (str('scope') ?? '').split(' ').filter(Boolean);
    const unknown = requested.filter((s) => s !== 'ssf.read' && s !== 'ssf.manage');
    if (unknown.length) throw oauthError(400, 'invalid_scope', `unknown scope: ${unknown.join(' ')}`);
    const granted = (requested.length ? requested : receiver.scopes) as SsfScope[];
    if (granted.some((s) => !receiver.scopes.includes(s))) throw oauthError(400, 'invalid_scope', 'scope exceeds what this client may have');
    const { token, expiresIn } = await ssf.accessTokens.issue(ssf.issuer(accountId), accountId, receiver.clientId, granted);
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json({ access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: granted.join(' ') });
  };
}
