import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../streams/outbound-url.js';
import { guardedLookup } from './guarded-lookup.js';

/**
 * A `fetch` for talking to other services (transmitters' management APIs, token endpoints) under
 * riskwire's outbound rules: https only and no private addresses unless allowed — checked on the
 * connected address; redirects returned, never followed; bounded time and response size.
 * It satisfies what openid-client's `customFetch` and our own calls need.
 */
export function guardedFetch(opts: { allowPrivateNetwork: boolean; timeoutMs?: number; maxBytes?: number }) {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  return (input: string | URL, init: { method?: string; headers?: Record<string, string> | Headers | Array<[string, string]>; body?: string | URLSearchParams | null; signal?: AbortSignal | null } = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      // An 'abort' listener added to an already aborted signal never fires: without this check
      // the request would run to its timeout after its caller gave up (a connector stopping).
      const target = new URL(String(input));
      if (init.signal?.aborted) return reject(new TypeError(`${init.method ?? 'GET'} ${target.origin}${target.pathname}: aborted`));
      if (target.protocol !== 'https:' && !(opts.allowPrivateNetwork && target.protocol === 'http:')) return reject(new TypeError(`refusing ${target.protocol} URL (https only)`));
      const host = target.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) && !opts.allowPrivateNetwork && isPrivateAddress(host)) return reject(new TypeError(`refusing non-public address ${host}`));
      const headers: Record<string, string> = {};
      new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((v, k) => (headers[k] = v));
      const body = init.body === undefined || init.body === null ? undefined : String(init.body);
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const client = target.protocol === 'https:' ? https : http;
      const req = client.request(target, { method: init.method ?? 'GET', headers, lookup: guardedLookup(opts.allowPrivateNetwork), agent: false }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy();
            reject(new TypeError(`response from ${target.host} larger than ${maxBytes} bytes`));
          } else chunks.push(c);
        });
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 500;
          const nullBody = status === 204 || status === 304;
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: h }));
        });
      });
      const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (e) => reject(new TypeError(`${init.method ?? 'GET'} ${target.origin}${target.pathname}: ${e.message}`)));
      init.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
      req.end(body);
    });
}

export type GuardedFetch = ReturnType<typeof guardedFetch>;
