import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { getJson } from '../ssf/outbound/get-json.js';

/** How long a fetched JWKS is trusted before it is fetched again. */
const TTL_MS = 10 * 60_000;
/**
 * Unknown kids: each distinct kid may cause one refresh per 30 s, and refreshes of one URL are at
 * least 1 s apart — so forged kids can neither make us hammer the transmitter nor (by using up a
 * single per-URL allowance) stop us from seeing a key it really rotated in.
 */
const KID_RETRY_MS = 30_000;
const MIN_REFRESH_MS = 1000;

/**
 * Transmitters' JWKS, cached per URL, refreshed when stale and once when a SET names an unknown
 * `kid` (key rotation at the transmitter), at most every 30 s per URL.
 */
export function jwksCache(opts: { allowPrivateNetwork: boolean }) {
  const cache = new Map<string, { at: number; forcedAt: number; jwks: JSONWebKeySet; keys: JWTVerifyGetKey }>();
  const missed = new Map<string, number>();
  const load = async (url: string, forced: boolean) => {
    const jwks = (await getJson(url, { allowPrivateNetwork: opts.allowPrivateNetwork })) as JSONWebKeySet;
    if (!jwks || !Array.isArray(jwks.keys)) throw new Error(`${url} is not a JWK Set`);
    const entry = { at: Date.now(), forcedAt: forced ? Date.now() : (cache.get(url)?.forcedAt ?? 0), jwks, keys: createLocalJWKSet(jwks) };
    cache.set(url, entry);
    return entry;
  };
  return {
    /** The key set for `url`; `unknownKid` asks for a re-fetch because a SET named a kid it lacks. */
    async get(url: string, unknownKid?: string) {
      const hit = cache.get(url);
      if (!hit || Date.now() - hit.at > TTL_MS) return load(url, false);
      if (unknownKid === undefined) return hit;
      const key = `${url}\u0000${unknownKid}`;
      const now = Date.now();
      if (now - (missed.get(key) ?? 0) < KID_RETRY_MS || now - hit.forcedAt < MIN_REFRESH_MS) return hit;
      missed.set(key, now);
      if (missed.size > 10_000) missed.clear(); // bounded memory under a flood of forged kids
      return load(url, true);
    },
  };
}

export type JwksCache = ReturnType<typeof jwksCache>;
