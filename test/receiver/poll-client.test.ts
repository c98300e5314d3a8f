import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '../helpers/eventually.js';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { handBuiltTransmitter } from './transmitter.js';
import { testStores } from '../helpers/stores.js';

const SSF = 'https://schemas.openid.net/secevent/ssf/event-type/';
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const POLL = 'urn:ietf:rfc:8936';

/**
 * The RFC 8936 poll client against hand-built transmitters on loopback (their own HTTP servers,
 * keys and SET signing): what it acknowledges, what it reports in setErrs, and how one failing
 * transmitter is backed off without holding up the others.
 */
describe.each(testStores())('SSF receiver, poll client (RFC 8936) ($name)', (store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...store.env(), RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', PUBLIC_URL: 'https://riskwire.test' });
    await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { session_revoked_upstream: { enabled: true, risk_level: 'medium' } } } });
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  /** A transmitter with its management API and poll endpoint on one loopback server; `answer` decides each poll. */
  async function pollTransmitter(answer: (n: number, tx: Awaited<ReturnType<typeof handBuiltTransmitter>>) => { status: number; body?: unknown }) {
    const polls: Array<{ body: Record<string, unknown>; contentLanguage: string | undefined; authorization: string | undefined }> = [];
    let base = '';
    const server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const json = (status: number, body?: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
        if (req.url === '/.well-known/ssf-configuration/tx') return json(200, { issuer: tx.issuer, jwks_uri: tx.jwksUri, configuration_endpoint: `${base}/streams`, delivery_methods_supported: [POLL] });
        if (req.url === '/streams' && req.method === 'POST') {
          const asked = JSON.parse(raw) as { delivery: { method: string } };
          return json(201, { stream_id: 'poll-stream', iss: tx.issuer, aud: 'https://riskwire.test/poll', delivery: { method: asked.delivery.method, endpoint_url: `${base}/poll?stream=poll-stream` }, events_delivered: [`${CAEP}session-revoked`] });
        }
        if (req.url === '/poll?stream=poll-stream' && req.method === 'POST') {
          polls.push({ body: JSON.parse(raw) as Record<string, unknown>, contentLanguage: req.headers['content-language'], authorization: req.headers.authorization });
          const a = answer(polls.length, tx);
          return json(a.status, a.body);
        }
        json(404, {});
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const tx = await handBuiltTransmitter(`${base}/tx`);
    const r = await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters`, {
      method: 'POST', token: t.token, json: { mode: 'managed', issuer: tx.issuer, delivery: 'poll', auth: { access_token: 'tx-token' } },
    });
    expect(r.status).toBe(201);
    return {
      tx, polls, subscription: r.body.result as { id: string },
      close: async () => {
        await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters/${r.body.result.id}`, { method: 'DELETE', token: t.token });
        await tx.close();
        await new Promise<void>((res) => server.close(() => res()));
      },
    };
  }

  const revoked = (email: string, aud = 'https://riskwire.test/poll') => ({
    aud, sub_id: { format: 'email', email }, events: { [`${CAEP}session-revoked`]: { event_timestamp: Math.floor(Date.now() / 1000) } },
  });

  it('acknowledges the SETs it stored and reports an invalid one in setErrs, with Content-Language, in the next request', async () => {
    let jtis: { good: string; bad: string } | undefined;
    const p = await pollTransmitter((n, tx) => {
      if (n > 1) return { status: 200, body: { sets: {} } };
      const good = tx.set(revoked('polled@example.com'));
      const bad = tx.set(revoked('misaddressed@example.com', 'https://someone-else.example'));
      const jtiOf = (jws: string) => (JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
      jtis = { good: jtiOf(good), bad: jtiOf(bad) };
      return { status: 200, body: { sets: { [jtis.good]: good, [jtis.bad]: bad } } };
    });
    try {
      await eventually(() => p.polls.length >= 2, 10_000);
      expect(p.polls[0]).toMatchObject({ body: { returnImmediately: true }, authorization: 'Bearer tx-token', contentLanguage: undefined });
      expect(p.polls[1]!.body.ack).toEqual([jtis!.good]);
      expect(p.polls[1]!.body.setErrs).toEqual({ [jtis!.bad]: { err: 'invalid_audience', description: expect.any(String) } });
      expect(p.polls[1]!.contentLanguage).toBe('en');
      // The stored one was scored; the refused one was not stored.
      await eventually(async () => (await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'polled@example.com' })) !== null);
      expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'misaddressed@example.com' })).toBeNull();
      const sets = (await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters/${p.subscription.id}/sets`, { token: t.token })).body.result as Array<{ jti: string }>;
      expect(sets.map((s) => s.jti)).toEqual([jtis!.good]);
    } finally {
      await p.close();
    }
  });

  it('a failing transmitter is backed off and its error reported, while another is still polled', async () => {
    const failing = await pollTransmitter(() => ({ status: 503, body: { error: 'maintenance' } }));
    const healthy = await pollTransmitter(() => ({ status: 200, body: { sets: {} } }));
    try {
      await eventually(() => healthy.polls.length >= 4, 10_000);
      // Back-off doubles from 2 s: in the time the healthy one was polled 4 times (once a
      // second), the failing one was asked at most twice.
      expect(failing.polls.length).toBeGreaterThanOrEqual(1);
      expect(failing.polls.length).toBeLessThanOrEqual(2);
      const reported = (await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters/${failing.subscription.id}`, { token: t.token })).body.result;
      expect(reported.last_error).toBe('poll answered HTTP 503');
    } finally {
      await failing.close();
      await healthy.close();
    }
  });
});
