import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { call } from '../helpers/test-app.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { requireBuild, spawnServer, type ServerProcess } from '../helpers/processes.js';
import { dropDatabase, freshDatabaseUri, mongoTestUri } from '../helpers/mongo.js';

/*
 * Scale-out (ARCHITECTURE "Operations"; issue #5): several riskwire processes on one MongoDB
 * deliver one push stream together. Two real server processes, one database, one real loopback
 * receiver. Normal case: every SET arrives once, in order per subject. Crash case: the SETs a
 * SIGKILLed process had leased are delivered by the other one once the leases expire, with the
 * same jti.
 */

const uri = mongoTestUri();
if (!uri) console.warn('Two-instance push tests skipped: MONGODB_URI is not set (see README, "MongoDB tests").');
const describeMongo = uri ? describe : describe.skip;

const RISK_LEVEL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change';

/** One POST the receiver got: what it said, when, and whether the 202 made it back. */
interface Arrival {
  jti: string;
  subject: string;
  level: string;
  at: number;
  /** The sender hung up before the response (it died with the request in flight). */
  aborted: boolean;
}

/**
 * A push receiver (RFC 8935) on loopback that answers 202 after `delayMs`. It decodes the payload
 * itself (no riskwire code), since it only needs jti, subject and level.
 */
async function startReceiver(delayMs: () => number) {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const claims = JSON.parse(Buffer.from(body.split('.')[1]!, 'base64url').toString('utf8')) as {
        jti: string; sub_id: { email: string }; events: Record<string, { current_level: string }>;
      };
      const a: Arrival = { jti: claims.jti, subject: claims.sub_id.email, level: claims.events[RISK_LEVEL_CHANGE]!.current_level, at: Date.now(), aborted: false };
      arrivals.push(a);
      res.on('close', () => {
        if (!res.writableFinished) a.aborted = true;
      });
      setTimeout(() => res.writeHead(202).end(), delayMs());
    });
  });
  const { url, close } = await listenOnLoopback(server);
  return { url, arrivals, close };
}

