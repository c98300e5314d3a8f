import { call, startTestApp, type TestApp } from '../helpers/test-app.js';

describe('HTTP error mapping', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RISKWIRE_BODY_LIMIT: '2kb' });
  });
  afterAll(() => t.close());

  const tokens = () => `${t.url}/client/v4/accounts/acme/tokens`;
  const noStack = (text: string) => expect(text).not.toMatch(/at .+\.(js|ts):\d+|Error:|node_modules/);

  it('malformed JSON → 400 envelope', async () => {
    const r = await call(tokens(), { method: 'POST', token: t.token, body: '{"name": "x", ', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ success: false, errors: [{ code: 1400, message: 'request body is not valid JSON' }], messages: [], result: null });
    noStack(r.text);
  });

  it('an oversized body → 413 envelope, and nothing is stored', async () => {
    const before = (await t.app.tokens.list('acme')).length;
    const r = await call(tokens(), { method: 'POST', token: t.token, json: { name: 'x'.repeat(4096), scopes: ['admin'] } });
    expect(r.status).toBe(413);
    expect(r.body.success).toBe(false);
    expect((await t.app.tokens.list('acme')).length).toBe(before);
  });

  it('an unsupported charset → 415', async () => {
    const r = await call(tokens(), { method: 'POST', token: t.token, body: '{}', headers: { 'content-type': 'application/json; charset=ebcdic' } });
    expect(r.status).toBe(415);
  });

  it('a non-JSON content type is treated as an empty body → 400 naming the missing fields', async () => {
    const r = await call(tokens(), { method: 'POST', token: t.token, body: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { source: { pointer: string } }) => e.source.pointer)).toEqual(['/body/name', '/body/scopes']);
  });

  it('unknown route under /client/v4 → 404 envelope with code 7003', async () => {
    const r = await call(`${t.url}/client/v4/nothing/here`, { token: t.token });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ success: false, result: null, errors: [{ code: 7003 }] });
  });

  it('unknown route elsewhere → 404 JSON', async () => {
    const r = await call(`${t.url}/nothing`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: 'no_route', error_description: 'no route for GET /nothing' });
  });

  it('wrong method on a known route → 405 with Allow', async () => {
    const r = await call(`${t.url}/client/v4/accounts/acme`, { method: 'DELETE', token: t.token });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD');
    expect(r.body.errors[0].code).toBe(7001);
    const tokensRoute = await call(tokens(), { method: 'PUT', token: t.token });
    expect(tokensRoute.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('a broken %-escape in the path → 400, not 500', async () => {
    const r = await call(`${t.url}/client/v4/accounts/%E0%A4%A/tokens`, { token: t.token });
    expect(r.status).toBe(400);
    noStack(r.text);
  });

  it('every response carries a request id; a sane caller id is echoed, an unsafe one replaced', async () => {
    const generated = await call(`${t.url}/healthz`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await call(`${t.url}/healthz`, { headers: { 'x-request-id': 'trace-123.abc' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-123.abc');
    const unsafe = await call(`${t.url}/healthz`, { headers: { 'x-request-id': 'a b"<script>' } });
    expect(unsafe.headers.get('x-request-id')).not.toContain('script');
  });
});
