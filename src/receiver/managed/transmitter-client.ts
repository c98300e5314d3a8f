import * as oidc from 'openid-client';
import { errors } from '../../domain/errors.js';
import type { GuardedFetch } from '../../ssf/outbound/guarded-fetch.js';

/** How riskwire authenticates to a transmitter's management API. */
export type ManagedAuth =
  | { client_id: string; client_secret: string; token_endpoint: string; scope?: string | undefined }
  | { access_token: string };

/**
 * A transmitter's stream management API seen from the receiver side (SSF §8), authenticated with
 * an OAuth access token obtained by openid-client (client credentials) and renewed before it
 * expires or when the transmitter answers 401 invalid_token (conformance: access-token-expiry).
 */
export function transmitterClient(auth: ManagedAuth, deps: { fetch: GuardedFetch; allowPrivateNetwork: boolean; issuer: string }) {
  let token: { value: string; expiresAt: number } | null = 'access_token' in auth ? { value: auth.access_token, expiresAt: Infinity } : null;
  const obtain = async (): Promise<string> => {
    if ('access_token' in auth) return auth.access_token;
    if (token && token.expiresAt - 30_000 > Date.now()) return token.value;
    const config = new oidc.Configuration({ issuer: deps.issuer, token_endpoint: auth.token_endpoint }, auth.client_id, auth.client_secret);
    config[oidc.customFetch] = deps.fetch as never;
    if (deps.allowPrivateNetwork) oidc.allowInsecureRequests(config);
    const grant = await oidc.clientCredentialsGrant(config, auth.scope ? { scope: auth.scope } : {});
    token = { value: grant.access_token, expiresAt: Date.now() + (grant.expires_in ?? 300) * 1000 };
    return token.value;
  };
  /** One API call; a 401 invalid_token gets one renewal and one retry. */
  const call = async (method: string, url: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<{ status: number; json: unknown }> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await deps.fetch(url, {
        method,
        headers: { authorization: `Bearer ${await obtain()}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extraHeaders },
        body: body === undefined ? null : JSON.stringify(body),
      });
      if (res.status === 401 && attempt === 0 && !('access_token' in auth) && /invalid_token/.test(res.headers.get('www-authenticate') ?? 'invalid_token')) {
        token = null; // expired or revoked early: obtain a new one and try once more
        continue;
      }
      const text = await res.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: res.status, json };
    }
    throw errors.unavailable('the transmitter kept refusing a fresh access token');
  };
  return { call, obtain };
}

export type TransmitterClient = ReturnType<typeof transmitterClient>;
