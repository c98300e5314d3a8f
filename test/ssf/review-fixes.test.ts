import {
  EV, ack, call, checkSets, waitForSets, createReceiver, createStream, fetchJwks, pollNow, removeSubject, ssfUrl, startSsfApp, type TestApp, type TestReceiver,
} from './helpers.js';
import { testStores } from '../helpers/stores.js';

/** Behaviour fixed after the first conformance review. */
describe.each(testStores())('SSF stream management: review fixes ($name)', (store) => {
  let t: TestApp;
  let r: TestReceiver;
  beforeAll(async () => {
    t = await startSsfApp({ ...store.env(), RISKWIRE_SSF_KEY_PREPUBLISH_SECONDS: '120' });
    r = await createReceiver(t, { name: 'review', audience: 'https://receiver.example/caep' });
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  it('PATCH accepts transmitter-supplied values that are equal in meaning: aud as a one-item list, events in another order', async () => {
    const s = await createStream(t, r.token, { events_requested: [EV.riskLevelChange, EV.sessionRevoked] });
    const r1 = await call(ssfUrl(t, '/streams'), {
      method: 'PATCH', token: r.token,
      json: { stream_id: s.stream_id, aud: ['https://receiver.example/caep'], events_delivered: [...s.events_delivered].reverse(), description: 'same meaning' },
    });
    expect(r1.status).toBe(200);
    expect(r1.body.description).toBe('same meaning');
    const r2 = await call(ssfUrl(t, '/streams'), { method: 'PATCH', token: r.token, json: { stream_id: s.stream_id, aud: ['https://other.example'] } });
    expect(r2.status).toBe(400);
  });

  it('a management body that is not JSON is refused with 415 instead of being read as {}', async () => {
    const before = (await call(ssfUrl(t, '/streams'), { token: r.token })).body.length;
    const res = await call(ssfUrl(t, '/streams'), {
      method: 'POST', token: r.token, body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: 'https://r.example/events' } }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(415);
    expect((await call(ssfUrl(t, '/streams'), { token: r.token })).body.length).toBe(before);
    // An empty body is still a valid create (defaults to poll, SSF §8.1.1.1).
    expect((await call(ssfUrl(t, '/streams'), { method: 'POST', token: r.token })).status).toBe(201);
  });

  it("the stream's own subject cannot be removed (SSF §8.1.4.1)", async () => {
    const s = await createStream(t, r.token);
    const res = await removeSubject(t, r.token, s.stream_id, { format: 'opaque', id: s.stream_id });
    expect(res.status).toBe(400);
  });

  it('the JWKS is never cached longer than half the pre-publication window', async () => {
    const res = await fetch(ssfUrl(t, '/jwks.json'));
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
  });
});

describe('transmitter-initiated status changes (SSF §8.1.5)', () => {
  let t: TestApp;
  let r: TestReceiver;
  beforeAll(async () => {
    t = await startSsfApp();
    r = await createReceiver(t, { name: 'status', audience: 'https://receiver.example/status' });
  });
  afterAll(() => t.close());

  const operatorStatus = (streamId: string, status: string, reason?: string) =>
    call(`${t.url}/client/v4/accounts/acme/ssf/streams/${streamId}/status`, { method: 'POST', token: t.token, json: { status, ...(reason ? { reason } : {}) } });

  it('an operator pause is announced with stream-updated before the stream stops, and re-enabling is announced too', async () => {
    const s = await createStream(t, r.token);
    const jwks = await fetchJwks(t);
    expect((await operatorStatus(s.stream_id, 'paused', 'maintenance')).body.result).toEqual({ stream_id: s.stream_id, status: 'paused', reason: 'maintenance' });
    // The receiver sees its stream paused, and gets the notice although the stream is paused.
    expect((await call(ssfUrl(t, `/streams/status?stream_id=${s.stream_id}`), { token: r.token })).body.status).toBe('paused');
    const paused = checkSets(await pollNow(t, r.token, s, { returnImmediately: true }), { jwks, aud: s.aud });
    expect(paused.map((x) => [Object.keys(x.claims.events)[0], x.event])).toEqual([[EV.streamUpdated, { status: 'paused', reason: 'maintenance' }]]);
    expect(paused[0]!.claims.sub_id).toEqual({ format: 'opaque', id: s.stream_id });
    await ack(t, r.token, s, paused.map((x) => x.claims.jti as string));
    expect((await operatorStatus(s.stream_id, 'enabled')).status).toBe(200);
    const enabled = checkSets(await pollNow(t, r.token, s, { returnImmediately: true }), { jwks, aud: s.aud });
    expect(enabled.map((x) => x.event)).toEqual([{ status: 'enabled' }]);
  });

  it('a receiver’s own status change is not announced', async () => {
    const s = await createStream(t, r.token);
    await call(ssfUrl(t, '/streams/status'), { method: 'POST', token: r.token, json: { stream_id: s.stream_id, status: 'paused' } });
    await call(ssfUrl(t, '/streams/status'), { method: 'POST', token: r.token, json: { stream_id: s.stream_id, status: 'enabled' } });
    expect(await pollNow(t, r.token, s, { returnImmediately: true })).toEqual({});
  });

  it('default_subjects is an account setting the operator can change, published in the metadata', async () => {
    expect((await call(`${t.url}/client/v4/accounts/acme/ssf/settings`, { method: 'PUT', token: t.token, json: { default_subjects: 'NONE' } })).status).toBe(200);
    expect((await call(`${t.url}/.well-known/ssf-configuration/ssf/acme`)).body.default_subjects).toBe('NONE');
    expect((await call(`${t.url}/client/v4/accounts/acme/ssf/settings`, { method: 'PUT', token: t.token, json: { default_subjects: 'SOME' } })).status).toBe(400);
    await call(`${t.url}/client/v4/accounts/acme/ssf/settings`, { method: 'PUT', token: t.token, json: { default_subjects: 'ALL' } });
  });
});

describe('nothing is lost between a risk change and its SETs', () => {
  it('a change written without any fan-out (as if the process died right after writing it) is still delivered', async () => {
    const t = await startSsfApp();
    try {
      const r = await createReceiver(t, { name: 'crash', audience: 'https://receiver.example/crash' });
      const s = await createStream(t, r.token);
      // Write the user, the event and its RiskChange straight to the store: no HTTP request, so
      // no kick of the fan-out — the state a crash right after the scoring commit leaves behind.
      const { applyEvent } = await import('../../src/domain/risk.js');
      const userId = (await t.app.storage.users.create({ accountId: 'acme', id: '2f1c0a52-5d1e-4c3b-9f1e-0a1b2c3d4e5f', name: 'Lost', email: 'lost@example.com', identifiers: [{ kind: 'email', value: 'lost@example.com' }], createdAt: new Date() })).userId;
      await t.app.storage.risk.recordEvent(
        { accountId: 'acme', id: 'e-crash', userId, behaviorId: 'imp_travel', behaviorName: 'Impossible Travel', riskLevel: 'high', occurredAt: new Date(), receivedAt: new Date(), source: 'test', signalId: 'crash-1', details: {} },
        (st, e) => applyEvent(st, e, null, new Date()),
      );
      // The periodic consumer of the change feed (every second) picks it up.
      const sets = await waitForSets(t, r.token, s, 2);
      const decoded = checkSets(sets, { jwks: await fetchJwks(t), aud: s.aud });
      expect(decoded.map((x) => Object.keys(x.claims.events)[0]).sort()).toEqual([EV.riskLevelChange, EV.sessionRevoked].sort());
      expect(decoded[0]!.claims.sub_id).toEqual({ format: 'email', email: 'lost@example.com' });
    } finally {
      await t.close();
    }
  });
});

describe('integration streams are managed through their integration', () => {
  it('an operator cannot pause an integration stream with the SSF status route (Okta accepts no stream-updated)', async () => {
    const t = await startSsfApp();
    try {
      const created = await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/integrations`, {
        method: 'POST', token: t.token, json: { integration_type: 'Okta', tenant_url: 'https://203.0.113.10' },
      });
      const integration = await t.app.storage.integrations.get('acme', created.body.result.id);
      const res = await call(`${t.url}/client/v4/accounts/acme/ssf/streams/${integration!.streamId}/status`, { method: 'POST', token: t.token, json: { status: 'paused' } });
      expect(res.status).toBe(409);
      expect((await t.app.storage.streams.get('acme', integration!.streamId))?.status).toBe('enabled');
    } finally {
      await t.close();
    }
  });
});
