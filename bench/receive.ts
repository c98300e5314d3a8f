import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compactVerify, importJWK } from 'jose';
import { BrokenRunError, fmt, printHeader, printTable, printVerdicts, progress } from './lib/report.js';
import { startRiskwireProcess } from './lib/riskwire-process.js';

/**
 * `npm run bench -- receive`: valid SETs per second accepted (202) by riskwire's push endpoint —
 * signature verification, claim checks and durable storage included — next to raw jose RS256
 * verification of the same SETs in the same run. Target: at least 60% of raw.
 * Sequential requests from one client, so the ratio compares one-at-a-time costs.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

export async function run(): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid: 'k1', alg: 'RS256', use: 'sig' };
  const jwks = http.createServer((_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
  const issuer = 'https://tx.bench.example';
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  let n = 0;
  const makeSet = () => {
    const input = `${b64({ alg: 'RS256', typ: 'secevent+jwt', kid: 'k1' })}.${b64({
      iss: issuer, iat: Math.floor(Date.now() / 1000), jti: randomBytes(12).toString('hex'), aud: 'https://riskwire.bench/aud',
      sub_id: { format: 'email', email: `user${n++ % 5000}@bench.example.com` },
      events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': { event_timestamp: Math.floor(Date.now() / 1000), reason_admin: { en: 'bench' } } },
    })}`;
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  progress('signing the SETs up front');
  const sets = Array.from({ length: 20_000 }, makeSet);

  // Baseline: raw jose RS256 verification, same SETs, same process.
  const key = await importJWK(jwk, 'RS256');
  const rawRate = async () => {
    let i = 0;
    const end = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    while (performance.now() < end) await compactVerify(sets[i++ % sets.length]!, key);
    return i / ((performance.now() - t0) / 1000);
  };
  progress('raw jose verification');
  const rawBefore = await rawRate();

  const rw = await startRiskwireProcess();
  let accepted = 0;
  try {
    const sub = (await rw.api('POST', '/client/v4/accounts/bench/ssf/transmitters', { mode: 'static', issuer, jwks_uri: jwksUri, audience: 'https://riskwire.bench/aud' })).result;
    const path = new URL(sub.push_endpoint).pathname;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const push = (jws: string) => new Promise<number>((resolve, reject) => {
      const req = http.request(`${rw.url}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/secevent+jwt', 'content-length': String(jws.length) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(jws);
    });
    progress('riskwire push endpoint');
    for (let i = 0; i < 300; i++) await push(sets[sets.length - 1 - i]!); // warm-up (JWKS fetch, JIT)
    let i = 0;
    const end = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    while (performance.now() < end && i < sets.length - 300) {
      const status = await push(sets[i++]!);
      if (status !== 202) throw new BrokenRunError(`push answered ${status}`);
    }
    accepted = i / ((performance.now() - t0) / 1000);
    agent.destroy();
  } finally {
    await rw.stop();
    jwks.close();
  }
  const rawAfter = await rawRate();
  const raw = (rawBefore + rawAfter) / 2;
  printHeader('receive (SETs accepted by the push endpoint)', [
    `SETs: CAEP session-revoked, RS256 2048, signed up front by a hand-built transmitter; ${SECONDS} s per row, one request at a time`,
    'riskwire: node dist/src/main.js as a child process, static subscription, embedded SQLite, LOG_LEVEL=info; each SET verified, stored, then scored',
    'baseline: jose compactVerify of the same SETs in the benchmark process, before and after',
    'command: npm run build && npm run bench -- receive',
  ]);
  printTable(['path', 'SETs/s'], [
    ['raw jose RS256 verify (before)', fmt(rawBefore, 0)],
    ['riskwire push endpoint (202)', fmt(accepted, 0)],
    ['raw jose RS256 verify (after)', fmt(rawAfter, 0)],
  ]);
  printVerdicts([{ name: 'riskwire ÷ raw verification', value: fmt(accepted / raw, 2), target: '≥ 0.60', pass: accepted / raw >= 0.6 }]);
}
