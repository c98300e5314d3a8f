import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fmt, printHeader, printTable, printVerdicts, progress, BrokenRunError } from './lib/report.js';
import { startRiskwireProcess } from './lib/riskwire-process.js';

/**
 * `npm run bench -- e2e`: signals sent at a fixed rate (500/s) into riskwire's signals API, each
 * for a new user so each causes a risk change; a push receiver on loopback notes when each SET
 * arrives. Latency = receipt − send, matched through the SET's sub_id email. Baseline in the same
 * run: a bare node:http relay that forwards each request to the same receiver at once — the
 * floor of two loopback hops on this machine. Target: p99 under 50 ms.
 */
const RATE = Number(process.env.BENCH_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** A discarded run first, same rate, same server: JIT, the account's first signing key, first connections. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);

export async function run(): Promise<void> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const rx = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const now = performance.now();
      res.writeHead(202).end();
      let email: string | undefined;
      try {
        const jws = body.includes('.') ? body : (JSON.parse(body) as { set: string }).set;
        email = (JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as { sub_id?: { email?: string } }).sub_id?.email;
      } catch {
        /* the relay forwards plain JSON */
        email = (JSON.parse(body) as { email?: string }).email;
      }
      const t = email ? sentAt.get(email) : undefined;
      if (t !== undefined) {
        latencies.push(now - t);
        sentAt.delete(email!);
      }
    });
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  const rxUrl = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/events`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const post = (url: string, body: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });

  /** Sends at RATE/s for SECONDS; returns latencies of everything received within 5 s after. */
  const drive = async (label: string, url: string, headers: Record<string, string>, bodyFor: (email: string) => string, seconds = SECONDS) => {
    progress(`${label}: ${RATE}/s for ${seconds} s`);
    latencies.length = 0;
    sentAt.clear();
    const total = RATE * seconds;
    const start = performance.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const email = `${label.replace(/[^a-z]+/gi, "-")}-${i}-${Date.now()}@bench.example.com`;
      sentAt.set(email, performance.now());
      pending.push(post(url, bodyFor(email), headers));
    }
    const statuses = await Promise.all(pending);
    const bad = statuses.filter((s) => s >= 300);
    if (bad.length) throw new BrokenRunError(`${label}: ${bad.length} non-2xx answers (first: HTTP ${bad[0]})`);
    const until = performance.now() + 5000;
    while (sentAt.size && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
    return { label, sent: total, received: sorted.length, late: sentAt.size, p50: q(0.5), p99: q(0.99), max: sorted.at(-1) ?? NaN };
  };

  // Baseline: a bare relay that forwards each request straight to the receiver.
  const relay = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(202).end();
      void post(rxUrl, body, {});
    });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`;
  await drive('bare relay (warm-up, discarded)', relayUrl, {}, (email) => JSON.stringify({ email }), WARMUP_SECONDS);
  const baseline = await drive('bare relay', relayUrl, {}, (email) => JSON.stringify({ email }));
  relay.close();

  const rw = await startRiskwireProcess();
  try {
    await rw.api('PUT', '/client/v4/accounts/bench/zt_risk_scoring/behaviors', { behaviors: { imp_travel: { enabled: true, risk_level: 'high' } } });
    const access = await rw.receiver('e2e');
    const stream = await fetch(`${rw.url}/ssf/bench/streams`, {
      method: 'POST', headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
      body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rxUrl }, events_requested: ['https://schemas.openid.net/secevent/caep/event-type/risk-level-change'] }),
    });
    if (stream.status !== 201) throw new BrokenRunError(`stream create answered ${stream.status}`);
    const signalsUrl = `${rw.url}/client/v4/accounts/bench/zt_risk_scoring/signals`;
    const signalBody = (email: string) => JSON.stringify({ signals: [{ behavior: 'imp_travel', user: { email } }] });
    const warm = await drive('riskwire (warm-up, discarded)', signalsUrl, { authorization: `Bearer ${rw.token}` }, signalBody, WARMUP_SECONDS);
    if (warm.late) throw new BrokenRunError(`warm-up: ${warm.late} SETs not received 5 s after the last send`);
    const ours = await drive('riskwire', signalsUrl, { authorization: `Bearer ${rw.token}` }, signalBody);
    printHeader('e2e (signal → SET received by a push receiver)', [
      `load: ${RATE} signals/s for ${SECONDS} s after a discarded ${WARMUP_SECONDS} s warm-up at the same rate, one signal per request, each a new user (so each causes a risk change and a SET)`,
      'riskwire: node dist/src/main.js as a child process, embedded SQLite, LOG_LEVEL=info (production default; one JSON line per request); sender and receiver in the benchmark process, loopback only',
      'baseline: a bare node:http relay forwarding each request to the same receiver (two loopback hops)',
      'command: npm run build && npm run bench -- e2e',
    ]);
    // "not yet received": still queued (or in flight) 5 s after the last send — latency beyond the
    // window, not loss; the outbox keeps them and delivers them later.
    printTable(['path', 'sent', 'received ≤ 5 s after the last send', 'not yet received', 'p50 ms', 'p99 ms', 'max ms'], [baseline, ours].map((r) => [r.label, fmt(r.sent, 0), fmt(r.received, 0), fmt(r.late, 0), fmt(r.p50), fmt(r.p99), fmt(r.max)]));
    printVerdicts([
      { name: 'riskwire signal → SET p99 (of those received)', value: `${fmt(ours.p99)} ms`, target: '< 50 ms', pass: ours.p99 < 50 && ours.late === 0 },
    ]);
  } finally {
    await rw.stop();
    rx.close();
    agent.destroy();
  }
}
