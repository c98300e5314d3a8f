import { call, startTestApp, type TestApp } from '../helpers/test-app.js';

describe('API tokens over HTTP', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp();
    base = `${t.url}/client/v4/accounts/acme/tokens`;
  });
  afterAll(() => t.close());

  it('creates a token, shows its value once, and the value works', async () => {
    const created = await call(base, { method: 'POST', token: t.token, json: { name: 'siem', scopes: ['risk:read', 'pii:read'] } });
    expect(created.status).toBe(201);
    const result = created.body.result;
    expect(result).toMatchObject({ name: 'siem', scopes: ['risk:read', 'pii:read'], status: 'active', revoked_at: null });
    expect(result.value).toMatch(/^rw_[A-Za-z0-9_-]{43}$/);
    expect((await call(`${t.url}/client/v4/accounts/acme`, { token: result.value })).status).toBe(200);

    const list = await call(base, { token: t.token });
    expect(list.status).toBe(200);
    const listed = list.body.result.find((x: { id: string }) => x.id === result.id);
    expect(listed).toMatchObject({ name: 'siem', status: 'active' });
    expect(listed.last_used_at).not.toBeNull();
    // Neither the value nor its hash is ever listed.
    expect(list.text).not.toContain(result.value);
    expect(Object.keys(listed).sort()).toEqual(['created_at', 'id', 'last_used_at', 'name', 'revoked_at', 'scopes', 'status']);
  });

  it('revokes a token: it stops working at once and lists as revoked', async () => {
    const { body } = await call(base, { method: 'POST', token: t.token, json: { name: 'temp', scopes: ['admin'] } });
    const { id, value } = body.result;
    const revoked = await call(`${base}/${id}`, { method: 'DELETE', token: t.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.result).toMatchObject({ id, status: 'revoked' });
    expect((await call(`${t.url}/client/v4/accounts/acme`, { token: value })).status).toBe(401);
    const again = await call(`${base}/${id}`, { method: 'DELETE', token: t.token });
    expect(again.status).toBe(200);
  });

  it('records creation and revocation in the audit log, without the token value', async () => {
    const { body } = await call(base, { method: 'POST', token: t.token, json: { name: 'audited', scopes: ['risk:write'] } });
    await call(`${base}/${body.result.id}`, { method: 'DELETE', token: t.token });
    const entries = await t.app.storage.auditLog.list('acme');
    const mine = entries.filter((e) => e.target === body.result.id).map((e) => e.action);
    expect(mine).toEqual(['token.revoked', 'token.created']);
    expect(JSON.stringify(entries)).not.toContain(body.result.value);
    expect(entries.find((e) => e.target === body.result.id)?.actor).toBe('token:bootstrap-acme');
  });

  it('revoking an unknown token, or another account’s, is 404', async () => {
    await t.app.accounts.create({ id: 'initech' }, 'test');
    const { record } = await t.app.tokens.create({ accountId: 'initech', name: 'theirs', scopes: ['admin'] }, 'test');
    expect((await call(`${base}/${record.id}`, { method: 'DELETE', token: t.token })).status).toBe(404);
    expect((await call(`${base}/0123456789abcdef`, { method: 'DELETE', token: t.token })).status).toBe(404);
    expect((await t.app.storage.apiTokens.getById(record.id))?.revokedAt).toBeNull();
  });

  it.each([
    [{ name: 'x', scopes: ['root'] }, '/body/scopes/0'],
    [{ name: 'x', scopes: [] }, '/body/scopes'],
    [{ scopes: ['admin'] }, '/body/name'],
    [{ name: '   ', scopes: ['admin'] }, '/body/name'],
    [{ name: 'x', scopes: 'admin' }, '/body/scopes'],
    [{ name: 'x', scopes: ['admin'], extra: true }, '/body'],
    [[1, 2], '/body'],
  ])('rejects the body %j with 400 pointing at %s', async (json, pointer) => {
    const r = await call(base, { method: 'POST', token: t.token, json });
    expect(r.status).toBe(400);
    expect(r.body.success).toBe(false);
    expect(r.body.errors.map((e: { source?: { pointer: string } }) => e.source?.pointer)).toContain(pointer);
  });
});
