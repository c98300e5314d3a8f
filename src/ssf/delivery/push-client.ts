import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../streams/outbound-url.js';
import { guardedLookup } from '../outbound/guarded-lookup.js';

/** What one push attempt came to (RFC 8935 §2.2–§2.4). */
export type PushOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  | { kind: 'permanent'; error: string };

/** RFC 8935 §2.3 error codes that a retry cannot fix: recorded, not retried. */
const PERMANENT = new Set(['invalid_request', 'invalid_key', 'invalid_issuer', 'invalid_audience']);
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Connections to receivers are kept alive and reused: a push to Okta or any https receiver
 * otherwise pays a TCP and TLS handshake per SET. Outbound rules still hold — every new
 * connection's address goes through the guarded lookup, and a kept connection is one that
 * passed it. Idle connections do not keep the process alive (Node unrefs free sockets).
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' }),
};

/** Parses Retry-After (seconds or an HTTP date), bounded to one hour. */
function retryAfter(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const secs = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - now;
  return Number.isFinite(secs) && secs >= 0 ? Math.min(secs, 3600_000) : undefined;
}

/**
 * POSTs one SET (RFC 8935 §2.1): `Content-Type: application/secevent+jwt`, `Accept:
 * application/json`, and exactly the stream's `authorization_header` when it has one (SSF §6.1.1).
 * Redirects are not followed; every attempt is bounded by `timeoutMs` and responses by 64 KiB.
 */
export function pushSet(
  url: string,
  set: string,
  opts: { authorization: string | null; timeoutMs: number; allowPrivateNetwork: boolean; isRetryOnFreshConnection?: boolean },
): Promise<PushOutcome> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ kind: 'permanent', error: 'invalid endpoint_url' });
      return;
    }
    if (target.protocol !== 'https:' && !(opts.allowPrivateNetwork && target.protocol === 'http:')) {
      resolve({ kind: 'permanent', error: `refusing ${target.protocol} endpoint (https only)` });
      return;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !opts.allowPrivateNetwork && isPrivateAddress(host)) {
      resolve({ kind: 'permanent', error: `refusing non-public address ${host}` });
      return;
    }
    const headers: Record<string, string> = {
      'content-type': 'application/secevent+jwt',
      accept: 'application/json',
      'content-length': String(Buffer.byteLength(set)),
    };
    if (opts.authorization) headers.authorization = opts.authorization;
    const client = target.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (o: PushOutcome) => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const req = client.request(target, { method: 'POST', headers, lookup: guardedLookup(opts.allowPrivateNetwork), timeout: opts.timeoutMs, agent: agents[target.protocol as 'http:' | 'https:'] }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        else res.destroy();
      });
      const finish = () => {
        if (status >= 200 && status < 300) return done({ kind: 'delivered', status });
        if (status === 429 || status >= 500) return done({ kind: 'retry', error: `HTTP ${status}`, retryAfterMs: retryAfter(res.headers['retry-after'] as string | undefined, Date.now()) });
        if (status >= 300 && status < 400) return done({ kind: 'permanent', error: `HTTP ${status}: redirects are not followed` });
        let err: string | undefined;
        let description = '';
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { err?: unknown; description?: unknown };
          if (typeof body.err === 'string') err = body.err;
          if (typeof body.description === 'string') description = body.description.slice(0, 500);
        } catch {
          /* not RFC 8935 JSON: judged by status alone */
        }
        const text = `HTTP ${status}${err ? ` ${err}` : ''}${description ? `: ${description}` : ''}`;
        // RFC 8935 §4: these codes will not succeed on retry; others (authentication_failed,
        // access_denied, 401/403/404) may once the receiver's configuration is fixed.
        if (status === 400 && err && PERMANENT.has(err)) return done({ kind: 'permanent', error: text });
        return done({ kind: 'retry', error: text });
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', () => done({ kind: 'retry', error: `HTTP ${status}: response aborted` }));
    });
    // `timeout` above is an idle timeout; this bounds the whole attempt (a trickling receiver too).
    const deadline = setTimeout(() => {
      req.destroy();
      done({ kind: 'retry', error: `timed out after ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => {
      req.destroy();
      done({ kind: 'retry', error: `timed out after ${opts.timeoutMs} ms` });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ESSRF') done({ kind: 'permanent', error: e.message });
      // A kept-alive connection the receiver had just closed: not the receiver failing, so the
      // SET goes again at once on a new connection instead of waiting out a backoff.
      else if (req.reusedSocket && e.code === 'ECONNRESET' && !opts.isRetryOnFreshConnection && !settled) {
        settled = true;
        resolve(pushSet(url, set, { ...opts, isRetryOnFreshConnection: true }));
      } else done({ kind: 'retry', error: `network error: ${e.code ?? e.message}` });
    });
    req.end(set);
  });
}
