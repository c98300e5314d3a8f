import net from 'node:net';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The hot path (src/http/hot-path) serves signals, vendor webhooks and SET push on bare
 * node:http. These tests hold it to what the express stack does for every other route.
 */
describe('hot path: the intake endpoints behave like every other route', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp({ RISKWIRE_BODY_LIMIT: '4kb' });
    base = `${t.url}/client/v4/accounts/acme/zt_risk_scoring`;
    await call(`${base}/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { imp_travel: { enabled: true, risk_level: 'high' } } } });
  });
  afterAll(() => t.close());

  const one = (email: string) => JSON.stringify({ signals: [{ behavior: 'imp_travel', user: { email } }] });
  const post = (url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, token = t.token) =>
    call(url, { method: 'POST', token, body, headers });
  const userOf = (email: string) => t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: email });

  it('serves the path as express would spell it: any case, optional trailing slash', async () => {
    const r = await post(`${t.url}/Client/V4/accounts/acme/ZT_risk_scoring/signals/`, one('case@example.com'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.body).toMatchObject({ success: true, errors: [], messages: [], result: { accepted: 1, duplicates: 0, ignored: 0 } });
    expect(await userOf('case@example.com')).toEqual(r.body.result.items[0].user_id);
  });

  it('echoes a sane X-Request-Id and makes one otherwise', async () => {
    const echoed = await call(`${base}/signals`, { method: 'POST', token: t.token, body: one('rid@example.com'), headers: { 'content-type': 'application/json', 'x-request-id': 'trace-42' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-42');
    const made = await call(`${base}/signals`, { method: 'POST', token: t.token, body: one('rid@example.com'), headers: { 'content-type': 'application/json', 'x-request-id': 'no spaces "allowed"' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('authentication, tenancy and scope come first, with the Cloudflare envelope', async () => {
    expect((await post(`${base}/signals`, one('a@example.com'), undefined, '')).status).toBe(401);
    const other = await post(`${t.url}/client/v4/accounts/globex/zt_risk_scoring/signals`, one('a@example.com'));
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ success: false, result: null });
    const query = await call(`${base}/signals?access_token=${t.token}`, { method: 'POST', body: one('a@example.com'), headers: { 'content-type': 'application/json' } });
    expect(query.status).toBe(400);
    expect(query.headers.get('www-authenticate')).toContain('invalid_request');
    const escape = await post(`${t.url}/client/v4/accounts/ac%E0me/zt_risk_scoring/signals`, one('a@example.com'));
    expect(escape.status).toBe(400);
    expect(escape.body.errors[0].message).toContain('%-escape');
    expect(await userOf('a@example.com')).toBeNull();
  });

  it('bad bodies: broken JSON 400, non-JSON type 400 naming the field, charset 415, compressed 415, oversized 413', async () => {
    const broken = await post(`${base}/signals`, '{"signals": [');
    expect(broken.status).toBe(400);
    expect(broken.body.errors).toEqual([{ code: 1400, message: 'request body is not valid JSON' }]);
    expect(broken.headers.get('cache-control')).toBe('no-store');
    const text = await post(`${base}/signals`, one('t@example.com'), { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    expect(text.body.errors[0].source).toEqual({ pointer: '/body/signals' });
    expect((await post(`${base}/signals`, one('t@example.com'), { 'content-type': 'application/json; charset=latin1' })).status).toBe(415);
    const gz = await post(`${base}/signals`, one('t@example.com'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(gz.status).toBe(415);
    expect(gz.body.errors[0].message).toContain('gzip');
    const big = JSON.stringify({ signals: [{ behavior: 'imp_travel', user: { email: 't@example.com' }, details: { pad: 'x'.repeat(5000) } }] });
    const large = await post(`${base}/signals`, big);
    expect(large.status).toBe(413);
    expect(large.body.success).toBe(false);
    expect(await userOf('t@example.com')).toBeNull();
  });

  it('an oversized body sent without Content-Length (chunked) is cut off at the limit with 413', async () => {
    const chunks = [Buffer.from('{"signals": [{"behavior": "imp_travel", "user": {"email": "chunk@example.com"}, "details": {"pad": "'), Buffer.alloc(6000, 'x'), Buffer.from('"}}]}')];
    const res = await fetch(`${base}/signals`, {
      method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: new ReadableStream({ start(c) { for (const b of chunks) c.enqueue(b); c.close(); } }), duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await userOf('chunk@example.com')).toBeNull();
  });

  it('a client that disconnects midway does not disturb the next request', async () => {
    const { port } = new URL(t.url);
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(Number(port), '127.0.0.1', () => {
        s.write(`POST /client/v4/accounts/acme/zt_risk_scoring/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"signals": [`);
        setTimeout(() => { s.destroy(); resolve(); }, 50);
      });
      s.on('error', reject);
    });
    const r = await post(`${base}/signals`, one('after@example.com'));
    expect(r.status).toBe(200);
  });

  it('other methods on hot paths get 405 with an Allow that includes POST', async () => {
    const get = await call(`${base}/signals`, { token: t.token });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const push = await call(`${t.url}/ssf-receiver/acme/0123456789abcdef`, { method: 'PUT' });
    expect(push.status).toBe(405);
    expect(push.headers.get('allow')).toBe('POST');
    const hook = await call(`${t.url}/sources/acme/0123456789abcdef01234567`, { method: 'DELETE' });
    expect(hook.status).toBe(405);
    expect(hook.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('requests are counted in the metrics under their route pattern', async () => {
    await post(`${base}/signals`, one('m@example.com'));
    const metrics = await call(`${t.url}/metrics`, { token: t.token });
    expect(metrics.text).toMatch(/riskwire_http_requests_total\{method="POST",route="\/client\/v4\/accounts\/:account_id\/zt_risk_scoring\/signals",status="200"\} [1-9]/);
    expect(metrics.text).toMatch(/riskwire_http_requests_total\{method="POST",route="\/client\/v4\/accounts\/:account_id\/zt_risk_scoring\/signals",status="413"\} [1-9]/);
  });
});