/** Two server processes on one fresh database, with one account, a push stream to `rxUrl` and three behaviors. */
async function startPair(rxUrl: string, extraEnv: Record<string, string>) {
  const dbUri = freshDatabaseUri(uri!);
  const dirs = [tempDir(), tempDir()];
  const token = `boot-${randomBytes(20).toString('hex')}`;
  const env = {
    MONGODB_URI: dbUri, RISKWIRE_MASTER_KEY: randomBytes(32).toString('hex'), RISKWIRE_BOOTSTRAP_ACCOUNT: 'acme', RISKWIRE_BOOTSTRAP_TOKEN: token,
    RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', RISKWIRE_PUSH_TIMEOUT_MS: '1000', RISKWIRE_PUSH_BACKOFF_BASE_MS: '50',
    // Ten 30-signal batches at once can leave events unapplied for over 10 s on a loaded machine;
    // the other instance's risk recovery would then apply them too. Safe on MongoDB (compare-and-set),
    // not on FerretDB, which rewrites whole documents: an extra level change, an extra SET.
    RISKWIRE_RISK_RECOVERY_AGE_SECONDS: '600',
    ...extraEnv,
  };
  const servers: ServerProcess[] = [];
  const cleanup = async () => {
    for (const s of servers) s.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    for (const d of dirs) d.cleanup();
    await dropDatabase(dbUri);
  };
  try {
    // One after the other: the first creates the account and the indexes.
    servers.push(await spawnServer({ ...env, DATA_DIR: dirs[0]!.dir }));
    servers.push(await spawnServer({ ...env, DATA_DIR: dirs[1]!.dir }));
    const [a] = servers;
    const api = (p: string) => `${a!.url}/client/v4/accounts/acme${p}`;
    const created = await call(api('/ssf/receivers'), { method: 'POST', token, json: { name: 'two-instances' } });
    const { client_id, client_secret } = created.body.result;
    const tok = await fetch(`${a!.url}/ssf/acme/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${client_id}&client_secret=${encodeURIComponent(client_secret)}`,
    });
    const access = ((await tok.json()) as { access_token: string }).access_token;
    const stream = await call(`${a!.url}/ssf/acme/streams`, {
      method: 'POST', token: access, json: { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rxUrl }, events_requested: [RISK_LEVEL_CHANGE] },
    });
    expect(stream.status).toBe(201);
    /** The receiver's own status change (SSF §8.1.2.2): not announced with a stream-updated SET. */
    const setStatus = async (status: 'enabled' | 'paused') =>
      expect((await call(`${a!.url}/ssf/acme/streams/status`, { method: 'POST', token: access, json: { stream_id: stream.body.stream_id, status } })).status).toBe(200);
    const behaviors = { high_dlp: { enabled: true, risk_level: 'low' }, credential_compromise: { enabled: true, risk_level: 'medium' }, imp_travel: { enabled: true, risk_level: 'high' } };
    expect((await call(api('/zt_risk_scoring/behaviors'), { method: 'PUT', token, json: { behaviors } })).status).toBe(200);
    const deliveries = async (server: ServerProcess, state: string) =>
      (await call(`${server.url}/client/v4/accounts/acme/ssf/streams/${stream.body.stream_id}/deliveries?state=${state}&limit=1000`, { token })).body.result as Array<{ jti: string }>;
    const post = async (server: ServerProcess, signals: unknown[]) => {
      const r = await call(`${server.url}/client/v4/accounts/acme/zt_risk_scoring/signals`, { method: 'POST', token, json: { signals } });
      expect(r.body.result.accepted).toBe(signals.length);
    };
    /** riskwire_sets_delivered_total of one process. */
    const deliveredBy = async (server: ServerProcess) => Number(/^riskwire_sets_delivered_total (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? 0);
    return { servers, deliveries, post, deliveredBy, setStatus, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

const distinct = (arrivals: Arrival[]) => new Set(arrivals.map((a) => a.jti));
/** The arrivals whose jti arrived before. */
const repeats = (arrivals: Arrival[]) => arrivals.filter((a, i) => arrivals.findIndex((b) => b.jti === a.jti) !== i);

beforeAll(() => requireBuild());

describeMongo(uri ? 'push delivery by two instances on one MongoDB' : 'push delivery by two instances (skipped: MONGODB_URI not set)', () => {
  it('normal case: every SET arrives exactly once, in order per subject, and both instances deliver', async () => {
    // A receiver that takes a little time, so both instances have attempts in flight at once.
    const rx = await startReceiver(() => 2 + Math.floor(Math.random() * 8));
    const pair = await startPair(rx.url, { RISKWIRE_PUSH_CONCURRENCY: '8' });
    try {
      const [a, b] = pair.servers as [ServerProcess, ServerProcess];
      // Queue everything first (a paused stream holds its SETs), then let both instances race
      // for the same rows at once: the hardest case for claiming.
      await pair.setStatus('paused');
      const USERS = 100;
      // Each user goes low → medium → high: three risk changes, three SETs about one subject that
      // must arrive in that order. Each batch of users is scored by one instance, alternating.
      const signalsOf = (u: number) => (['high_dlp', 'credential_compromise', 'imp_travel'] as const).map((behavior, k) => ({ id: `two-${u}-${k}`, behavior, user: { email: `user${u}@example.com` } }));
      const batches: Promise<void>[] = [];
      for (let first = 0; first < USERS; first += 10) {
        batches.push(pair.post(first % 20 ? b : a, Array.from({ length: 10 }, (_, i) => first + i).flatMap(signalsOf)));
      }
      await Promise.all(batches);
      const expected = USERS * 3;
      await until(async () => (await pair.deliveries(b, 'pending')).length >= expected, 60_000);
      expect(await pair.deliveries(a, 'pending')).toHaveLength(expected);
      await pair.setStatus('enabled');
      await until(async () => distinct(rx.arrivals).size >= expected && (await pair.deliveries(b, 'delivered')).length >= expected, 90_000);

      // (a) every SET arrived, and every SET the store holds was delivered.
      const stored = new Set((await pair.deliveries(b, 'delivered')).map((d) => d.jti));
      expect(stored.size).toBe(expected);
      expect(distinct(rx.arrivals)).toEqual(stored);
      expect(await pair.deliveries(a, 'pending')).toEqual([]);
      // (b) no SET was sent twice.
      expect(repeats(rx.arrivals).map((x) => x.jti)).toEqual([]);
      // (c) per subject, the SETs arrived in the order the levels changed.
      const bySubject = new Map<string, string[]>();
      for (const x of rx.arrivals) bySubject.set(x.subject, [...(bySubject.get(x.subject) ?? []), x.level]);
      expect(bySubject.size).toBe(USERS);
      expect([...bySubject].filter(([, levels]) => levels.join() !== 'LOW,MEDIUM,HIGH')).toEqual([]);
      // Both instances delivered: one shared queue, not one busy instance and one idle.
      const [byA, byB] = await Promise.all([pair.deliveredBy(a), pair.deliveredBy(b)]);
      expect(byA + byB).toBe(expected);
      expect(byA).toBeGreaterThan(0);
      expect(byB).toBeGreaterThan(0);
    } finally {
      await pair.cleanup();
      await rx.close();
    }
  }, 180_000);

  it('one instance SIGKILLed while delivering: the other delivers its leased SETs after the lease expires, same jti', async () => {
    const LEASE_MS = 3000;
    // A slow receiver, so the killed instance has SETs in flight (and more leased) when it dies.
    const rx = await startReceiver(() => 300);
    const pair = await startPair(rx.url, { RISKWIRE_PUSH_CONCURRENCY: '4', RISKWIRE_PUSH_LEASE_MS: String(LEASE_MS) });
    try {
      const [a, b] = pair.servers as [ServerProcess, ServerProcess];
      await pair.setStatus('paused');
      const USERS = 60;
      const signals = Array.from({ length: USERS }, (_, u) => ({ id: `kill-${u}`, behavior: 'imp_travel', user: { email: `victim${u}@example.com` } }));
      await Promise.all([pair.post(a, signals.slice(0, USERS / 2)), pair.post(b, signals.slice(USERS / 2))]);
      await until(async () => (await pair.deliveries(b, 'pending')).length >= USERS, 60_000);
      await pair.setStatus('enabled');
      // Kill A once both are delivering.
      await until(() => rx.arrivals.length >= 8, 30_000);
      a.child.kill('SIGKILL');
      await a.exited;
      const killedAt = Date.now();
      await until(async () => distinct(rx.arrivals).size >= USERS && (await pair.deliveries(b, 'delivered')).length >= USERS, 60_000);

      // Every SET was delivered at least once, and nothing but the queued SETs arrived: a resend
      // is the same SET (same jti), never a new one.
      const stored = new Set((await pair.deliveries(b, 'delivered')).map((d) => d.jti));
      expect(stored.size).toBe(USERS);
      expect(distinct(rx.arrivals)).toEqual(stored);
      expect(await pair.deliveries(b, 'pending')).toEqual([]);
      expect(await pair.deliveries(b, 'dead')).toEqual([]);
      // A had attempts in flight when it died (the receiver saw the connection drop). Each of
      // those SETs arrived again — from B, A is gone — and not before A's lease ran out.
      const inFlight = rx.arrivals.filter((x) => x.aborted);
      expect(inFlight.length).toBeGreaterThan(0);
      for (const first of inFlight) {
        const resent = rx.arrivals.find((x) => x.jti === first.jti && x !== first);
        expect(resent).toBeDefined();
        expect(resent!.at).toBeGreaterThan(killedAt);
        // The lease began before the first arrival; allow for the time between claim and POST.
        expect(resent!.at - first.at).toBeGreaterThan(LEASE_MS - 1000);
      }
      // A SET arrives twice only if A may have sent it before it died.
      const firstSeen = new Map<string, number>();
      for (const x of rx.arrivals) if (!firstSeen.has(x.jti)) firstSeen.set(x.jti, x.at);
      for (const x of repeats(rx.arrivals)) expect(firstSeen.get(x.jti)!).toBeLessThanOrEqual(killedAt);
    } finally {
      await pair.cleanup();
      await rx.close();
    }
  }, 180_000);
});
