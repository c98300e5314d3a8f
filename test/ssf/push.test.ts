import http from 'node:http';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import {
  EV, call, checkSet, createReceiver, createStream, enableBehaviors, fetchJwks, signal, ssfUrl, startSsfApp, type TestApp, type TestReceiver,
} from './helpers.js';
import { testStores } from '../helpers/stores.js';

/** A push receiver on loopback that records every request and answers as `respond` says. */
async function receiver(respond: (n: number, req: http.IncomingMessage) => { status: number; body?: string; headers?: Record<string, string> } | 'hang') {
  const got: Array<{ headers: http.IncomingHttpHeaders; body: string; at: number }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body, at: Date.now() });
      const r = respond(got.length, req);
      if (r === 'hang') return; // never answers
      res.writeHead(r.status, { 'content-type': 'application/json', ...(r.headers ?? {}) });
      res.end(r.body ?? '');
    });
  });
  const { url, close } = await listenOnLoopback(server);
  return { url, got, close };
}

const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};
const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, any>;

describe.each(testStores())('push delivery (RFC 8935) ($name)', (store) => {
  let t: TestApp;
  let r: TestReceiver;
  beforeAll(async () => {
    t = await startSsfApp({
      ...store.env(),
      RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', RISKWIRE_PUSH_BACKOFF_BASE_MS: '20', RISKWIRE_PUSH_BACKOFF_MAX_MS: '200',
      RISKWIRE_PUSH_TIMEOUT_MS: '400', RISKWIRE_PUSH_MAX_ATTEMPTS: '5',
    });
    r = await createReceiver(t, { name: 'push', audience: 'https://receiver.example/push' });
    await enableBehaviors(t);
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  const pushStream = (url: string, auth?: string) =>
    createStream(t, r.token, { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: url, ...(auth ? { authorization_header: auth } : {}) }, events_requested: [EV.riskLevelChange] });
  const deliveries = (streamId: string, state: string) =>
    call(`${t.url}/client/v4/accounts/acme/ssf/streams/${streamId}/deliveries?state=${state}`, { token: t.token });

  it('POSTs each SET with the RFC 8935 headers and exactly the configured Authorization; 202 ⇒ delivered', async () => {
    const rx = await receiver(() => ({ status: 202 }));
    try {
      const s = await pushStream(rx.url, 'Bearer push_token_123');
      await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, json: { stream_id: s.stream_id, state: 'abc' } });
      await waitFor(() => rx.got.length === 1);
      const req = rx.got[0]!;
      expect(req.headers['content-type']).toBe('application/secevent+jwt');
      expect(req.headers.accept).toBe('application/json');
      expect(req.headers.authorization).toBe('Bearer push_token_123');
      const set = checkSet(req.body, { jwks: await fetchJwks(t), aud: s.aud });
      expect(set.claims.events[EV.verification]).toEqual({ state: 'abc' });
      await waitFor(async () => (await deliveries(s.stream_id, 'delivered')).body.result.length === 1);
    } finally {
      await rx.close();
    }
  });

  it('sends no Authorization header when none is configured (conformance: push-no-auth)', async () => {
    const rx = await receiver(() => ({ status: 202 }));
    try {
      const s = await pushStream(rx.url);
      await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, json: { stream_id: s.stream_id } });
      await waitFor(() => rx.got.length === 1);
      expect(rx.got[0]!.headers.authorization).toBeUndefined();
    } finally {
      await rx.close();
    }
  });

  it('a receiver answering 503 for a while: every SET arrives once accepted, in per-subject order, nothing dead-lettered, same jti on retries', async () => {
    let failing = true;
    const rx = await receiver(() => (failing ? { status: 503, headers: { 'retry-after': '0' } } : { status: 202 }));
    try {
      const s = await pushStream(rx.url);
      const email = `order-${Date.now()}@example.com`;
      await signal(t, 'high_dlp', { email }); // unscored → medium
      await signal(t, 'imp_travel', { email }); // medium → high
      await waitFor(() => rx.got.length >= 4);
      failing = false;
      await waitFor(async () => (await deliveries(s.stream_id, 'delivered')).body.result.length === 2);
      const accepted = rx.got.filter((_, i) => i >= rx.got.length - 2).map((g) => claimsOf(g.body));
      const levels = accepted.map((c) => c.events[EV.riskLevelChange].current_level);
      expect(levels).toEqual(['MEDIUM', 'HIGH']);
      // Every attempt at the first SET carried the same jti; the second was not sent before the first was accepted.
      const firstJti = accepted[0]!.jti;
      const secondJti = accepted[1]!.jti;
      const firstAccepted = rx.got.findIndex((g, i) => i >= rx.got.length - 2 && claimsOf(g.body).jti === firstJti);
      expect(rx.got.slice(0, firstAccepted).every((g) => claimsOf(g.body).jti === firstJti)).toBe(true);
      expect(rx.got.filter((g) => claimsOf(g.body).jti === secondJti)).toHaveLength(1);
      expect((await deliveries(s.stream_id, 'dead')).body.result).toEqual([]);
    } finally {
      await rx.close();
    }
  });

  it('400 invalid_key is recorded as failed and not retried; other 4xx are retried until dead-lettered, then redriven', async () => {
    const invalid = await receiver(() => ({ status: 400, body: JSON.stringify({ err: 'invalid_key', description: 'unknown kid' }) }));
    let accept = false;
    const flaky = await receiver(() => (accept ? { status: 202 } : { status: 401 }));
    try {
      const a = await pushStream(invalid.url);
      const b = await pushStream(flaky.url);
      await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, json: { stream_id: a.stream_id } });
      await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, json: { stream_id: b.stream_id } });
      await waitFor(async () => (await deliveries(a.stream_id, 'failed')).body.result.length === 1);
      expect((await deliveries(a.stream_id, 'failed')).body.result[0].last_error).toMatch(/invalid_key: unknown kid/);
      await new Promise((res) => setTimeout(res, 300));
      expect(invalid.got).toHaveLength(1);
      await waitFor(async () => (await deliveries(b.stream_id, 'dead')).body.result.length === 1);
      expect(flaky.got).toHaveLength(5); // RISKWIRE_PUSH_MAX_ATTEMPTS
      expect((await deliveries(b.stream_id, 'dead')).body.result[0]).toMatchObject({ attempts: 5, last_error: expect.stringMatching(/gave up after 5 attempts: HTTP 401/) });
      accept = true;
      const redrive = await call(`${t.url}/client/v4/accounts/acme/ssf/streams/${b.stream_id}/deliveries/redrive`, { method: 'POST', token: t.token, json: {} });
      expect(redrive.body.result).toEqual({ redriven: 1 });
      await waitFor(async () => (await deliveries(b.stream_id, 'delivered')).body.result.length === 1);
      expect(new Set(flaky.got.map((g) => claimsOf(g.body).jti)).size).toBe(1);
    } finally {
      await invalid.close();
      await flaky.close();
    }
  });

  it('a receiver that never answers: each attempt is bounded by the timeout, and other streams keep flowing', async () => {
    const hung = await receiver(() => 'hang');
    const fine = await receiver(() => ({ status: 202 }));
    try {
      const a = await pushStream(hung.url);
      const b = await pushStream(fine.url);
      await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, json: { stream_id: a.stream_id } });
      await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, json: { stream_id: b.stream_id } });
      await waitFor(() => fine.got.length === 1, 2000);
      await waitFor(() => hung.got.length >= 2, 3000); // the first attempt timed out (400 ms) and was retried
      const pending = (await deliveries(a.stream_id, 'pending')).body.result[0];
      expect(pending.last_error).toMatch(/timed out after 400 ms/);
    } finally {
      await hung.close();
      await fine.close();
    }
  });

  it('a paused push stream holds its SETs and sends them in order when enabled', async () => {
    const rx = await receiver(() => ({ status: 202 }));
    try {
      const s = await pushStream(rx.url);
      await call(ssfUrl(t, '/streams/status'), { method: 'POST', token: r.token, json: { stream_id: s.stream_id, status: 'paused' } });
      const email = `held-${Date.now()}@example.com`;
      await signal(t, 'high_dlp', { email });
      await signal(t, 'imp_travel', { email });
      await new Promise((res) => setTimeout(res, 500));
      expect(rx.got).toHaveLength(0);
      await call(ssfUrl(t, '/streams/status'), { method: 'POST', token: r.token, json: { stream_id: s.stream_id, status: 'enabled' } });
      await waitFor(() => rx.got.length === 2);
      expect(rx.got.map((g) => claimsOf(g.body).events[EV.riskLevelChange].current_level)).toEqual(['MEDIUM', 'HIGH']);
    } finally {
      await rx.close();
    }
  });
});

