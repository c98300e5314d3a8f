import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokenRunError, fmt, printHeader, printTable, progress } from './lib/report.js';
import { startRiskwireProcess } from './lib/riskwire-process.js';

/**
 * `npm run bench -- pull`: CrowdStrike Event Streams events per second through riskwire's pull
 * connector — NDJSON reading, parsing, recording, scoring and an offset save per event — from a
 * fake Falcon cloud on loopback serving EVENTS events. Baseline in the same run: a bare reader of
 * the same stream (line split + JSON.parse, nothing stored). No target is set by the issue; the
 * ratio is reported so a later change can be compared.
 */
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const root = fileURLToPath(new URL('../..', import.meta.url));

export async function run(): Promise<void> {
  const template = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'crowdstrike', 'epp-detection-summary.json'), 'utf8')) as { metadata: Record<string, unknown>; event: Record<string, unknown> };
  const lines = Array.from({ length: EVENTS }, (_, i) => {
    template.metadata.offset = i;
    template.event.CompositeId = `bench:ind:${i}`;
    template.event.UserName = `user${i % 5000}`;
    return `${JSON.stringify(template)}\n`;
  });
  const feed = lines.join('');

  let firstFeedAt = 0;
  const falcon = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const json = (v: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    req.resume();
    if (url.pathname === '/oauth2/token') return json({ access_token: 'a', expires_in: 1799 });
    if (url.pathname === '/sensors/entities/datafeed/v2') {
      return json({ resources: [{ dataFeedURL: `${base}/feed/0?appId=bench`, sessionToken: { token: 's' }, refreshActiveSessionURL: `${base}/sensors/entities/datafeed-actions/v1/0`, refreshActiveSessionInterval: 1800 }] });
    }
    if (url.pathname.startsWith('/sensors/entities/datafeed-actions/')) return json({});
    if (url.pathname === '/feed/0') {
      firstFeedAt ||= performance.now();
      const from = Number(url.searchParams.get('offset') ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(from === 0 ? feed : lines.slice(from).join(''));
      return; // open, like Falcon's stream
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => falcon.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(falcon.address() as AddressInfo).port}`;

  // Baseline: read the same stream and parse each line, nothing else.
  progress('bare stream reader');
  const bare = await new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    http.get(`${base}/feed/0`, (res) => {
      let pending = '';
      let count = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          JSON.parse(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
          if (++count === EVENTS) {
            res.destroy();
            resolve(EVENTS / ((performance.now() - t0) / 1000));
          }
        }
      });
    }).on('error', reject);
  });
  firstFeedAt = 0;

  const rw = await startRiskwireProcess({ RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true' });
  let ours: number;
  try {
    await rw.api('PUT', '/client/v4/accounts/bench/zt_risk_scoring/behaviors', { behaviors: { crowdstrike_detection_high: { enabled: true, risk_level: 'high' } } });
    const src = (await rw.api('POST', '/client/v4/accounts/bench/sources', {
      type: 'crowdstrike', name: 'falcon-stream',
      settings: { stream_api_base_url: base, stream_client_id: 'bench', stream_client_secret: 'bench-secret', stream_app_id: 'bench' },
    })).result as { id: string };
    progress('riskwire Event Streams connector (picks the source up within 30 s)');
    const deadline = performance.now() + 600_000;
    const lastId = `bench:ind:${EVENTS - 1}`;
    for (;;) {
      const events = (await rw.api('GET', `/client/v4/accounts/bench/sources/${src.id}/events?limit=1`)).result as Array<{ event_id: string; outcome: string }>;
      if (events[0]?.event_id.includes(lastId) && events[0].outcome.startsWith('scored')) break;
      if (performance.now() > deadline) throw new BrokenRunError('the connector did not score every event within 10 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
    ours = EVENTS / ((performance.now() - firstFeedAt) / 1000);
  } finally {
    await rw.stop();
    falcon.closeAllConnections();
    falcon.close();
  }
  printHeader('pull (CrowdStrike Event Streams connector)', [
    `load: ${fmt(EVENTS, 0)} EppDetectionSummaryEvents (new detection ids, 5,000 users) on one partition of a fake Falcon cloud on loopback`,
    'riskwire: node dist/src/main.js as a child process, embedded SQLite, LOG_LEVEL=info; timed from its feed request to the last event scored (100 ms polling)',
    'baseline: this process reading the same stream, JSON.parse per line',
    'command: npm run build && npm run bench -- pull',
  ]);
  printTable(['reader', 'events/s'], [
    ['bare stream reader', fmt(bare, 0)],
    ['riskwire connector (record + score + offset)', fmt(ours, 0)],
    ['riskwire ÷ bare (no target set; reported for comparison)', fmt(ours / bare, 3)],
  ]);
}
