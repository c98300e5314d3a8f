import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compactVerify, importJWK } from 'jose';
import { BrokenRunError, fmt, printHeader, printTable, printVerdicts, progress } from './lib/report.js';
import { startRiskwireProcess } from './lib/riskwire-process.js';
import { forkDurableFloor } from './lib/fork-floor.js';

/**
 * `npm run bench -- receive`: valid SETs per second accepted (202) by riskwire's push endpoint —
 * signature verification, claim checks, durable storage and the scoring that follows each 202
 * (the mapped behavior is enabled) — next to raw jose RS256 verification of the same SETs in
 * the same run. Target: at least 60% of raw.
 *
 * Two loads: one request at a time (what one SET costs end to end, round trip included) and
 * 8 concurrent keep-alive connections (throughput, as a transmitter with parallel pushes or
 * several transmitters load it; the same load as *sources*). The verdict is on throughput.
 *
 * For reference, no target: the durable floor (bench/lib/floor-process.ts, `set-push`), under the
 * concurrent load: the SET verified with jose, `typ`/`iss`/`aud` checked, stored with one
 * group-committed INSERT and answered 202; no replay check, mapping, subject resolution or scoring.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENT = 8;
/** Each SET is pushed once (a fresh jti): enough for both loads well above the target rate. */
const SET_COUNT = 100_000;

