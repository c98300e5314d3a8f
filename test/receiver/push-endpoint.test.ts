import { eventually } from '../helpers/eventually.js';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { handBuiltTransmitter } from './transmitter.js';
import { testStores } from '../helpers/stores.js';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const SSF = 'https://schemas.openid.net/secevent/ssf/event-type/';

describe.each(testStores())('SSF receiver: static subscription and RFC 8935 push endpoint ($name)', (store) => {
  let t: TestApp;
  let tx: Awaited<ReturnType<typeof handBuiltTransmitter>>;
  let sub: { id: string; push_endpoint: string; audience: string };
  let pushPath: string;
  beforeAll(async () => {
    t = await startTestApp({ RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', PUBLIC_URL: 'https://riskwire.test', ...store.env() });
    tx = await handBuiltTransmitter();
    const r = await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters`, {
      method: 'POST', token: t.token, json: { mode: 'static', issuer: tx.issuer, jwks_uri: tx.jwksUri, audience: 'https://riskwire.test/aud' },
    });
    expect(r.status).toBe(201);
    sub = r.body.result;
    pushPath = new URL(sub.push_endpoint).pathname;
    await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, {
      method: 'PUT', token: t.token,
      json: { behaviors: { session_revoked_upstream: { enabled: true, risk_level: 'low' }, peer_risk_high: { enabled: true, risk_level: 'high' }, credential_revoked: { enabled: true, risk_level: 'medium' } } },
    });
  });
  afterAll(async () => {
    await tx.close();
    await t.close();
    await store.cleanup();
  });

  const push = (body: string, headers: Record<string, string> = {}) =>
    call(`${t.url}${pushPath}`, { method: 'POST', body, headers: { 'content-type': 'application/secevent+jwt', ...headers } });
  const base = (events: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ aud: 'https://riskwire.test/aud', events, ...extra });
  const revoked = (email: string, extra: Record<string, unknown> = {}) =>
    base({ [`${CAEP}session-revoked`]: { event_timestamp: Math.floor(Date.now() / 1000), reason_admin: { en: 'admin' } } }, { sub_id: { format: 'email', email }, ...extra });
  const userLevel = async (email: string) => {
    const id = await t.app.storage.users.findByIdentifier('acme', { kind: 'email', value: email });
    return id ? (await t.app.storage.users.get('acme', id)) : null;
  };
  /** The user once a SET about them has been scored (scoring runs just after the 202). */
  const scoredUser = (email: string) =>
    eventually(async () => {
      const u = await userLevel(email);
      return u && u.eventCount > 0 ? u : undefined;
    });
  /** For what must NOT happen after a 202 (nothing to wait for): give processing time to run. */
  const settle = () => new Promise((r) => setTimeout(r, 100));
  const expectErr = (r: Awaited<ReturnType<typeof push>>, err: string) => {
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('content-language')).toBeTruthy();
    expect(r.body).toEqual({ err, description: expect.any(String) });
  };

  /** A static subscription of its own to the same transmitter, and a push to its endpoint. */
  const anotherSubscription = async () => {
    const r = await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters`, {
      method: 'POST', token: t.token, json: { mode: 'static', issuer: tx.issuer, jwks_uri: tx.jwksUri, audience: 'https://riskwire.test/aud' },
    });
    expect(r.status).toBe(201);
    const path = new URL(r.body.result.push_endpoint as string).pathname;
    return { id: r.body.result.id as string, to: (body: string) => call(`${t.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/secevent+jwt' } }) };
  };

  it('accepts a valid SET with 202 and an empty body, stores it, and scores the user', async () => {
    const r = await push(tx.set(revoked('alice@example.com')));
    expect(r.status).toBe(202);
    expect(r.text).toBe('');
    expect(await scoredUser('alice@example.com')).toMatchObject({ level: 'low', eventCount: 1 });
    // The outcome is written after the scoring: wait for it rather than race it.
    const latest = await eventually(async () => {
      const r = (await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters/${sub.id}/sets`, { token: t.token })).body.result[0] as { state: string };
      return r?.state === 'processed' ? r : undefined;
    });
    expect(latest).toMatchObject({ issuer: tx.issuer, event_type: `${CAEP}session-revoked`, state: 'processed', outcome: expect.stringMatching(/^accepted: session_revoked_upstream/) });
  });

  it('a redelivered SET (same jti) gets 202 again and is processed once', async () => {
    const jws = tx.set(revoked('bob@example.com', { jti: 'fixed-jti-1' }));
    expect((await push(jws)).status).toBe(202);
    expect((await push(jws)).status).toBe(202);
    await scoredUser('bob@example.com');
    await settle(); // a second processing would land about now
    expect(await userLevel('bob@example.com')).toMatchObject({ eventCount: 1 });
  });

  it.each([
    ['a tampered payload', 'invalid_key', () => { const [h, , s] = tx.set(revoked('x@example.com')).split('.'); return `${h}.${Buffer.from(JSON.stringify(revoked('evil@example.com'))).toString('base64url')}.${s}`; }],
    ['a key that is not in the JWKS', 'invalid_key', () => tx.set(revoked('x@example.com'), { kid: 'not-published', key: tx.outsider.privateKey })],
    ['alg none', 'invalid_key', () => tx.set(revoked('x@example.com'), { alg: 'none' })],
    ['HMAC', 'invalid_key', () => tx.set(revoked('x@example.com'), { alg: 'HS256' })],
    ['a wrong iss', 'invalid_issuer', () => tx.set({ ...revoked('x@example.com'), iss: 'https://other.example.test' })],
    ['a wrong aud', 'invalid_audience', () => tx.set({ ...revoked('x@example.com'), aud: 'https://someone-else' })],
    ['a wrong typ', 'invalid_request', () => tx.set(revoked('x@example.com'), { typ: 'JWT' })],
    ['a sub claim', 'invalid_request', () => tx.set(revoked('x@example.com', { sub: 'x' }))],
    ['an exp claim', 'invalid_request', () => tx.set(revoked('x@example.com', { exp: 9999999999 }))],
    ['two events', 'invalid_request', () => tx.set(base({ [`${CAEP}session-revoked`]: {}, [`${CAEP}credential-change`]: {} }, { sub_id: { format: 'email', email: 'x@example.com' } }))],
    ['no subject', 'invalid_request', () => tx.set(base({ [`${CAEP}session-revoked`]: {} }))],
    ['not a JWS', 'invalid_request', () => 'hello'],
    ['a crit header extension (RFC 7515 §4.1.11)', 'invalid_request', () => tx.set(revoked('x@example.com'), { header: { crit: ['exp'], exp: 1 } })],
    ['a payload that is not base64url', 'invalid_request', () => { const [h, p, s] = tx.set(revoked('x@example.com')).split('.'); return `${h}.${p}*.${s}`; }],
  ])('rejects %s with 400 %s and stores nothing', async (_name, err, make) => {
    const before = (await t.app.storage.receivedSets.list('acme', sub.id, 1000)).length;
    expectErr(await push(make()), err);
    expect((await t.app.storage.receivedSets.list('acme', sub.id, 1000)).length).toBe(before);
    expect(await userLevel('evil@example.com')).toBeNull();
  });

  it('a key rotated in at the transmitter is found by refreshing the JWKS once', async () => {
    // Refreshes of one JWKS URL are at least 1 s apart (the forged-kid tests above just caused one).
    await new Promise((r) => setTimeout(r, 1100));
    const kid = tx.rotate();
    expect((await push(tx.set(revoked('carol@example.com'), { kid }))).status).toBe(202);
  });

  it('verification: a state riskwire never sent is invalid_state; an unsolicited one (no state) is accepted', async () => {
    const verification = (event: Record<string, unknown>) => tx.set(base({ [`${SSF}verification`]: event }, { sub_id: { format: 'opaque', id: 'stream-1' } }));
    expectErr(await push(verification({ state: 'never-sent' })), 'invalid_state');
    expect((await push(verification({}))).status).toBe(202);
  });

  it('a verification SET delivered twice is accepted twice (RFC 8935 §2), though its first delivery used the state up', async () => {
    const stored = (await t.app.storage.subscriptions.get('acme', sub.id))!;
    await t.app.storage.subscriptions.update({ ...stored, pendingStates: ['state-1'] });
    const once = tx.set(base({ [`${SSF}verification`]: { state: 'state-1' } }, { sub_id: { format: 'opaque', id: 'stream-1' } }));
    expect((await push(once)).status).toBe(202);
    expect((await t.app.storage.subscriptions.get('acme', sub.id))!.pendingStates).toEqual([]);
    expect((await push(once)).status).toBe(202);
    // A new SET with the spent state is still refused.
    expectErr(await push(tx.set(base({ [`${SSF}verification`]: { state: 'state-1' } }, { sub_id: { format: 'opaque', id: 'stream-1' } }))), 'invalid_state');
  });

  it('with a known stream id, a verification whose sub_id names another stream is refused (conformance: verification-wrong-subject)', async () => {
    const stored = (await t.app.storage.subscriptions.get('acme', sub.id))!;
    await t.app.storage.subscriptions.update({ ...stored, streamId: 'stream-known' });
    try {
      const verification = (id: string) => tx.set(base({ [`${SSF}verification`]: {} }, { sub_id: { format: 'opaque', id } }));
      expectErr(await push(verification('another-stream')), 'invalid_request');
      expect((await push(verification('stream-known'))).status).toBe(202);
    } finally {
      await t.app.storage.subscriptions.update({ ...(await t.app.storage.subscriptions.get('acme', sub.id))!, streamId: null });
    }
  });

  it('stream-updated is accepted as a control event; an unmapped or unknown-subject event is accepted and recorded, not an error (SSF §9.3)', async () => {
    expect((await push(tx.set(base({ [`${SSF}stream-updated`]: { status: 'paused' } }, { sub_id: { format: 'opaque', id: 'stream-1' } })))).status).toBe(202);
    expect((await push(tx.set(base({ [`${CAEP}risk-level-change`]: { principal: 'USER', current_level: 'LOW' } }, { sub_id: { format: 'email', email: 'dave@example.com' } })))).status).toBe(202);
    expect((await push(tx.set(base({ [`${CAEP}session-revoked`]: {} }, { sub_id: { format: 'opaque', id: 'who-knows' } })))).status).toBe(202);
    const outcomes = await eventually(async () => {
      const o = (await t.app.storage.receivedSets.list('acme', sub.id, 3)).map((r) => r.outcome);
      return o.every((x) => x !== null) ? o : undefined;
    });
    expect(outcomes).toEqual([
      expect.stringMatching(/subject names no user/),
      expect.stringMatching(/no mapping for .*risk-level-change \(LOW\)/),
      'control event',
    ]);
    expect(await userLevel('dave@example.com')).toBeNull();
  });

  it('stream-updated paused then enabled: both accepted and recorded as control events, and events between them still count', async () => {
    const updated = (status: string) => tx.set(base({ [`${SSF}stream-updated`]: { status, reason: 'maintenance' } }, { sub_id: { format: 'opaque', id: 'stream-1' } }));
    expect((await push(updated('paused'))).status).toBe(202);
    expect((await push(updated('enabled'))).status).toBe(202);
    expect((await push(tx.set(revoked('after-resume@example.com')))).status).toBe(202);
    expect(await scoredUser('after-resume@example.com')).toMatchObject({ level: 'low' });
    // Outcomes are written after the batch's scoring: wait for them, not only for the user.
    const controls = await eventually(async () => {
      const c = (await t.app.storage.receivedSets.list('acme', sub.id, 10)).filter((r) => r.eventType === `${SSF}stream-updated`).slice(0, 2);
      return c.every((r) => r.outcome !== null) ? c : undefined;
    });
    expect(controls.map((r) => [(r.claims.events as Record<string, { status: string }>)[`${SSF}stream-updated`]!.status, r.outcome])).toEqual([
      ['enabled', expect.stringMatching(/control event/)],
      ['paused', expect.stringMatching(/control event/)],
    ]);
  });

  const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
  const OKTA_RISK = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';
  it.each([
    ['RISC credential-compromise', { [`${RISC}credential-compromise`]: { credential_type: 'password' } }, 'credential_compromise'],
    ['RISC account-disabled', { [`${RISC}account-disabled`]: { reason: 'hijacking' } }, 'account_disabled_upstream'],
    ['RISC account-credential-change-required', { [`${RISC}account-credential-change-required`]: {} }, 'credential_change_required'],
    ['CAEP device-compliance-change to not-compliant', { [`${CAEP}device-compliance-change`]: { previous_status: 'compliant', current_status: 'not-compliant', event_timestamp: 1700000000 } }, 'device_noncompliant'],
    ['CAEP risk-level-change to MEDIUM', { [`${CAEP}risk-level-change`]: { principal: 'USER', current_level: 'MEDIUM' } }, 'peer_risk_medium'],
    ['Okta user-risk-change to high', { [OKTA_RISK]: { current_level: 'high', previous_level: 'low', event_timestamp: 1700000000000 } }, 'peer_risk_high'],
    ['Okta user-risk-change to medium', { [OKTA_RISK]: { current_level: 'medium', previous_level: 'low', event_timestamp: 1700000000000 } }, 'peer_risk_medium'],
  ])('%s scores the subject with %s (config/receiver-mappings.json)', async (name, events, behavior) => {
    // peer_risk_high keeps the level the other tests here expect of it.
    const level = behavior === 'peer_risk_high' ? 'high' : 'medium';
    await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { [behavior]: { enabled: true, risk_level: level } } } });
    const email = `${behavior}-${name.length}@example.com`;
    expect((await push(tx.set(base(events, { sub_id: { format: 'email', email } })))).status).toBe(202);
    expect(await scoredUser(email)).toMatchObject({ level, eventCount: 1 });
    const last = await eventually(async () => (await t.app.storage.receivedSets.list('acme', sub.id, 1)).find((r) => r.state === 'processed'));
    expect(last.outcome).toMatch(new RegExp(`^accepted: ${behavior}`));
  });

  it('device-compliance-change back to compliant, and a credential-change that only updates, raise nothing', async () => {
    const quiet = [
      { [`${CAEP}device-compliance-change`]: { previous_status: 'not-compliant', current_status: 'compliant', event_timestamp: 1700000000 } },
      { [`${CAEP}credential-change`]: { credential_type: 'password', change_type: 'update' } },
    ];
    for (const [i, events] of quiet.entries()) expect((await push(tx.set(base(events, { sub_id: { format: 'email', email: `quiet${i}@example.com` } })))).status).toBe(202);
    const outcomes = await eventually(async () => {
      const o = (await t.app.storage.receivedSets.list('acme', sub.id, 2)).map((r) => r.outcome);
      return o.every((x) => x !== null) ? o : undefined;
    });
    expect(outcomes).toEqual([expect.stringMatching(/no mapping/), expect.stringMatching(/no mapping/)]);
    for (const i of [0, 1]) expect(await userLevel(`quiet${i}@example.com`)).toBeNull();
  });

  it('a peer’s HIGH risk-level-change raises the user to the peer-high behavior', async () => {
    await push(tx.set(base({ [`${CAEP}risk-level-change`]: { principal: 'USER', current_level: 'HIGH', risk_reason: 'leaked' } }, { sub_id: { format: 'email', email: 'erin@example.com' } })));
    expect(await scoredUser('erin@example.com')).toMatchObject({ level: 'high' });
  });

  it('Okta-shaped SETs (both subject layouts, millisecond timestamps) score the right users', async () => {
    const okta = await handBuiltTransmitter('https://org.okta.example');
    try {
      const r = await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters`, { method: 'POST', token: t.token, json: { mode: 'static', issuer: okta.issuer, jwks_uri: okta.jwksUri, audience: 'https://riskwire.test/okta' } });
      const path = new URL(r.body.result.push_endpoint).pathname;
      const send = (jws: string) => call(`${t.url}${path}`, { method: 'POST', body: jws, headers: { 'content-type': 'application/secevent+jwt' } });
      // vendors reference §3.2: credential-change puts the subject at subject.{format,iss,sub}…
      expect((await send(okta.set({ jti: 'set-07efd930f0977e4fcc1149a733ce7f78', aud: 'https://riskwire.test/okta', events: { [`${CAEP}credential-change`]: {
        subject: { format: 'iss_sub', iss: 'https://org.okta.example', sub: '00u1qw6mqitPHM8AJ0g7' }, credential_type: 'password', change_type: 'revoke',
        initiating_entity: 'user', reason_admin: { en: "Fired when the user's Okta password is reset" }, event_timestamp: 1615304991643,
      } } }))).status).toBe(202);
      // …and session-revoked at subject.user.{format,…}.
      expect((await send(okta.set({ aud: 'https://riskwire.test/okta', events: { [`${CAEP}session-revoked`]: {
        subject: { user: { format: 'email', email: 'frank@example.com' } }, event_timestamp: 1615304991643,
      } } }))).status).toBe(202);
      const byIssSub = await eventually(async () => {
        const id = await t.app.storage.users.findByIdentifier('acme', { kind: 'iss_sub', value: 'https://org.okta.example 00u1qw6mqitPHM8AJ0g7' });
        const u = id ? await t.app.storage.users.get('acme', id) : null;
        return u && u.eventCount > 0 ? u : undefined;
      });
      expect(byIssSub).toMatchObject({ level: 'medium', lastEventAt: new Date(1615304991643) });
      expect(await scoredUser('frank@example.com')).toMatchObject({ level: 'low', lastEventAt: new Date(1615304991643) });
    } finally {
      await okta.close();
    }
  });

  it('transport errors: 415 for another content type, 413 over 64 KiB, 404 for an unknown endpoint', async () => {
    const r415 = await call(`${t.url}${pushPath}`, { method: 'POST', body: tx.set(revoked('x@example.com')), headers: { 'content-type': 'application/json' } });
    expect(r415.status).toBe(415);
    expect(r415.headers.get('content-language')).toBeTruthy();
    expect((await push('x'.repeat(70_000))).status).toBe(413);
    expect((await call(`${t.url}/ssf-receiver/acme/000000000000000000000000`, { method: 'POST', body: tx.set(revoked('x@example.com')), headers: { 'content-type': 'application/secevent+jwt' } })).status).toBe(404);
  });

  it('a subscription changed in the store while the push path keeps it (another instance, the CLI): the next SET is judged by the change, and nothing is stored under the old one', async () => {
    const { id, to } = await anotherSubscription();
    expect((await to(tx.set(revoked(`kept-${Date.now()}@example.com`)))).status).toBe(202);
    const stored = await t.app.storage.subscriptions.get('acme', id);
    // SSF §8.1.1.1.1: marked unusable elsewhere → refused here at once.
    await t.app.storage.subscriptions.update({ ...stored!, status: 'error' });
    const refused = tx.set(revoked(`kept-${Date.now()}@example.com`, { jti: `refused-${Date.now()}` }));
    expectErr(await to(refused), 'access_denied');
    // Usable again, but for another issuer: the kept issuer no longer passes.
    await t.app.storage.subscriptions.update({ ...stored!, issuer: 'https://moved.example.test' });
    expectErr(await to(tx.set(revoked(`kept-${Date.now()}@example.com`))), 'invalid_issuer');
    expect((await t.app.storage.receivedSets.list('acme', id, 100))).toHaveLength(1);
    await t.app.storage.subscriptions.update(stored!);
    expect((await to(refused)).status).toBe(202);
    expect((await t.app.storage.receivedSets.list('acme', id, 100))).toHaveLength(2);
  });

  it('a verification is judged by the subscription as it is now: a state is not spent on a stream the subscription no longer names', async () => {
    const { id, to } = await anotherSubscription();
    await t.app.storage.subscriptions.update({ ...(await t.app.storage.subscriptions.get('acme', id))!, streamId: 'stream-old', pendingStates: ['st-1'] });
    expect((await to(tx.set(revoked(`verif-${Date.now()}@example.com`)))).status).toBe(202); // kept with stream-old
    // Elsewhere, the stream is re-created under a new id (its state still pending).
    await t.app.storage.subscriptions.update({ ...(await t.app.storage.subscriptions.get('acme', id))!, streamId: 'stream-new' });
    const verification = (stream: string) => tx.set(base({ [`${SSF}verification`]: { state: 'st-1' } }, { sub_id: { format: 'opaque', id: stream } }));
    expectErr(await to(verification('stream-old')), 'invalid_request');
    expect((await t.app.storage.subscriptions.get('acme', id))!.pendingStates).toEqual(['st-1']);
    expect((await to(verification('stream-new'))).status).toBe(202);
    expect((await t.app.storage.subscriptions.get('acme', id))!.pendingStates).toEqual([]);
  });

  it('a subscription deleted through the API refuses pushes at once, though its endpoint was just in use', async () => {
    const { id, to } = await anotherSubscription();
    expect((await to(tx.set(revoked(`held-${Date.now()}@example.com`)))).status).toBe(202);
    expect((await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters/${id}`, { method: 'DELETE', token: t.token })).status).toBe(200);
    expect((await to(tx.set(revoked(`held-${Date.now()}@example.com`)))).status).toBe(404);
  });

  it('registration: bad input is 400 (managed mode without auth or delivery too), the API is tenant-scoped', async () => {
    const reg = (json: unknown) => call(`${t.url}/client/v4/accounts/acme/ssf/transmitters`, { method: 'POST', token: t.token, json });
    expect((await reg({ mode: 'static', issuer: 'not a url', jwks_uri: tx.jwksUri })).status).toBe(400);
    expect((await reg({ mode: 'managed', issuer: tx.issuer })).status).toBe(400);
    expect((await reg({ mode: 'static', issuer: tx.issuer, jwks_uri: tx.jwksUri, extra: 1 })).status).toBe(400);
    await t.app.accounts.create({ id: 'other' }, 'test');
    const { token } = await t.app.tokens.create({ accountId: 'other', name: 'o', scopes: ['admin'] }, 'test');
    expect((await call(`${t.url}/client/v4/accounts/other/ssf/transmitters/${sub.id}`, { token })).status).toBe(404);
    expect((await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters`, { token: t.token })).body.result.length).toBeGreaterThanOrEqual(1);
  });
  it('a burst of pushed SETs is scored, each recorded with its outcome', async () => {
    const emails = Array.from({ length: 40 }, (_, i) => `burst${i}@example.com`);
    const results = await Promise.all(emails.map((e) => push(tx.set(revoked(e)))));
    expect(results.map((r) => r.status)).toEqual(emails.map(() => 202));
    for (const e of emails) expect(await scoredUser(e)).toMatchObject({ level: 'low', eventCount: 1 });
    const sets = await eventually(async () => {
      const list = await t.app.storage.receivedSets.list('acme', sub.id, 40);
      return list.every((r) => r.state === 'processed') ? list : undefined;
    });
    expect(sets.map((r) => r.outcome)).toEqual(sets.map(() => expect.stringMatching(/^accepted: session_revoked_upstream for user /)));
  });

  it('recovery scores a SET a crash left stored but unprocessed, and leaves a young one to whoever is scoring it', async () => {
    const storedSet = (email: string, ageMs: number) => ({
      accountId: 'acme', subscriptionId: sub.id, jti: `crash-${email}`, issuer: tx.issuer, eventType: `${CAEP}session-revoked`,
      subject: { format: 'email', email }, claims: { iss: tx.issuer, jti: `crash-${email}`, events: { [`${CAEP}session-revoked`]: { event_timestamp: 1_700_000_000 } } },
      receivedAt: new Date(Date.now() - ageMs), state: 'pending' as const, outcome: null,
    });
    await t.app.storage.receivedSets.insert(storedSet('left-by-crash@example.com', 60_000));
    await t.app.storage.receivedSets.insert(storedSet('just-stored@example.com', 0));
    await t.app.receiver.recover();
    expect(await userLevel('left-by-crash@example.com')).toMatchObject({ level: 'low', eventCount: 1 });
    expect(await userLevel('just-stored@example.com')).toBeNull();
    const outcomes = new Map((await t.app.storage.receivedSets.list('acme', sub.id, 10)).map((r) => [r.jti, r]));
    expect(outcomes.get('crash-left-by-crash@example.com')).toMatchObject({ state: 'processed', outcome: expect.stringMatching(/^accepted: /) });
    expect(outcomes.get('crash-just-stored@example.com')).toMatchObject({ state: 'pending' });
  });
});
