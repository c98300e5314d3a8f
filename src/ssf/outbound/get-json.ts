import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../streams/outbound-url.js';
import { guardedLookup } from './guarded-lookup.js';

/**
 * GETs a JSON document from a transmitter (JWKS, SSF configuration) with the same outbound rules
 * as push delivery: https only and no private addresses unless allowed, checked at connect time;
 * no redirects; bounded time and size. Rejects with a message fit for `last_error`.
 */
export function getJson(url: string, opts: { allowPrivateNetwork: boolean; timeoutMs?: number; maxBytes?: number }): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBytes = opts.maxBytes ?? 256 * 1024;
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new Error(`invalid URL ${url}`));
      return;
    }
    if (target.protocol !== 'https:' && !(opts.allowPrivateNetwork && target.protocol === 'http:')) return reject(new Error(`refusing ${target.protocol} URL (https only)`));
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !opts.allowPrivateNetwork && isPrivateAddress(host)) return reject(new Error(`refusing non-public address ${host}`));
    const client = target.protocol === 'https:' ? https : http;
    const req = client.get(target, { headers: { accept: 'application/json' }, lookup: guardedLookup(opts.allowPrivateNetwork), agent: false }, (res) => {
      if ((res.statusCode ?? 0) !== 200) {
        res.resume();
        return reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          req.destroy();
          reject(new Error(`GET ${url}: response larger than ${maxBytes} bytes`));
        } else chunks.push(c);
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error(`GET ${url}: not JSON`));
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`GET ${url}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (e) => reject(new Error(`GET ${url}: ${e.message}`)));
  });
}