export async function run(): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid: 'k1', alg: 'RS256', use: 'sig' };
  const jwks = http.createServer((_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
  const issuer = 'https://tx.bench.example';
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  let n = 0;
  const makeSet = async () => {
    const input = `${b64({ alg: 'RS256', typ: 'secevent+jwt', kid: 'k1' })}.${b64({
      iss: issuer, iat: Math.floor(Date.now() / 1000), jti: randomBytes(12).toString('hex'), aud: 'https://riskwire.bench/aud',
      sub_id: { format: 'email', email: `user${n++ % 5000}@bench.example.com` },
      events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': { event_timestamp: Math.floor(Date.now() / 1000), reason_admin: { en: 'bench' } } },
    })}`;
    // The callback form signs on the thread pool: both cores sign the SETs up front.
    const signature = await new Promise<Buffer>((resolve, reject) => sign('RSA-SHA256', Buffer.from(input), privateKey, (err, sig) => (err ? reject(err) : resolve(sig))));
    return `${input}.${signature.toString('base64url')}`;
  };
  progress('signing the SETs up front');
  const sets: string[] = [];
  for (let i = 0; i < SET_COUNT; i += 1000) sets.push(...(await Promise.all(Array.from({ length: Math.min(1000, SET_COUNT - i) }, makeSet))));

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
  const accepted: Record<'sequential' | 'concurrent' | 'floor' | 'scoringFloor', number> = { sequential: 0, concurrent: 0, floor: 0, scoringFloor: 0 };
  /** Server CPU per SET (process-cpu.ts), for the concurrent rows. */
  const cpuUs = { concurrent: Number.NaN, floor: Number.NaN, scoringFloor: Number.NaN };
  try {
    // CAEP session-revoked maps to this behavior (config/receiver-mappings.json); enabled, each SET scores its user.
    await rw.api('PUT', '/client/v4/accounts/bench/zt_risk_scoring/behaviors', { behaviors: { session_revoked_upstream: { enabled: true, risk_level: 'low' } } });
    const sub = (await rw.api('POST', '/client/v4/accounts/bench/ssf/transmitters', { mode: 'static', issuer, jwks_uri: jwksUri, audience: 'https://riskwire.bench/aud' })).result;
    const path = new URL(sub.push_endpoint).pathname;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
    const push = (jws: string, url = `${rw.url}${path}`) => new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/secevent+jwt', 'content-length': String(jws.length) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(jws);
    });
    let next = 0;
    let lastCount = 0;
    const take = () => (next < sets.length ? sets[next++]! : undefined);
    /** Pushes fresh SETs (each jti once) from `loops` request loops for `seconds`; SETs/s answered 202. */
    const run = async (loops: number, seconds: number, url?: string) => {
      let done = 0;
      const end = performance.now() + seconds * 1000;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: loops }, async () => {
        for (let jws = take(); jws && performance.now() < end; jws = take()) {
          const status = await push(jws, url);
          if (status !== 202) throw new BrokenRunError(`push answered ${status}`);
          done++;
        }
      }));
      if (next >= sets.length) throw new BrokenRunError(`ran out of pre-signed SETs (${sets.length}); shorten BENCH_SECONDS`);
      lastCount = done;
      return done / ((performance.now() - t0) / 1000);
    };
    progress('riskwire push endpoint');
    await run(1, 0.5); // warm-up (JWKS fetch, JIT)
    accepted.sequential = await run(1, SECONDS);
    const cpuBefore = rw.cpuMs();
    accepted.concurrent = await run(CONCURRENT, SECONDS);
    const concurrentCount = lastCount;
    // Sound only if what was accepted was also scored: the last SET pushed ends up processed as accepted.
    const last = await (async () => {
      for (let i = 0; i < 100; i++) {
        const r = (await rw.api('GET', `/client/v4/accounts/bench/ssf/transmitters/${sub.id}/sets?limit=1`)).result[0] as { state: string; outcome: string | null };
        if (r.state === 'processed') return r;
        await new Promise((res) => setTimeout(res, 100));
      }
      return undefined;
    })();
    if (!last?.outcome?.startsWith('accepted')) throw new BrokenRunError(`the last SET was not scored: ${JSON.stringify(last)}`);
    cpuUs.concurrent = ((rw.cpuMs() - cpuBefore) * 1000) / concurrentCount;
    const floorServer = await forkDurableFloor('set-push', { FLOOR_JWK: JSON.stringify(jwk), FLOOR_ISSUER: issuer, FLOOR_AUDIENCE: 'https://riskwire.bench/aud' });
    try {
      progress('durable floor (reference)');
      next = 0; // the same SETs again: fresh to this server
      await run(CONCURRENT, 0.5, floorServer.url); // warm-up
      const before = floorServer.cpuMs();
      accepted.floor = await run(CONCURRENT, SECONDS, floorServer.url);
      cpuUs.floor = ((floorServer.cpuMs() - before) * 1000) / lastCount;
    } finally {
      await floorServer.close();
    }
    const scoringServer = await forkDurableFloor('set-push', { FLOOR_JWK: JSON.stringify(jwk), FLOOR_ISSUER: issuer, FLOOR_AUDIENCE: 'https://riskwire.bench/aud', FLOOR_SCORING: 'after-answer' });
    try {
      progress('scoring floor (reference)');
      next = 0;
      await run(CONCURRENT, 0.5, scoringServer.url); // warm-up
      const before = scoringServer.cpuMs();
      accepted.scoringFloor = await run(CONCURRENT, SECONDS, scoringServer.url);
      await new Promise((r) => setTimeout(r, 100)); // its scoring runs every 10 ms after the answers
      cpuUs.scoringFloor = ((scoringServer.cpuMs() - before) * 1000) / lastCount;
    } finally {
      await scoringServer.close();
    }
    agent.destroy();
  } finally {
    await rw.stop();
    jwks.close();
  }
  const rawAfter = await rawRate();
  const raw = (rawBefore + rawAfter) / 2;
  printHeader('receive (SETs accepted by the push endpoint)', [
    `SETs: CAEP session-revoked, RS256 2048, signed up front by a hand-built transmitter (a new jti each, 5,000 users); ${SECONDS} s per row`,
    'riskwire: node dist/src/main.js as a child process, static subscription, embedded SQLite, LOG_LEVEL=info; each SET verified, stored, answered 202, then scored (behavior session_revoked_upstream enabled)',
    `load: keep-alive HTTP from this process, one request at a time, then ${CONCURRENT} concurrent request loops`,
    'baseline: jose compactVerify of the same SETs in the benchmark process, one at a time, before and after',
    'command: npm run build && npm run bench -- receive',
  ]);
  printTable(['path', 'SETs/s', '÷ raw', 'server CPU µs/SET'], [
    ['raw jose RS256 verify (before)', fmt(rawBefore, 0), '', fmt(1e6 / rawBefore, 0)],
    ['riskwire push endpoint, 1 request at a time', fmt(accepted.sequential, 0), fmt(accepted.sequential / raw, 2), ''],
    [`riskwire push endpoint, ${CONCURRENT} concurrent`, fmt(accepted.concurrent, 0), fmt(accepted.concurrent / raw, 2), fmt(cpuUs.concurrent, 0)],
    [`durable floor (reference), ${CONCURRENT} concurrent: verify, check, one INSERT`, fmt(accepted.floor, 0), fmt(accepted.floor / raw, 2), fmt(cpuUs.floor, 0)],
    [`scoring floor (reference), ${CONCURRENT} concurrent: the same, plus one event row and one user upsert`, fmt(accepted.scoringFloor, 0), fmt(accepted.scoringFloor / raw, 2), fmt(cpuUs.scoringFloor, 0)],
    ['raw jose RS256 verify (after)', fmt(rawAfter, 0), '', fmt(1e6 / rawAfter, 0)],
  ]);
  process.stdout.write('server CPU µs/SET: user + system time of the server process (all threads) over the run, until its last SET was scored (riskwire) ÷ SETs answered; for raw verification, its time per SET\n\n');
  printVerdicts([{ name: `riskwire (${CONCURRENT} concurrent) ÷ raw verification`, value: fmt(accepted.concurrent / raw, 2), target: '≥ 0.60', pass: accepted.concurrent / raw >= 0.6 }]);
}
