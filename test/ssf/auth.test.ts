/*
 * Authorization of the SSF endpoints (reference §2.1, §8.2, §12.1 items 2-3; CAEP interop §2.7,
 * RFC 6749, RFC 6750). CS modules: error-*-with-invalid-token, error-read-stream-without-token,
 * error-token-in-uri-query, error-create-stream-with-read-only-token,
 * error-read-stream-status-with-invalid-token, verification-error-invalid-token,
 * poll-endpoint-authorization.
 */
import {
  ACCOUNT, basicAuth, call, createReceiver, createStream, pollNow, ssfUrl, startSsfApp, staticToken, tokenRequest,
  type StreamConfig, type TestApp, type TestReceiver,
} from './helpers.js';
import { testStores } from '../helpers/stores.js';

describe.each(testStores())('SSF authorization ($name)', (store) => {
  let t: TestApp;
  let clock = new Date();
  let a: TestReceiver;
  let b: TestReceiver;
  let stream: StreamConfig;
  beforeAll(async () => {
    t = await startSsfApp({ ...store.env(), RISKWIRE_SSF_ACCESS_TOKEN_TTL_SECONDS: '60' }, { now: () => clock });
    a = await createReceiver(t, { name: 'receiver A' });
    b = await createReceiver(t, { name: 'receiver B' });
    stream = await createStream(t, a.token, { description: 'A\'s stream' });
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  /** Every authenticated SSF endpoint, with a request that would succeed for the stream's owner. */
  const endpoints = (id: string): Array<{ method: string; path: string; json?: unknown; manage: boolean }> => [
    { method: 'GET', path: '/streams', manage: false },
    { method: 'GET', path: `/streams?stream_id=${id}`, manage: false },
    { method: 'GET', path: `/streams/status?stream_id=${id}`, manage: false },
    { method: 'POST', path: `/poll/${id}`, json: { returnImmediately: true }, manage: false },
    { method: 'POST', path: '/streams', json: {}, manage: true },
    { method: 'PATCH', path: '/streams', json: { stream_id: id, description: 'changed' }, manage: true },
    { method: 'PUT', path: '/streams', json: { stream_id: id, description: 'replaced' }, manage: true },
    { method: 'POST', path: '/streams/status', json: { stream_id: id, status: 'paused' }, manage: true },
    { method: 'POST', path: '/streams/subjects/add', json: { stream_id: id, subject: { format: 'email', email: 'x@example.com' } }, manage: true },
    { method: 'POST', path: '/streams/subjects/remove', json: { stream_id: id, subject: { format: 'email', email: 'x@example.com' } }, manage: true },
    { method: 'POST', path: '/streams/verify', json: { stream_id: id, state: 'not-for-you' }, manage: true },
    { method: 'DELETE', path: `/streams?stream_id=${id}`, manage: true },
  ];
  const send = (e: { method: string; path: string; json?: unknown }, opts: { token?: string; headers?: Record<string, string> } = {}) =>
    call(ssfUrl(t, e.path), { method: e.method, ...(e.json !== undefined ? { json: e.json } : {}), ...opts });

  /** The stream is exactly as created, still enabled, and nothing was queued on it. */
  const expectUntouched = async () => {
    const r = await call(ssfUrl(t, `/streams?stream_id=${stream.stream_id}`), { token: a.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(stream);
    expect((await call(ssfUrl(t, `/streams/status?stream_id=${stream.stream_id}`), { token: a.token })).body.status).toBe('enabled');
    expect(await pollNow(t, a.token, stream)).toEqual({});
  };

  describe('token endpoint (RFC 6749 §4.4, CAEP interop §2.7)', () => {
    const expectToken = (r: Awaited<ReturnType<typeof tokenRequest>>) => {
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(r.headers.get('cache-control')).toMatch(/no-store/); // RFC 6749 §5.1
      expect(typeof r.body.access_token).toBe('string');
      expect(r.body.token_type.toLowerCase()).toBe('bearer');
      expect(Number.isInteger(r.body.expires_in)).toBe(true);
      expect(r.body.expires_in).toBeGreaterThan(0);
      expect(r.body.expires_in).toBeLessThanOrEqual(3600); // short-lived (CAEP interop §2.7)
    };

    it('issues a bearer token with client_secret_basic, and it works on the management API', async () => {
      const r = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basicAuth(a.clientId, a.clientSecret) });
      expectToken(r);
      expect((await call(ssfUrl(t, '/streams'), { token: r.body.access_token })).status).toBe(200);
    });

    it('issues a bearer token with client_secret_post', async () => {
      const r = await tokenRequest(t, { grant_type: 'client_credentials', client_id: a.clientId, client_secret: a.clientSecret, scope: 'ssf.read ssf.manage' });
      expectToken(r);
      expect(r.body.scope.split(' ').sort()).toEqual(['ssf.manage', 'ssf.read']);
      expect((await call(ssfUrl(t, '/streams'), { token: r.body.access_token })).status).toBe(200);
    });

    it('rejects a wrong secret or an unknown client with 401 invalid_client (Basic: with a Basic challenge, RFC 6749 §5.2)', async () => {
      const basic = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basicAuth(a.clientId, `${a.clientSecret}x`) });
      expect(basic.status).toBe(401);
      expect(basic.body.error).toBe('invalid_client');
      expect(basic.headers.get('www-authenticate')).toMatch(/^Basic\b/i);
      const post = await tokenRequest(t, { grant_type: 'client_credentials', client_id: a.clientId, client_secret: b.clientSecret });
      expect(post.status).toBe(401);
      expect(post.body.error).toBe('invalid_client');
      const unknown = await tokenRequest(t, { grant_type: 'client_credentials', client_id: 'rcv_nobody', client_secret: a.clientSecret });
      expect(unknown.status).toBe(401);
      expect(unknown.body.error).toBe('invalid_client');
      const none = await tokenRequest(t, { grant_type: 'client_credentials', client_id: a.clientId });
      expect(none.status).toBe(401);
      expect(none.body.error).toBe('invalid_client');
    });

    it('rejects other grant types with 400 unsupported_grant_type and a missing grant_type with 400 invalid_request', async () => {
      const auth = { authorization: basicAuth(a.clientId, a.clientSecret) };
      const password = await tokenRequest(t, { grant_type: 'password', username: 'u', password: 'p' }, auth);
      expect(password.status).toBe(400);
      expect(password.body.error).toBe('unsupported_grant_type');
      const missing = await tokenRequest(t, {}, auth);
      expect(missing.status).toBe(400);
      expect(missing.body.error).toBe('invalid_request');
    });

    it('rejects a scope beyond what the client may have, or an unknown scope, with 400 invalid_scope', async () => {
      const ro = await createReceiver(t, { name: 'read only', scopes: ['ssf.read'] });
      const beyond = await tokenRequest(t, { grant_type: 'client_credentials', scope: 'ssf.manage' }, { authorization: basicAuth(ro.clientId, ro.clientSecret) });
      expect(beyond.status).toBe(400);
      expect(beyond.body.error).toBe('invalid_scope');
      const unknown = await tokenRequest(t, { grant_type: 'client_credentials', scope: 'ssf.read admin' }, { authorization: basicAuth(a.clientId, a.clientSecret) });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toBe('invalid_scope');
    });

    it('a token of another account\'s token endpoint is not valid here', async () => {
      await t.app.accounts.ensure({ id: 'globex' }, 'test');
      const { receiver, clientSecret } = await t.app.ssf.receivers.create('globex', { name: 'globex receiver' }, 'test');
      const other = await call(`${t.url}/ssf/globex/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(receiver.clientId, clientSecret) },
        body: 'grant_type=client_credentials',
      });
      expect(other.status).toBe(200);
      expect((await call(`${t.url}/ssf/globex/streams`, { token: other.body.access_token })).status).toBe(200);
      const r = await call(ssfUrl(t, '/streams'), { token: other.body.access_token });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      // Nor do acme's credentials authenticate at globex's token endpoint.
      const cross = await call(`${t.url}/ssf/globex/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(a.clientId, a.clientSecret) },
        body: 'grant_type=client_credentials',
      });
      expect(cross.status).toBe(401);
    });
  });

  describe('bearer tokens on every endpoint (RFC 6750)', () => {
    it('no token: 401 with a Bearer WWW-Authenticate challenge and an OAuth JSON error', async () => {
      for (const e of endpoints(stream.stream_id)) {
        const r = await send(e);
        expect({ e: `${e.method} ${e.path}`, status: r.status }).toEqual({ e: `${e.method} ${e.path}`, status: 401 });
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
        expect(typeof r.body.error).toBe('string');
      }
      await expectUntouched();
    });

    it('an invalid token: 401 with error="invalid_token" in the challenge and the body', async () => {
      const bad = ['not-a-token', 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln', `${a.token.slice(0, -2)}xx`];
      for (const token of bad) {
        for (const e of endpoints(stream.stream_id)) {
          const r = await send(e, { token });
          expect({ e: `${e.method} ${e.path}`, status: r.status }).toEqual({ e: `${e.method} ${e.path}`, status: 401 });
          expect(r.headers.get('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
          expect(r.body.error).toBe('invalid_token');
        }
      }
      // Another authorization scheme is not a bearer token either.
      const basic = await call(ssfUrl(t, '/streams'), { headers: { authorization: basicAuth(a.clientId, a.clientSecret) } });
      expect(basic.status).toBe(401);
      expect(basic.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
      await expectUntouched();
    });

    it('a tampered or unsigned access token is refused (integrity, CAEP interop §2.7)', async () => {
      const ro = await createReceiver(t, { name: 'tamper', scopes: ['ssf.read'] });
      const [h, p, s] = ro.token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
      expect(claims.scope).toBe('ssf.read');
      const raised = Buffer.from(JSON.stringify({ ...claims, scope: 'ssf.read ssf.manage' })).toString('base64url');
      expect((await call(ssfUrl(t, '/streams'), { method: 'POST', token: `${h}.${raised}.${s}`, json: {} })).status).toBe(401);
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
      expect((await call(ssfUrl(t, '/streams'), { token: `${none}.${p}.` })).status).toBe(401);
      expect((await call(ssfUrl(t, '/streams'), { token: `${none}.${p}.${s}` })).status).toBe(401);
    });

    it('an expired access token: 401 invalid_token; a fresh one works', async () => {
      const r = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basicAuth(a.clientId, a.clientSecret) });
      const token = r.body.access_token as string;
      const start = clock;
      try {
        clock = new Date(start.getTime() + (r.body.expires_in - 5) * 1000);
        expect((await call(ssfUrl(t, '/streams'), { token })).status).toBe(200);
        clock = new Date(start.getTime() + (r.body.expires_in + 1) * 1000);
        const expired = await call(ssfUrl(t, '/streams'), { token });
        expect(expired.status).toBe(401);
        expect(expired.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
        const polled = await call(ssfUrl(t, `/poll/${stream.stream_id}`), { method: 'POST', token, json: { returnImmediately: true } });
        expect(polled.status).toBe(401);
        const fresh = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basicAuth(a.clientId, a.clientSecret) });
        expect((await call(ssfUrl(t, '/streams'), { token: fresh.body.access_token })).status).toBe(200);
      } finally {
        clock = start;
      }
    });

    it('the token in the query string is refused (400 or 401), and the request has no effect (RFC 6750 §2.3)', async () => {
      for (const e of endpoints(stream.stream_id)) {
        const sep = e.path.includes('?') ? '&' : '?';
        const r = await send({ ...e, path: `${e.path}${sep}access_token=${encodeURIComponent(a.token)}` });
        expect([400, 401]).toContain(r.status);
        expect(typeof r.body.error).toBe('string');
      }
      await expectUntouched();
    });

    it('the auth scheme name is case-insensitive (RFC 9110 §11.1)', async () => {
      expect((await call(ssfUrl(t, '/streams'), { headers: { authorization: `bearer ${a.token}` } })).status).toBe(200);
    });
  });

  describe('scopes (CAEP interop §2.7: ssf.read reads, ssf.manage manages)', () => {
    it('an ssf.read token reads (streams, status, poll) and gets 403 insufficient_scope on every management operation', async () => {
      const readOnly = (await tokenRequest(t, { grant_type: 'client_credentials', scope: 'ssf.read' }, { authorization: basicAuth(a.clientId, a.clientSecret) })).body.access_token as string;
      for (const e of endpoints(stream.stream_id)) {
        const r = await send(e, { token: readOnly });
        if (!e.manage) {
          expect({ e: `${e.method} ${e.path}`, status: r.status }).toEqual({ e: `${e.method} ${e.path}`, status: 200 });
          continue;
        }
        expect({ e: `${e.method} ${e.path}`, status: r.status }).toEqual({ e: `${e.method} ${e.path}`, status: 403 });
        expect(r.body.error).toBe('insufficient_scope');
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer\b.*error="insufficient_scope"/);
      }
      await expectUntouched();
    });

    it('an ssf.manage token is accepted by every operation, reads included (CAEP interop §2.7)', async () => {
      const manageOnly = (await tokenRequest(t, { grant_type: 'client_credentials', scope: 'ssf.manage' }, { authorization: basicAuth(a.clientId, a.clientSecret) })).body.access_token as string;
      const own = await createStream(t, manageOnly, { description: 'manage-only' });
      for (const e of endpoints(own.stream_id)) {
        const r = await send(e, { token: manageOnly });
        expect({ e: `${e.method} ${e.path}`, ok: r.status >= 200 && r.status < 300 }).toEqual({ e: `${e.method} ${e.path}`, ok: true });
      }
      expect((await call(ssfUrl(t, `/streams?stream_id=${own.stream_id}`), { token: manageOnly })).status).toBe(404); // the last one deleted it
    });

    it('a client registered with ssf.read only cannot create a stream (403)', async () => {
      const ro = await createReceiver(t, { name: 'ro', scopes: ['ssf.read'] });
      const r = await call(ssfUrl(t, '/streams'), { method: 'POST', token: ro.token, json: {} });
      expect(r.status).toBe(403);
      expect(r.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
      expect((await call(ssfUrl(t, '/streams'), { token: ro.token })).body).toEqual([]);
    });
  });

  describe('streams belong to their receiver (SSF §8, reference §2.1)', () => {
    it('another receiver gets 404 for the stream on every endpoint, never sees it listed, and changes nothing', async () => {
      for (const e of endpoints(stream.stream_id)) {
        if (e.path === '/streams' && e.method === 'POST') continue; // creates B's own stream
        const r = await send(e, { token: b.token });
        if (e.path === '/streams' && e.method === 'GET') {
          expect(r.status).toBe(200);
          expect(r.body.map((s: StreamConfig) => s.stream_id)).not.toContain(stream.stream_id);
          continue;
        }
        expect({ e: `${e.method} ${e.path}`, status: r.status }).toEqual({ e: `${e.method} ${e.path}`, status: 404 });
        expect(typeof r.body.error).toBe('string');
      }
      await expectUntouched();
      // B's own streams stay invisible to A, too.
      const mine = await createStream(t, b.token);
      expect((await call(ssfUrl(t, `/streams?stream_id=${mine.stream_id}`), { token: a.token })).status).toBe(404);
      expect((await call(ssfUrl(t, '/streams'), { token: a.token })).body.map((s: StreamConfig) => s.stream_id)).not.toContain(mine.stream_id);
    });
  });

  describe('static bearer tokens bound to a receiver', () => {
    it('act as the receiver with their scopes; unbound operator tokens are not receiver tokens', async () => {
      const manage = await staticToken(t, a.clientId, ['ssf.manage']);
      const read = await staticToken(t, a.clientId, ['ssf.read']);
      const created = await call(ssfUrl(t, '/streams'), { method: 'POST', token: manage, json: { description: 'static' } });
      expect(created.status).toBe(201);
      expect(created.body.aud).toBe(a.audience);
      // It is A's stream: visible with A's OAuth token, not with B's.
      expect((await call(ssfUrl(t, `/streams?stream_id=${created.body.stream_id}`), { token: a.token })).status).toBe(200);
      expect((await call(ssfUrl(t, `/streams?stream_id=${created.body.stream_id}`), { token: b.token })).status).toBe(404);
      expect((await call(ssfUrl(t, `/streams?stream_id=${created.body.stream_id}`), { token: read })).status).toBe(200);
      expect((await call(ssfUrl(t, '/streams'), { method: 'POST', token: read, json: {} })).status).toBe(403);
      // The operator's bootstrap token is no receiver.
      const operator = await call(ssfUrl(t, '/streams'), { token: t.token });
      expect(operator.status).toBe(401);
      expect(operator.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });
  });

  describe('deleting a receiver', () => {
    it('revokes its access and static tokens, its client credentials, and its streams', async () => {
      const c = await createReceiver(t, { name: 'short-lived' });
      const s = await staticToken(t, c.clientId, ['ssf.manage']);
      const own = await createStream(t, c.token);
      const del = await call(`${t.url}/client/v4/accounts/${ACCOUNT}/ssf/receivers/${c.clientId}`, { method: 'DELETE', token: t.token });
      expect(del.status).toBe(200);
      for (const token of [c.token, s]) {
        const r = await call(ssfUrl(t, `/streams?stream_id=${own.stream_id}`), { token });
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      }
      expect((await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basicAuth(c.clientId, c.clientSecret) })).status).toBe(401);
      expect(await t.app.storage.streams.get(ACCOUNT, own.stream_id)).toBeNull();
    });
  });
});
