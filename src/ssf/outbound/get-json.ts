import { guardedFetch } from './guarded-fetch.js';

/**
 * GETs a JSON document from a transmitter (JWKS, SSF configuration) under riskwire's outbound rules
 * (guardedFetch: https only and no private addresses unless allowed, checked at connect time; no
 * redirects; bounded time and size). Only a 200 with a JSON body is a document. Rejects with a
 * message fit for `last_error`.
 */
export async function getJson(url: string, opts: { allowPrivateNetwork: boolean; timeoutMs?: number; maxBytes?: number }): Promise<unknown> {
  const fetch = guardedFetch({ allowPrivateNetwork: opts.allowPrivateNetwork, timeoutMs: opts.timeoutMs ?? 5000, maxBytes: opts.maxBytes ?? 256 * 1024 });
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (err) {
    // Connection errors already name the request; refusals and limits do not.
    const message = (err as Error).message;
    throw new Error(message.startsWith('GET ') ? message : `GET ${url}: ${message}`);
  }
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  try {
    return JSON.parse(await res.text());
  } catch {
    throw new Error(`GET ${url}: not JSON`);
  }
}