describe('push delivery is SSRF-safe', () => {
  it('without RISKWIRE_ALLOW_PRIVATE_NETWORK a push endpoint on loopback is refused at create time', async () => {
    const t = await startSsfApp();
    try {
      const r = await createReceiver(t, { name: 'ssrf' });
      for (const url of ['http://127.0.0.1:9/events', 'https://127.0.0.1/events', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://10.0.0.8/x']) {
        const res = await call(ssfUrl(t, '/streams'), { method: 'POST', token: r.token, json: { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: url } } });
        expect(res.status).toBe(400);
      }
    } finally {
      await t.close();
    }
  });
});

describe('push delivery checks the address again when it connects', () => {
  it('a stream whose endpoint now points at loopback (stored directly, as DNS rebinding would leave it) gets nothing pushed', async () => {
    const t = await startSsfApp();
    const rx = await receiver(() => ({ status: 202 }));
    try {
      const r = await createReceiver(t, { name: 'rebind' });
      const created = await createStream(t, r.token);
      const stored = (await t.app.storage.streams.get('acme', created.stream_id))!;
      await t.app.storage.streams.update({ ...stored, delivery: { method: 'urn:ietf:rfc:8935', endpointUrl: rx.url.replace('http:', 'https:'), authorizationHeaderSealed: null } });
      await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, json: { stream_id: created.stream_id } });
      await waitFor(async () => (await t.app.storage.outbox.listByState('acme', created.stream_id, 'failed', 10)).length === 1);
      const [failed] = await t.app.storage.outbox.listByState('acme', created.stream_id, 'failed', 10);
      expect(failed!.lastError).toMatch(/non-public address 127\.0\.0\.1/);
      expect(rx.got).toHaveLength(0);
    } finally {
      await rx.close();
      await t.close();
    }
  });
});
