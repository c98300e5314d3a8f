import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fmt, printHeader, printTable, printVerdicts, progress, BrokenRunError } from './lib/report.js';
import { startRiskwireProcess } from './lib/riskwire-process.js';

/**
 * `npm run bench -- fanout`: one risk change fanned out to 100 push streams; time from sending
 * the signal until all 100 SETs are received. Five rounds (a new user each). Baseline in the same
 * run: 100 POSTs to the same receiver issued at once from this process. Target: under 1 s.
 */
const STREAMS = 100;
const ROUNDS = 5;

export async function run(): Promise<void> {
  let arrived = 0;
  const rx = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrived++;
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  const rxUrl = `http://127.0.0.1:${(rx.address() as AddressInfo).port}`;
  const waitAll = async (n: number, timeoutMs: number) => {
    const until = performance.now() + timeoutMs;
    while (arrived < n && performance.now() < until) await new Promise((r) => setTimeout(r, 1));
    return arrived >= n;
  };

  // Baseline: 100 POSTs at once.
  const baseline: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    arrived = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: STREAMS }, (_, i) => fetch(`${rxUrl}/s${i}`, { method: 'POST', body: 'x' })));
    await waitAll(STREAMS, 5000);
    baseline.push(performance.now() - t0);
  }

  const rw = await startRiskwireProcess();
  const ours: number[] = [];
  try {
    await rw.api('PUT', '/client/v4/accounts/bench/zt_risk_scoring/behaviors', { behaviors: { imp_travel: { enabled: true, risk_level: 'high' } } });
    const access = await rw.receiver('fanout');
    progress(`creating ${STREAMS} push streams`);
    for (let i = 0; i < STREAMS; i++) {
      const res = await fetch(`${rw.url}/ssf/bench/streams`, {
        method: 'POST', headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
        body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${rxUrl}/s${i}` }, events_requested: ['https://schemas.openid.net/secevent/caep/event-type/risk-level-change'] }),
      });
      if (res.status !== 201) throw new BrokenRunError(`stream ${i}: ${res.status} ${await res.text()}`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      arrived = 0;
      const t0 = performance.now();
      await rw.api('POST', '/client/v4/accounts/bench/zt_risk_scoring/signals', { signals: [{ behavior: 'imp_travel', user: { email: `fan-${round}@bench.example.com` } }] });
      if (!(await waitAll(STREAMS, 10_000))) throw new BrokenRunError(`round ${round}: only ${arrived} of ${STREAMS} SETs arrived in 10 s`);
      ours.push(performance.now() - t0);
      progress(`round ${round + 1}: ${fmt(ours.at(-1)!, 1)} ms`);
    }
  } finally {
    await rw.stop();
    rx.close();
  }
  printHeader(`fanout (one risk change → ${STREAMS} push streams)`, [
    `${ROUNDS} rounds, each a new user's first high-risk signal; time from sending the signal to the last of ${STREAMS} SETs received`,
    'riskwire: node dist/src/main.js as a child process, embedded SQLite, default push concurrency (32)',
    `baseline: ${STREAMS} POSTs to the same loopback receiver issued at once from the benchmark process`,
    'command: npm run build && npm run bench -- fanout',
  ]);
  printTable(['path', ...ours.map((_, i) => `round ${i + 1} ms`), 'worst ms'], [
    ['bare: 100 POSTs at once', ...baseline.map((x) => fmt(x, 1)), fmt(Math.max(...baseline), 1)],
    ['riskwire fan-out', ...ours.map((x) => fmt(x, 1)), fmt(Math.max(...ours), 1)],
  ]);
  printVerdicts([{ name: 'slowest round: all 100 delivered', value: `${fmt(Math.max(...ours), 1)} ms`, target: '< 1000 ms', pass: Math.max(...ours) < 1000 }]);
}
