import { call, startTestApp, type TestApp } from '../helpers/test-app.js';

describe('Bearer authentication and tenant isolation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.accounts.create({ id: 'globex' }, 'test');
  });
  afterAll(() => t.close());

  const account = (id = 'acme') => `${t.url}/client/v4/accounts/${id}`;

  it('no token → 401 with a Bearer challenge and the Cloudflare envelope', async () => {
    const r = await call(account());
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="riskwire"$/);
    expect(r.body).toEqual({ success: false, errors: [{ code: 10000, message: 'missing bearer token' }], messages: [], result: null });
  });

  it('an unknown token → 401 with error="invalid_token"', async () => {
    const r = await call(account(), { token: 'rw_not-a-real-token-at-all-000000000000000000' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('a non-Bearer Authorization scheme → 401', async () => {
    const r = await call(account(), { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(r.status).toBe(401);
  });

  it('a token in the query string is refused (RFC 6750 §2.3) even when valid', async () => {
    const r = await call(`${account()}?access_token=${encodeURIComponent(t.token)}`);
    expect(r.status).toBe(400);
    expect(r.body.success).toBe(false);
  });

  it('the bootstrap token reads its own account', async () => {
    const r = await call(account(), { token: t.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, errors: [], messages: [], result: { id: 'acme', name: 'acme' } });
    expect(r.body.result.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('another account’s id → 404, exactly like a missing one', async () => {
    const existing = await call(account('globex'), { token: t.token });
    const missing = await call(account('nobody-here'), { token: t.token });
    expect(existing.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(existing.body.errors[0].code).toBe(missing.body.errors[0].code);
  });

  it('a malformed account id → 400 naming the field', async () => {
    const r = await call(account('Not_Valid!'), { token: t.token });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/account_id/);
  });

  it('insufficient scope → 403 with error="insufficient_scope"; any valid token reads its account', async () => {
    const { token } = await t.app.tokens.create({ accountId: 'acme', name: 'reader', scopes: ['risk:read'] }, 'test');
    const r = await call(`${account()}/tokens`, { token });
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(r.body.errors[0].code).toBe(10001);
    expect((await call(account(), { token })).status).toBe(200);
  });

  it('a token of another account cannot reach this one (404), scope notwithstanding', async () => {
    const { token } = await t.app.tokens.create({ accountId: 'globex', name: 'g-admin', scopes: ['admin'] }, 'test');
    expect((await call(`${account('acme')}/tokens`, { token })).status).toBe(404);
    expect((await call(account('globex'), { token })).status).toBe(200);
  });
});
