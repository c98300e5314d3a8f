import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { errors } from '../../domain/errors.js';

/** Decides whether riskwire may send requests to a URL (SSRF protection, ARCHITECTURE "Outbound"). */
export interface OutboundUrlPolicy {
  /** @throws 400 naming `field` when the URL is not allowed. */
  check(url: string, field: string): Promise<void>;
}

/** True for loopback, private, link-local, CGNAT, multicast, unspecified and metadata addresses. */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) || a >= 224 || (a === 198 && (b === 18 || b === 19));
  }
  const x = ip.toLowerCase();
  return x === '::' || x === '::1' || x.startsWith('fe8') || x.startsWith('fe9') || x.startsWith('fea') || x.startsWith('feb') || x.startsWith('fc') || x.startsWith('fd') || x.startsWith('ff');
}

/**
 * https only, and no address that resolves to a private range, unless private networks are
 * allowed (local development and tests: RISKWIRE_ALLOW_PRIVATE_NETWORK). The delivery client
 * checks the resolved address again at connection time (DNS can change after validation).
 */
export function outboundUrlPolicy(opts: { allowPrivateNetwork: boolean; resolve?: (host: string) => Promise<string[]> }): OutboundUrlPolicy {
  const resolve = opts.resolve ?? (async (host: string) => (await lookup(host, { all: true })).map((r) => r.address));
  return {
    async check(raw, field) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw errors.badRequest(`${field} is not a valid URL`);
      }
      if (url.username || url.password) throw errors.badRequest(`${field} must not carry credentials`);
      if (opts.allowPrivateNetwork) {
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw errors.badRequest(`${field} must be an http(s) URL`);
        return;
      }
      if (url.protocol !== 'https:') throw errors.badRequest(`${field} must use https`);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      let addresses: string[];
      try {
        addresses = isIP(host) ? [host] : await resolve(host);
      } catch {
        throw errors.badRequest(`${field}: host ${host} does not resolve`);
      }
      if (!addresses.length || addresses.some(isPrivateAddress)) {
        throw errors.badRequest(`${field} points at a private, loopback or link-local address, which is not allowed`);
      }
    },
  };
}
