import nock from 'nock';
import { useNockForVendorClouds } from '../helpers/nock-vendor-clouds.js';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { eventually } from '../helpers/eventually.js';
import { handBuiltTransmitter } from './transmitter.js';
import { testStores } from '../helpers/stores.js';

/**
 * Okta as a managed transmitter (vendors reference §3.2). Okta's token and stream management
 * endpoints cannot run here, so they are mocked with nock from Okta's documented shapes; nothing
 * reaches the internet (nock.disableNetConnect, loopback allowed for riskwire itself).
 */
const OKTA = 'https://org.okta.example';
const wellKnown = {
  configuration_endpoint: `${OKTA}/api/v1/ssf/stream`,
  delivery_methods_supported: ['https://schemas.openid.net/secevent/risc/delivery-method/push', 'urn:ietf:rfc:8935'],
  issuer: OKTA,
  jwks_uri: `${OKTA}/oauth2/v1/keys`,
  verification_endpoint: `${OKTA}/api/v1/ssf/stream/verification`,
  spec_version: '1_0-ID3',
  authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
  default_subjects: 'ALL',
};

describe.each(testStores())('SSF receiver, managed mode, with Okta (mocked) ($name)', (store) => {
  useNockForVendorClouds();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...store.env(), RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', PUBLIC_URL: 'https://riskwire.test' });
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  const register = (extra: Record<string, unknown> = {}) => call(`${t.url}/client/v4/accounts/acme/ssf/transmitters`, {
    method: 'POST', token: t.token,
    json: { mode: 'managed', issuer: OKTA, delivery: 'push', auth: { client_id: '0oa1', client_secret: 'secret', token_endpoint: `${OKTA}/oauth2/v1/token`, scope: 'ssf.manage ssf.read' }, ...extra },
  });

  it('discovers Okta, gets a token, creates the push stream with our endpoint and a secret header, and requests verification', async () => {
    let created: Record<string, any> | undefined;
    let tokenBody = '';
    const okta = nock(OKTA)
      .get('/.well-known/ssf-configuration').reply(200, wellKnown)
      .post('/oauth2/v1/token', (b) => ((tokenBody = new URLSearchParams(b as string).toString()), true)).reply(200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, scope: 'ssf.manage ssf.read' })
      .post('/api/v1/ssf/stream', (b) => ((created = b as Record<string, any>), true)).matchHeader('authorization', 'Bearer at-1')
      .reply(201, (_u, b: any) => ({ stream_id: 'okta-stream-1', iss: OKTA, aud: 'https://riskwire.test/okta', delivery: b.delivery, events_delivered: b.events_requested }))
      .post('/api/v1/ssf/stream/verification', (b: any) => b.stream_id === 'okta-stream-1' && typeof b.state === 'string').reply(204);
    const r = await register();
    expect(r.status).toBe(201);
    expect(r.body.result).toMatchObject({ mode: 'managed', issuer: OKTA, status: 'active', stream_id: 'okta-stream-1', audience: 'https://riskwire.test/okta' });
    expect(okta.isDone()).toBe(true);
    expect(tokenBody).toContain('grant_type=client_credentials');
    expect(created!.delivery).toEqual({ method: 'urn:ietf:rfc:8935', endpoint_url: r.body.result.push_endpoint, authorization_header: expect.stringMatching(/^Bearer .{20,}/) });
    expect(created!.events_requested).toEqual(expect.arrayContaining(['https://schemas.openid.net/secevent/caep/event-type/session-revoked', 'https://schemas.openid.net/secevent/caep/event-type/credential-change']));
    // A SET pushed without the secret header is refused (authentication_failed), whatever its signature.
    const pushed = await call(`${t.url}${new URL(r.body.result.push_endpoint).pathname}`, { method: 'POST', body: 'a.b.c', headers: { 'content-type': 'application/secevent+jwt' } });
    expect(pushed.status).toBe(400);
  });

  it('an event naming a critical subject member riskwire cannot process is discarded (SSF §3.6); without it the event scores', async () => {
    await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { session_revoked_upstream: { enabled: true, risk_level: 'medium' } } } });
    const signer = await handBuiltTransmitter(OKTA); // Okta's signing key, stood in for by a key of the test's own
    try {
      const jwks = (await (await fetch(signer.jwksUri)).json()) as Record<string, unknown>;
      let created: Record<string, any> | undefined;
      const okta = nock(OKTA)
        .get('/.well-known/ssf-configuration').reply(200, { ...wellKnown, critical_subject_members: ['tenant'] })
        .post('/oauth2/v1/token').reply(200, { access_token: 'at-c', token_type: 'Bearer', expires_in: 3600 })
        .post('/api/v1/ssf/stream', (b) => ((created = b as Record<string, any>), true))
        .reply(201, (_u, b: any) => ({ stream_id: 'okta-critical', iss: OKTA, aud: 'https://riskwire.test/critical', delivery: b.delivery, events_delivered: b.events_requested }))
        .post('/api/v1/ssf/stream/verification').reply(204)
        .get('/oauth2/v1/keys').reply(200, jwks);
      const r = await register();
      expect(r.status).toBe(201);
      const push = (subject: Record<string, unknown>) => call(`${t.url}${new URL(r.body.result.push_endpoint).pathname}`, {
        method: 'POST', headers: { 'content-type': 'application/secevent+jwt', authorization: created!.delivery.authorization_header },
        body: signer.set({ aud: 'https://riskwire.test/critical', events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': { subject, event_timestamp: Date.now() } } }),
      });
      const user = (email: string) => ({ format: 'email', email });
      expect((await push({ format: 'complex', user: user('kept@example.com'), tenant: { format: 'opaque', id: 'tenant-1' } })).status).toBe(202);
      expect((await push({ format: 'complex', user: user('scored@example.com') })).status).toBe(202);
      expect(okta.isDone()).toBe(true);
      // Both outcomes written (the scored one's after its scoring).
      const sets = await eventually(async () => {
        const list = (await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters/${r.body.result.id}/sets`, { token: t.token })).body.result as Array<{ outcome: string | null }>;
        return list.length === 2 && list.every((x) => x.outcome !== null) ? list : undefined;
      });
      expect(sets.map((x) => x.outcome)).toEqual([expect.stringMatching(/^accepted/), 'discarded: critical subject member "tenant" cannot be processed (SSF §3.6)']);
      expect(await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: 'kept@example.com' })).toBeNull();
      // A discard is stored like any SET: not under a subscription marked unusable since (elsewhere).
      const stored = (await t.app.storage.subscriptions.get('acme', r.body.result.id))!;
      await t.app.storage.subscriptions.update({ ...stored, status: 'error' });
      const refused = await push({ format: 'complex', user: user('late@example.com'), tenant: { format: 'opaque', id: 'tenant-1' } });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ err: 'access_denied' });
      expect(await t.app.storage.receivedSets.list('acme', r.body.result.id, 10)).toHaveLength(2);
    } finally {
      await signer.close();
    }
  });

  it('renews the access token once when Okta answers 401 invalid_token', async () => {
    const okta = nock(OKTA)
      .get('/.well-known/ssf-configuration').reply(200, wellKnown)
      .post('/oauth2/v1/token').reply(200, { access_token: 'old', token_type: 'Bearer', expires_in: 3600 })
      .post('/api/v1/ssf/stream').matchHeader('authorization', 'Bearer old').reply(401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' })
      .post('/oauth2/v1/token').reply(200, { access_token: 'new', token_type: 'Bearer', expires_in: 3600 })
      .post('/api/v1/ssf/stream').matchHeader('authorization', 'Bearer new').reply(201, { stream_id: 's2', iss: OKTA, aud: 'a', delivery: {} })
      .post('/api/v1/ssf/stream/verification').reply(204);
    expect((await register()).status).toBe(201);
    expect(okta.isDone()).toBe(true);
  });

  it('a 409 (one stream per client) is handled by reading and updating the existing stream', async () => {
    const okta = nock(OKTA)
      .get('/.well-known/ssf-configuration').reply(200, wellKnown)
      .post('/oauth2/v1/token').reply(200, { access_token: 'at', token_type: 'Bearer', expires_in: 3600 })
      .post('/api/v1/ssf/stream').reply(409)
      .get('/api/v1/ssf/stream').reply(200, [{ stream_id: 'existing', iss: OKTA, aud: 'a' }])
      .patch('/api/v1/ssf/stream', (b: any) => b.stream_id === 'existing' && b.delivery?.method === 'urn:ietf:rfc:8935').reply(200, { stream_id: 'existing', iss: OKTA, aud: 'a', delivery: {} })
      .post('/api/v1/ssf/stream/verification').reply(204);
    const r = await register();
    expect(r.body.result.stream_id).toBe('existing');
    expect(okta.isDone()).toBe(true);
    // Registering again takes the stream over once more: the older subscription stops being used,
    // and deleting it does not delete the stream the newer one now uses (no DELETE is sent).
    const again = nock(OKTA)
      .get('/.well-known/ssf-configuration').reply(200, wellKnown)
      .post('/oauth2/v1/token').reply(200, { access_token: 'at', token_type: 'Bearer', expires_in: 3600 })
      .post('/api/v1/ssf/stream').reply(409)
      .get('/api/v1/ssf/stream').reply(200, [{ stream_id: 'existing', iss: OKTA, aud: 'a' }])
      .patch('/api/v1/ssf/stream').reply(200, { stream_id: 'existing', iss: OKTA, aud: 'a', delivery: {} })
      .post('/api/v1/ssf/stream/verification').reply(204);
    const newer = await register();
    expect(again.isDone()).toBe(true);
    const older = (await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters/${r.body.result.id}`, { token: t.token })).body.result;
    expect(older).toMatchObject({ status: 'error', last_error: expect.stringContaining(`superseded by subscription ${newer.body.result.id}`) });
    const deleteAtOkta = nock(OKTA).delete('/api/v1/ssf/stream').query(true).reply(204);
    expect((await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters/${r.body.result.id}`, { method: 'DELETE', token: t.token })).status).toBe(200);
    expect(deleteAtOkta.isDone()).toBe(false);
    expect((await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters/${newer.body.result.id}`, { token: t.token })).body.result.status).toBe('active');
  });

  it('a stream answered with a foreign iss is not used: status error, reported, no verification, its pushes refused', async () => {
    const okta = nock(OKTA)
      .get('/.well-known/ssf-configuration').reply(200, wellKnown)
      .post('/oauth2/v1/token').reply(200, { access_token: 'at', token_type: 'Bearer', expires_in: 3600 })
      .post('/api/v1/ssf/stream').reply(201, { stream_id: 'evil', iss: 'https://attacker.example', aud: 'a', delivery: {} });
    const r = await register();
    expect(r.status).toBe(201);
    expect(r.body.result).toMatchObject({ status: 'error', last_error: expect.stringMatching(/iss https:\/\/attacker\.example is not/) });
    expect(okta.isDone()).toBe(true); // no verification request was made
    const pushed = await call(`${t.url}${new URL(r.body.result.push_endpoint).pathname}`, { method: 'POST', body: 'a.b.c', headers: { 'content-type': 'application/secevent+jwt' } });
    expect(pushed.body.err).toBe('access_denied');
  });

  it('an unreachable or inconsistent configuration is a 400 naming the problem', async () => {
    nock(OKTA).get('/.well-known/ssf-configuration').reply(200, { ...wellKnown, issuer: 'https://other.okta.example' });
    const r = await register();
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/names issuer https:\/\/other\.okta\.example/);
    nock(OKTA).get('/.well-known/ssf-configuration').reply(500);
    expect((await register()).body.errors[0].message).toMatch(/could not be read: HTTP 500/);
  });
});
