import { randomBytes, sign } from 'node:crypto';
import net from 'node:net';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { testStores } from '../helpers/stores.js';

const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  });
});
const waitFor = async (what: string, cond: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/**
 * riskwire subscribed to riskwire, both on loopback, in managed mode: the receiver discovers the
 * transmitter, gets a token with client credentials, creates its stream, has it verified, and a
 * risk change at the transmitter scores the same user at the receiver — by push and by poll.
 */
/** Each store twice: the transmitter and the receiver keep separate data. */
const storePairs = testStores().map((tx, i) => ({ name: tx.name, tx, rx: testStores()[i]! }));

describe.each(storePairs)('SSF receiver, managed mode, against riskwire’s own transmitter ($name)', (stores) => {
  let tx: TestApp;
  let rx: TestApp;
  beforeAll(async () => {
    const [txPort, rxPort] = [await freePort(), await freePort()];
    const env = { RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', RISKWIRE_SSF_MIN_VERIFICATION_INTERVAL_SECONDS: '0', RISKWIRE_PUSH_BACKOFF_BASE_MS: '20' };
    tx = await startTestApp({ ...env, ...stores.tx.env(), PORT: String(txPort), PUBLIC_URL: `http://127.0.0.1:${txPort}` });
    rx = await startTestApp({ ...env, ...stores.rx.env(), PORT: String(rxPort), PUBLIC_URL: `http://127.0.0.1:${rxPort}` });
    await call(`${tx.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, { method: 'PUT', token: tx.token, json: { behaviors: { imp_travel: { enabled: true, risk_level: 'high' } } } });
    await call(`${rx.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, { method: 'PUT', token: rx.token, json: { behaviors: { peer_risk_high: { enabled: true, risk_level: 'high' } } } });
  });
  afterAll(async () => {
    await rx?.close();
    await tx?.close();
    await stores.rx.cleanup();
    await stores.tx.cleanup();
  });

  const subscribe = async (delivery: 'push' | 'poll') => {
    const client = (await call(`${tx.url}/client/v4/accounts/acme/ssf/receivers`, { method: 'POST', token: tx.token, json: { name: `riskwire-${delivery}` } })).body.result;
    const r = await call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters`, {
      method: 'POST', token: rx.token,
      json: {
        mode: 'managed', issuer: `${tx.url.replace('127.0.0.1', '127.0.0.1')}/ssf/acme`, delivery,
        auth: { client_id: client.client_id, client_secret: client.client_secret, token_endpoint: client.token_endpoint, scope: 'ssf.manage' },
        events_requested: ['https://schemas.openid.net/secevent/caep/event-type/risk-level-change'],
      },
    });
    expect(r.status).toBe(201);
    return r.body.result as { id: string; status: string; stream_id: string; verified_at: string | null };
  };
  const rxUser = async (email: string) => {
    const id = await rx.app.storage.users.findByIdentifier('acme', { kind: 'email', value: email });
    return id ? rx.app.storage.users.get('acme', id) : null;
  };

  it.each(['push', 'poll'] as const)('%s: stream created and verified at the transmitter; a risk change there scores the user here', async (delivery) => {
    const sub = await subscribe(delivery);
    expect(sub.status).toBe('active');
    // The stream exists at the transmitter, owned by the receiver's client.
    expect((await tx.app.storage.streams.get('acme', sub.stream_id))?.delivery.method).toBe(delivery === 'push' ? 'urn:ietf:rfc:8935' : 'urn:ietf:rfc:8936');
    await waitFor('verification', async () => (await call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters/${sub.id}`, { token: rx.token })).body.result.verified_at !== null);

    const email = `peer-${delivery}@example.com`;
    await call(`${tx.url}/client/v4/accounts/acme/zt_risk_scoring/signals`, { method: 'POST', token: tx.token, json: { signals: [{ behavior: 'imp_travel', user: { email } }] } });
    await waitFor('the peer risk to score here', async () => (await rxUser(email))?.level === 'high');
    const sets = (await call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters/${sub.id}/sets`, { token: rx.token })).body.result as Array<{ event_type: string; outcome: string }>;
    expect(sets.map((s) => s.event_type)).toEqual(expect.arrayContaining(['https://schemas.openid.net/secevent/ssf/event-type/verification', 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change']));
    // The stream's status and subjects are managed at the transmitter through the receiver's API.
    const admin = (path: string, json?: unknown) => call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters/${sub.id}${path}`, { method: json ? 'POST' : 'GET', token: rx.token, json });
    expect((await admin('/status')).body.result).toEqual({ transmitter_status: 200, result: { stream_id: sub.stream_id, status: 'enabled' } });
    expect((await admin('/status', { status: 'paused', reason: 'maintenance' })).status).toBe(200);
    expect((await tx.app.storage.streams.get('acme', sub.stream_id))?.status).toBe('paused');
    await admin('/status', { status: 'enabled' });
    expect((await admin('/subjects/add', { subject: { format: 'email', email: 'watch@example.com' }, verified: true })).body.result.transmitter_status).toBe(200);
    expect((await admin('/subjects/remove', { subject: { format: 'email', email: 'watch@example.com' } })).body.result.transmitter_status).toBe(204);
    expect((await admin('/subjects/add', { subject: { format: 'email' } })).status).toBe(400); // the transmitter's 400, reported
    if (delivery === 'poll') {
      // Everything polled was acknowledged: nothing stays pending at the transmitter.
      await waitFor('acks', async () => (await tx.app.storage.outbox.countPending('acme', sub.stream_id)) === 0);
    }
    // Unregistering deletes the stream at the transmitter.
    expect((await call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters/${sub.id}`, { method: 'DELETE', token: rx.token })).status).toBe(200);
    expect(await tx.app.storage.streams.get('acme', sub.stream_id)).toBeNull();
  });

  it('pushes: a managed push endpoint takes only the Authorization it gave the transmitter, a managed poll subscription none; tokens are reused', async () => {
    // Every access token the transmitter issues, counted (the real service, observed).
    const tokens = tx.app.ssf.accessTokens;
    const issue = tokens.issue;
    let issued = 0;
    tokens.issue = (...args: Parameters<typeof issue>) => {
      issued++;
      return issue.apply(tokens, args);
    };
    try {
      const pushSub = await subscribe('push');
      const pollSub = await subscribe('poll');
      // SETs signed with the transmitter's own key, by hand: valid in every respect but the transport.
      const key = await tx.app.ssf.keys.active('acme');
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const signedFor = async (id: string, email = 'pushed@example.com') => {
        const audience = (await rx.app.storage.subscriptions.get('acme', id))!.audience;
        const input = `${b64({ alg: 'RS256', typ: 'secevent+jwt', kid: key.kid })}.${b64({
          iss: `${tx.url}/ssf/acme`, aud: audience, jti: randomBytes(8).toString('hex'), iat: Math.floor(Date.now() / 1000),
          sub_id: { format: 'email', email },
          events: { 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change': { current_level: 'HIGH', event_timestamp: Math.floor(Date.now() / 1000) } },
        })}`;
        return `${input}.${sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url')}`;
      };
      const push = (id: string, jws: string, authorization?: string) => call(`${rx.url}/ssf-receiver/acme/${id}`, {
        method: 'POST', body: jws, headers: { 'content-type': 'application/secevent+jwt', ...(authorization ? { authorization } : {}) },
      });
      for (const authorization of [undefined, 'Bearer not-the-one-we-gave']) {
        const r = await push(pushSub.id, await signedFor(pushSub.id), authorization);
        expect([r.status, r.body?.err]).toEqual([400, 'authentication_failed']);
      }
      const stored = (await rx.app.storage.subscriptions.get('acme', pushSub.id))!;
      const given = rx.app.secrets.open(stored.pushAuthorizationSealed!, `acme/subscriptions/${pushSub.id}/authorization`).toString('utf8');
      expect((await push(pushSub.id, await signedFor(pushSub.id), given)).status).toBe(202);
      // SSF §9.3: an event about a subject the receiver removed may still arrive (in flight, or
      // a transmitter ignoring the removal): accepted, not an error.
      const removed = await call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters/${pushSub.id}/subjects/remove`, { method: 'POST', token: rx.token, json: { subject: { format: 'email', email: 'removed@example.com' } } });
      expect(removed.body.result.transmitter_status).toBe(204);
      expect((await push(pushSub.id, await signedFor(pushSub.id, 'removed@example.com'), given)).status).toBe(202);
      const toPoll = await push(pollSub.id, await signedFor(pollSub.id), given);
      expect([toPoll.status, toPoll.body?.err]).toEqual([400, 'authentication_failed']);
      // Polling goes on every second; the token its first round got is reused for the rounds after.
      await new Promise((r) => setTimeout(r, 1200));
      const afterFirstRound = issued;
      await new Promise((r) => setTimeout(r, 2500));
      expect(issued).toBe(afterFirstRound);
      for (const sub of [pushSub, pollSub]) await call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters/${sub.id}`, { method: 'DELETE', token: rx.token });
    } finally {
      tokens.issue = issue;
    }
  });

  it('without a token_endpoint, it is discovered from the transmitter\'s authorization server metadata (RFC 8414)', async () => {
    const client = (await call(`${tx.url}/client/v4/accounts/acme/ssf/receivers`, { method: 'POST', token: tx.token, json: { name: 'discovering' } })).body.result;
    const r = await call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters`, {
      method: 'POST', token: rx.token,
      json: { mode: 'managed', issuer: `${tx.url}/ssf/acme`, delivery: 'push', auth: { client_id: client.client_id, client_secret: client.client_secret } },
    });
    expect(r.status).toBe(201);
    expect(r.body.result.status).toBe('active');
    const stored = (await rx.app.storage.subscriptions.get('acme', r.body.result.id))!;
    const auth = JSON.parse(rx.app.secrets.open(stored.managed!.authSealed, `acme/subscriptions/${stored.id}/auth`).toString('utf8'));
    expect(auth.token_endpoint).toBe(client.token_endpoint);
    await call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters/${r.body.result.id}`, { method: 'DELETE', token: rx.token });
  });

  it('a transmitter configuration naming another issuer is refused; the issuer must match exactly (SSF §7.2.4)', async () => {
    const register = (json: Record<string, unknown>) => call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters`, {
      method: 'POST', token: rx.token, json: { mode: 'managed', delivery: 'push', auth: { access_token: 'x' }, ...json },
    });
    expect((await register({ issuer: `${tx.url}/ssf/someone-else` })).status).toBe(400);
    // The same configuration is found with a trailing slash, but it names the issuer without one.
    const slash = await register({ issuer: `${tx.url}/ssf/acme/` });
    expect(slash.status).toBe(400);
    expect(slash.body.errors[0].message).toMatch(/names issuer .*\/ssf\/acme, not .*\/ssf\/acme\//);
    // Given only the well-known URL, the issuer it names must be the one whose well-known URL it is.
    const client = (await call(`${tx.url}/client/v4/accounts/acme/ssf/receivers`, { method: 'POST', token: tx.token, json: { name: 'by-well-known' } })).body.result;
    const byWellKnown = await register({
      issuer: undefined, well_known_url: `${tx.url}/.well-known/ssf-configuration/ssf/acme`,
      auth: { client_id: client.client_id, client_secret: client.client_secret, token_endpoint: client.token_endpoint },
    });
    expect(byWellKnown.status).toBe(201);
    expect(byWellKnown.body.result.issuer).toBe(`${tx.url}/ssf/acme`);
    await call(`${rx.url}/client/v4/accounts/acme/ssf/transmitters/${byWellKnown.body.result.id}`, { method: 'DELETE', token: rx.token });
  });
});
