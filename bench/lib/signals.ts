import { randomBytes } from 'node:crypto';
import type { RequestSource } from './load.js';

/** Argument of `signalBodies` (crosses into the load worker, so plain data only). */
export interface SignalBodiesArg {
  /** Signals per request body, 1–1000. */
  batchSize: number;
  /** Behavior id every signal carries (enable it first, or signals are ignored). */
  behavior: string;
  /** Size of the user pool the signals are spread over. Default 10,000. */
  users?: number;
  /**
   * Check sampled responses as riskwire's signals endpoint answers them: 200, every signal
   * accepted, none duplicate or ignored. Off for the bare baseline (its body is empty).
   */
  verifyRiskwire?: boolean;
}

/** riskwire answers with the Cloudflare envelope; `accepted` etc. may be counts or lists. */
function count(v: unknown): number {
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) return v.length;
  return Number.NaN;
}

/**
 * Request bodies for `POST …/zt_risk_scoring/signals`: `batchSize` signals per body, each with
 * an id unique within the process (a random run prefix and a counter) so no signal is ever a
 * duplicate, spread over a pool of users. Strings are concatenated rather than JSON.stringify'd:
 * the load generator shares the machine with the server, so it should stay cheap. Every value
 * interpolated is plain ASCII without quotes or backslashes, so the result is valid JSON.
 */
export function signalBodies(arg: unknown): RequestSource {
  const a = arg as SignalBodiesArg;
  const batch = a.batchSize;
  if (!Number.isInteger(batch) || batch < 1 || batch > 1000) throw new Error(`signalBodies: batchSize must be 1..1000, got ${String(batch)}`);
  if (!/^[A-Za-z0-9_.-]+$/.test(a.behavior)) throw new Error(`signalBodies: unsafe behavior id ${a.behavior}`);
  const users = a.users ?? 10_000;
  const prefix = `bench-${randomBytes(6).toString('hex')}-`;
  let seq = 0;
  let user = Math.floor(Math.random() * users);
  const tail = `","source":"bench","details":{}}`;
  const source: RequestSource = {
    next() {
      const at = new Date().toISOString();
      let body = '{"signals":[';
      for (let i = 0; i < batch; i++) {
        // A fixed odd stride walks the whole pool without repeating users back to back.
        user = (user + 7919) % users;
        if (i > 0) body += ',';
        body += `{"id":"${prefix}${seq++}","behavior":"${a.behavior}","user":{"email":"user${user}@example.com","name":"User ${user}"},"occurred_at":"${at}${tail}`;
      }
      return body + ']}';
    },
  };
  if (a.verifyRiskwire) {
    source.check = (status, text) => {
      if (status !== 200) return `status ${status}: ${text.slice(0, 300)}`;
      let res: { success?: unknown; result?: { accepted?: unknown; duplicates?: unknown; ignored?: unknown } };
      try {
        res = JSON.parse(text) as typeof res;
      } catch {
        return `response is not JSON: ${text.slice(0, 300)}`;
      }
      const r = res.result;
      if (res.success !== true || !r) return `unsuccessful envelope: ${text.slice(0, 300)}`;
      const accepted = count(r.accepted);
      const duplicates = count(r.duplicates ?? 0);
      const ignored = count(r.ignored ?? 0);
      if (accepted !== batch || duplicates !== 0 || ignored !== 0) {
        return `expected ${batch} accepted, 0 duplicates, 0 ignored; got accepted=${accepted} duplicates=${duplicates} ignored=${ignored}`;
      }
      return undefined;
    };
  }
  return source;
}
