import { createHmac } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Clock } from '../../domain/clock.js';
import type { SsfScope } from '../../storage/ssf-ports.js';
import { newJti } from '../set/build-set.js';

/** What a valid access token says. */
export interface AccessTokenClaims {
  readonly accountId: string;
  readonly clientId: string;
  readonly scopes: readonly SsfScope[];
}

export interface AccessTokenService {
  /** A short-lived JWT access token (RFC 9068 `at+jwt`) for a receiver. */
  issue(issuer: string, accountId: string, clientId: string, scopes: readonly SsfScope[]): Promise<{ token: string; expiresIn: number }>;
  /** The claims of a valid token issued for `issuer`, else null (bad signature, expired, other issuer). */
  verify(issuer: string, accountId: string, token: string): Promise<AccessTokenClaims | null>;
}

/**
 * Access tokens are HS256 JWTs under a per-account key derived from the master key: stateless, so
 * any instance sharing the master key accepts them, and one account's key cannot mint another's.
 */
export function accessTokenService(deps: { masterKey: Buffer; now: Clock; ttlSeconds: number }): AccessTokenService {
  const keyOf = (accountId: string) => createHmac('sha256', deps.masterKey).update(`riskwire/ssf-access-token/v1/${accountId}`).digest();
  return {
    async issue(issuer, accountId, clientId, scopes) {
      const iat = Math.floor(deps.now().getTime() / 1000);
      const token = await new SignJWT({ scope: scopes.join(' '), client_id: clientId })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .setIssuer(issuer)
        .setSubject(clientId)
        .setAudience(issuer)
        .setIssuedAt(iat)
        .setExpirationTime(iat + deps.ttlSeconds)
        .setJti(newJti())
        .sign(keyOf(accountId));
      return { token, expiresIn: deps.ttlSeconds };
    },
    async verify(issuer, accountId, token) {
      try {
        const { payload } = await jwtVerify(token, keyOf(accountId), {
          issuer, audience: issuer, algorithms: ['HS256'], typ: 'at+jwt',
          currentDate: deps.now(),
        });
        if (typeof payload.sub !== 'string' || typeof payload.scope !== 'string') return null;
        const scopes = payload.scope.split(' ').filter((s): s is SsfScope => s === 'ssf.read' || s === 'ssf.manage');
        return { accountId, clientId: payload.sub, scopes };
      } catch (err) {
        if (err instanceof joseErrors.JOSEError) return null;
        throw err;
      }
    },
  };
}
