/**
 * A comparison aid, not a benchmark: pushes a fixed number of CrowdStrike webhook events
 * (`sources`) or SETs (`receive`) into a riskwire child process from 8 keep-alive request loops
 * and prints the server's CPU per event (user + system, all threads, until a second and a half
 * after the last answer, so the scoring after the answers counts).
 *
 * The benchmarks run for a fixed time, so a faster server also handles more repeat users per new
 * one, and its CPU per event mixes different work; a fixed count compares like with like. To
 * compare two commits, build each in its own git worktree and alternate runs (the machine's phase
 * drifts by tens of percent within minutes; compare averages of several runs each):
 *
 *   npm run build && node dist/bench/tools/fixed-count.js sources 15000
 *   (cd ../other-worktree && npm run build && node dist/bench/tools/fixed-count.js sources 15000)
 */
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRiskwireProcess } from '../lib/riskwire-process.js';

const LOOPS = 8;
/** Users the events name, as in the benchmarks: 5,000, so most of a run's events find their user scored. */
const USERS = 5000;
const root = fileURLToPath(new URL('../../..', import.meta.url));

type Request = { body: string; headers: Record<string, string> };

async function main(): Promise<void> {
  const what = process.argv[2];
  const count = Number(process.argv[3] ?? 15_000);
  if ((what !== 'sources' && what !== 'receive') || !Number.isInteger(count) || count < 1) {
    process.stderr.write('usage: node dist/bench/tools/fixed-count.js <sources|receive> [count]\n');
    process.exitCode = 64;
    return;
  }
  const rw = await startRiskwireProcess();
  const closers: Array<() => void> = [];
  try {
    const { url, requests, expect } = what === 'sources' ? await webhookLoad(rw) : await setLoad(rw, count, closers);
    const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
    let next = 0;
    let bad = 0;
    const one = (r: Request) => new Promise<void>((resolve) => {
      const req = http.request(url, { method: 'POST', agent, headers: { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== expect) bad++;
          resolve();
        });
      });
      req.on('error', () => {
        bad++;
        resolve();
      });
      req.end(r.body);
    });
    const cpuBefore = rw.cpuMs();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: LOOPS }, async () => {
      while (next < count) await one(requests(next++));
    }));
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1500));
    const cpuUs = ((rw.cpuMs() - cpuBefore) * 1000) / count;
    agent.destroy();
    process.stdout.write(`${what}: ${count} requests, ${bad} not ${expect}, ${Math.round(count / seconds)}/s, server CPU ${Math.round(cpuUs)} µs per event\n`);
    if (bad) process.exitCode = 1;
  } finally {
    for (const close of closers) close();
    await rw.stop();
  }
}

/** Freshly signed EppDetectionSummaryEvents, each a new detection (as bench/sources.ts). */
async function webhookLoad(rw: Awaited<ReturnType<typeof startRiskwireProcess>>) {
  await rw.api('PUT', '/client/v4/accounts/bench/zt_risk_scoring/behaviors', { behaviors: { crowdstrike_detection_high: { enabled: true, risk_level: 'high' } } });
  const src = (await rw.api('POST', '/client/v4/accounts/bench/sources', { type: 'crowdstrike', name: 'falcon' })).result as { webhook_url: string; secret: string };
  const template = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'crowdstrike', 'epp-detection-summary.json'), 'utf8')) as { event: Record<string, unknown> };
  const requests = (i: number): Request => {
    template.event.CompositeId = `count:${i}`;
    template.event.UserName = `user${i % USERS}@corp.example.com`;
    const body = JSON.stringify(template);
    const ts = String(Math.floor(Date.now() / 1000));
    return { body, headers: { 'content-type': 'application/json', 'x-cs-primary-signature': createHmac('sha256', src.secret).update(body + ts).digest('base64'), 'x-cs-delivery-timestamp': ts } };
  };
  return { url: `${rw.url}${new URL(src.webhook_url).pathname}`, requests, expect: 204 };
}

/** CAEP session-revoked SETs signed up front with a key served from a loopback JWKS (as bench/receive.ts). */
async function setLoad(rw: Awaited<ReturnType<typeof startRiskwireProcess>>, count: number, closers: Array<() => void>) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid: 'k1', alg: 'RS256', use: 'sig' };
  const jwks = http.createServer((_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  closers.push(() => jwks.close());
  const issuer = 'https://tx.count.example';
  const audience = 'https://riskwire.count/aud';
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const makeSet = async (i: number) => {
    const input = `${b64({ alg: 'RS256', typ: 'secevent+jwt', kid: 'k1' })}.${b64({
      iss: issuer, iat: Math.floor(Date.now() / 1000), jti: randomBytes(12).toString('hex'), aud: audience,
      sub_id: { format: 'email', email: `user${i % USERS}@count.example.com` },
      events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': { event_timestamp: Math.floor(Date.now() / 1000), reason_admin: { en: 'count' } } },
    })}`;
    const signature = await new Promise<Buffer>((resolve, reject) => sign('RSA-SHA256', Buffer.from(input), privateKey, (err, sig) => (err ? reject(err) : resolve(sig))));
    return `${input}.${signature.toString('base64url')}`;
  };
  const sets: string[] = [];
  for (let i = 0; i < count; i += 1000) sets.push(...(await Promise.all(Array.from({ length: Math.min(1000, count - i) }, (_, k) => makeSet(i + k)))));
  await rw.api('PUT', '/client/v4/accounts/bench/zt_risk_scoring/behaviors', { behaviors: { session_revoked_upstream: { enabled: true, risk_level: 'low' } } });
  const sub = (await rw.api('POST', '/client/v4/accounts/bench/ssf/transmitters', {
    mode: 'static', issuer, jwks_uri: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`, audience,
  })).result as { push_endpoint: string };
  const requests = (i: number): Request => ({ body: sets[i]!, headers: { 'content-type': 'application/secevent+jwt' } });
  return { url: `${rw.url}${new URL(sub.push_endpoint).pathname}`, requests, expect: 202 };
}

await main();
