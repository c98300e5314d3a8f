import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokenRunError, fmt, printHeader, printTable, printVerdicts, progress } from './lib/report.js';
import { startRiskwireProcess } from './lib/riskwire-process.js';
import { forkDurableFloor } from './lib/fork-floor.js';

/**
 * `npm run bench -- sources`: CrowdStrike webhook events per second — HMAC verification, replay
 * check, parsing, recording and scoring on the embedded store — next to a bare node:http server
 * answering 202 to the same signed requests, in the same run with the same load (a keep-alive
 * loader with 8 concurrent request loops in this process; both servers are child processes).
 * Target: at least 40% of the bare server.
 *
 * For reference, no target: the durable floor (bench/lib/floor-process.ts, `crowdstrike`), which
 * checks the same signature, parses the event and stores it with one group-committed INSERT, and
 * does nothing else: no replay claim, identity resolution, outcome or scoring.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = 8;
const root = fileURLToPath(new URL('../..', import.meta.url));

export async function run(): Promise<void> {
  const template = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'crowdstrike', 'epp-detection-summary.json'), 'utf8')) as { event: Record<string, unknown> };
  let n = 0;
  const body = () => {
    const i = n++;
    template.event.CompositeId = `bench:ind:${i}`;
    template.event.UserName = `user${i % 5000}@corp.example.com`;
    return JSON.stringify(template);
  };
  /** Signed the documented way (vendors reference §4.3): base64(HMAC-SHA256(secret, body ‖ timestamp)). */
  const signed = (secret: string) => {
    const b = body();
    const ts = String(Math.floor(Date.now() / 1000));
    return { b, headers: { 'content-type': 'application/json', 'x-cs-primary-signature': createHmac('sha256', secret).update(b + ts).digest('base64'), 'x-cs-delivery-timestamp': ts } };
  };
  const load = async (url: string, secret: string, expect: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let done = 0;
    let bad = 0;
    const end = performance.now() + SECONDS * 1000;
    const one = () => new Promise<void>((resolve) => {
      const { b, headers } = signed(secret);
      const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(b)) } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === expect) done++;
          else bad++;
          resolve();
        });
      });
      req.on('error', () => {
        bad++;
        resolve();
      });
      req.end(b);
    });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) await one();
    }));
    agent.destroy();
    if (bad) throw new BrokenRunError(`${bad} requests to ${url} did not answer ${expect}`);
    return { rate: done / ((performance.now() - t0) / 1000), done };
  };
  /** The rate, and the server's CPU per event: from the load's start until a second after its end (scoring follows the answers). */
  const measured = async (server: { cpuMs(): number }, url: string, secret: string, expect: number) => {
    const before = server.cpuMs();
    const { rate, done } = await load(url, secret, expect);
    await new Promise((r) => setTimeout(r, 1000));
    return { rate, cpuUs: ((server.cpuMs() - before) * 1000) / done };
  };

  // The baseline: a bare node:http 202 server in its own process.
  const bareScript = `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(202,{'content-length':'0'});s.end()})}).listen(0,'127.0.0.1',function(){process.send(this.address().port)})`;
  const bare = fork('-e', [bareScript], { execArgv: [] } as never);
  const barePort = await new Promise<number>((r) => bare.once('message', (p) => r(p as number)));
  progress('bare node:http server');
  const bareBefore = (await load(`http://127.0.0.1:${barePort}/`, 'x', 202)).rate;

  const rw = await startRiskwireProcess();
  let ours: { rate: number; cpuUs: number };
  try {
    await rw.api('PUT', '/client/v4/accounts/bench/zt_risk_scoring/behaviors', { behaviors: { crowdstrike_detection_high: { enabled: true, risk_level: 'high' } } });
    const src = (await rw.api('POST', '/client/v4/accounts/bench/sources', { type: 'crowdstrike', name: 'falcon' })).result as { webhook_url: string; secret: string };
    const url = `${rw.url}${new URL(src.webhook_url).pathname}`;
    progress('riskwire CrowdStrike webhook');
    ours = await measured(rw, url, src.secret, 204);
  } finally {
    await rw.stop();
  }
  /** A floor (floor-process.ts, `crowdstrike`) under the same load; `scoring`: the scoring floor. */
  const floorRow = async (name: string, scoring: boolean) => {
    const floorSecret = 'floor-secret';
    const server = await forkDurableFloor('crowdstrike', { FLOOR_SECRET: floorSecret, ...(scoring ? { FLOOR_SCORING: 'after-answer' } : {}) });
    try {
      progress(name);
      return await measured(server, server.url, floorSecret, 204);
    } finally {
      await server.close();
    }
  };
  const floor = await floorRow('durable floor (reference)', false);
  const scoringFloor = await floorRow('scoring floor (reference)', true);
  const bareAfter = (await load(`http://127.0.0.1:${barePort}/`, 'x', 202)).rate;
  bare.kill();
  const baseline = (bareBefore + bareAfter) / 2;
  printHeader('sources (CrowdStrike webhook: HMAC + scoring)', [
    `load: ${CONCURRENCY} concurrent keep-alive request loops for ${SECONDS} s per row, each request a freshly signed EppDetectionSummaryEvent (a new detection id; 5,000 users)`,
    'riskwire: node dist/src/main.js as a child process, embedded SQLite, LOG_LEVEL=info; baseline: bare node:http answering 202, also a child process',
    'command: npm run build && npm run bench -- sources',
  ]);
  printTable(['server', 'events/s', 'server CPU µs/event'], [
    ['bare node:http 202 (before)', fmt(bareBefore, 0), ''],
    ['riskwire CrowdStrike webhook (204)', fmt(ours.rate, 0), fmt(ours.cpuUs, 0)],
    ['durable floor (reference): signature, parse, one INSERT (204)', fmt(floor.rate, 0), fmt(floor.cpuUs, 0)],
    ['scoring floor (reference): the same, plus one event row and one user upsert (204)', fmt(scoringFloor.rate, 0), fmt(scoringFloor.cpuUs, 0)],
    ['bare node:http 202 (after)', fmt(bareAfter, 0), ''],
  ]);
  process.stdout.write(`durable floor ÷ bare: ${fmt(floor.rate / baseline, 2)} (reference, no target: the least a durable webhook endpoint does, nothing scored)\n`);
  process.stdout.write(`scoring floor ÷ bare: ${fmt(scoringFloor.rate / baseline, 2)} (reference, no target: the least a webhook endpoint that scores does)\n`);
  process.stdout.write('server CPU µs/event: user + system time of the server process (all threads) from the start of its load to a second after, ÷ events answered; steadier than rates across machine phases\n\n');
  printVerdicts([{ name: 'riskwire ÷ bare', value: fmt(ours.rate / baseline, 2), target: '≥ 0.40', pass: ours.rate / baseline >= 0.4 }]);
}
