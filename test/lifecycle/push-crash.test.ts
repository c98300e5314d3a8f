import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { call } from '../helpers/test-app.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { requireBuild, spawnServer } from '../helpers/processes.js';

beforeAll(() => requireBuild());

/**
 * Push delivery survives kill -9: SETs in flight or queued when the process dies are delivered
 * after a restart, at least once, a resent SET with the same jti.
 */
describe('push delivery across a crash', () => {
  it('kill -9 with SETs in flight, restart: every SET arrives, resent ones keep their jti', async () => {
    const received: string[] = [];
    // A slow receiver, so SETs are in flight when the process is killed.
    const rx = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => setTimeout(() => {
        received.push(JSON.parse(Buffer.from(body.split('.')[1]!, 'base64url').toString('utf8')).jti as string);
        res.writeHead(202).end();
      }, 150));
    });
    const { url: rxUrl, close: closeRx } = await listenOnLoopback(rx);
    const { dir, cleanup } = tempDir();
    const token = `boot-${randomBytes(20).toString('hex')}`;
    const env = {
      DATA_DIR: dir, RISKWIRE_MASTER_KEY: randomBytes(32).toString('hex'), RISKWIRE_BOOTSTRAP_ACCOUNT: 'acme', RISKWIRE_BOOTSTRAP_TOKEN: token,
      RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', RISKWIRE_PUSH_TIMEOUT_MS: '1000', RISKWIRE_PUSH_BACKOFF_BASE_MS: '50', RISKWIRE_PUSH_CONCURRENCY: '4',
    };
    let server = await spawnServer(env);
    try {
      const api = (p: string) => `${server.url}/client/v4/accounts/acme${p}`;
      const created = await call(api('/ssf/receivers'), { method: 'POST', token, json: { name: 'crash' } });
      const { client_id, client_secret } = created.body.result;
      const tok = await fetch(`${server.url}/ssf/acme/oauth/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${client_id}&client_secret=${encodeURIComponent(client_secret)}`,
      });
      const access = ((await tok.json()) as { access_token: string }).access_token;
      const stream = await call(`${server.url}/ssf/acme/streams`, {
        method: 'POST', token: access,
        json: { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rxUrl }, events_requested: ['https://schemas.openid.net/secevent/caep/event-type/risk-level-change'] },
      });
      expect(stream.status).toBe(201);
      await call(api('/zt_risk_scoring/behaviors'), { method: 'PUT', token, json: { behaviors: { imp_travel: { enabled: true, risk_level: 'high' } } } });
      const N = 30;
      const signals = Array.from({ length: N }, (_, i) => ({ id: `crash-${i}`, behavior: 'imp_travel', user: { email: `user${i}@example.com` } }));
      expect((await call(api('/zt_risk_scoring/signals'), { method: 'POST', token, json: { signals } })).body.result.accepted).toBe(N);
      // Let a few arrive, then kill the process in the middle of the rest.
      const until = Date.now() + 10_000;
      while (received.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      server.child.kill('SIGKILL');
      await server.exited;
      const beforeRestart = received.length;
      expect(beforeRestart).toBeLessThan(N);

      server = await spawnServer(env);
      const deadline = Date.now() + 30_000;
      const delivered = async () => (await call(`${server.url}/client/v4/accounts/acme/ssf/streams/${stream.body.stream_id}/deliveries?state=delivered&limit=1000`, { token })).body.result as Array<{ jti: string }>;
      while ((await delivered()).length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const done = await delivered();
      expect(done).toHaveLength(N);
      // Every delivered SET reached the receiver; any SET it saw twice is the same jti, not a new SET.
      const seen = new Set(received);
      for (const d of done) expect(seen.has(d.jti)).toBe(true);
      expect(seen.size).toBe(N);
      expect((await call(`${server.url}/client/v4/accounts/acme/ssf/streams/${stream.body.stream_id}/deliveries?state=dead`, { token })).body.result).toEqual([]);
    } finally {
      server.child.kill('SIGKILL');
      await closeRx();
      cleanup();
    }
  });
});
