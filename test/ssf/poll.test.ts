/*
 * Poll delivery (reference §8, §12.1 item 13; RFC 8936, SSF §6.1.2). CS modules:
 * stream-verification-long-poll, stream-verification-set-errs, poll-endpoint-authorization and the
 * poll modes POLL_ONLY, ACKNOWLEDGE_ONLY, POLL_AND_ACKNOWLEDGE, REPORT_ERRORS, LONG_POLL.
 * SETs are produced with verification requests (one SET each, in request order).
 */
import {
  EV, PUSH, accessToken, ack, call, checkSets, createReceiver, createStream, enableBehaviors, fetchJwks, local, poll, pollNow, requestVerification,
  signal, ssfUrl, startSsfApp, type Jwks, type StreamConfig, type TestApp, type TestReceiver,
} from './helpers.js';
import { testStores } from '../helpers/stores.js';

const HOLD_MS = 2000; // RISKWIRE_SSF_LONG_POLL_SECONDS in startSsfApp

describe.each(testStores())('SSF poll delivery (RFC 8936) ($name)', (store) => {
  let t: TestApp;
  let r: TestReceiver;
  let jwks: Jwks;
  beforeAll(async () => {
    t = await startSsfApp(store.env());
    r = await createReceiver(t, { name: 'poller' });
    jwks = await fetchJwks(t);
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  /** A fresh stream with `n` verification SETs queued; returns their states in queue order. */
  const streamWith = async (n: number): Promise<{ s: StreamConfig; states: string[] }> => {
    const s = await createStream(t, r.token);
    const states: string[] = [];
    for (let i = 0; i < n; i++) {
      const state = `state-${i}`;
      expect((await requestVerification(t, r.token, s.stream_id, state)).status).toBe(204);
      states.push(state);
    }
    return { s, states };
  };
  const statesOf = (s: StreamConfig, sets: Record<string, string>) => checkSets(sets, { jwks, aud: s.aud }).map((d) => d.event.state as string);

  it('the poll URL is the stream\'s delivery.endpoint_url; the response is 200 JSON {sets} keyed by jti', async () => {
    const { s, states } = await streamWith(2);
    expect(new URL(s.delivery.endpoint_url!).pathname).toContain(s.stream_id);
    const res = await poll(t, r.token, s, { returnImmediately: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
    expect(res.body.sets !== null && typeof res.body.sets === 'object' && !Array.isArray(res.body.sets)).toBe(true);
    for (const v of Object.values(res.body.sets)) expect(typeof v).toBe('string');
    if ('moreAvailable' in res.body) expect(res.body.moreAvailable).toBe(false);
    // checkSets asserts each key is the SET's jti.
    expect(statesOf(s, res.sets!)).toEqual(states);
    // Every verification SET names its own stream.
    for (const d of checkSets(res.sets!, { jwks, aud: s.aud })) {
      expect(d.type).toBe(EV.verification);
      expect(d.claims.sub_id).toEqual({ format: 'opaque', id: s.stream_id });
    }
  });

  it('an empty poll is {"sets": {}} and, with returnImmediately, answers at once', async () => {
    const s = await createStream(t, r.token);
    const started = Date.now();
    const res = await poll(t, r.token, s, { returnImmediately: true });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(200);
    expect(res.body.sets).toEqual({});
    expect(res.body.moreAvailable ?? false).toBe(false);
    // `{}` is a valid poll request too (all members optional); with nothing queued it is a long poll.
    const bare = await call(local(t, s.delivery.endpoint_url!), { method: 'POST', token: r.token, json: { returnImmediately: true } });
    expect(bare.body).toEqual({ sets: {} });
  });

  it('never returns more than maxEvents, says moreAvailable while more are pending, oldest first', async () => {
    const { s, states } = await streamWith(5);
    const two = await poll(t, r.token, s, { maxEvents: 2, returnImmediately: true });
    expect(Object.keys(two.sets!)).toHaveLength(2);
    expect(two.moreAvailable).toBe(true);
    expect(statesOf(s, two.sets!)).toEqual(states.slice(0, 2));
    const one = await poll(t, r.token, s, { maxEvents: 1, returnImmediately: true });
    expect(Object.keys(one.sets!)).toHaveLength(1);
    expect(one.moreAvailable).toBe(true);
    const all = await poll(t, r.token, s, { maxEvents: 5, returnImmediately: true });
    expect(Object.keys(all.sets!)).toHaveLength(5);
    expect(all.moreAvailable ?? false).toBe(false);
    const unlimited = await poll(t, r.token, s, { returnImmediately: true });
    expect(statesOf(s, unlimited.sets!)).toEqual(states);
  });

  it('unacknowledged SETs are offered again, identical (same jti, same SET); acknowledged ones never again', async () => {
    const { s } = await streamWith(3);
    const first = await pollNow(t, r.token, s);
    const again = await pollNow(t, r.token, s);
    expect(again).toEqual(first);
    const jtis = Object.keys(first);
    // Poll-and-acknowledge in one request: ack two, receive the rest.
    const rest = await pollNow(t, r.token, s, { ack: jtis.slice(0, 2), maxEvents: 10 });
    expect(Object.keys(rest)).toEqual([jtis[2]]);
    expect(rest[jtis[2]!]).toBe(first[jtis[2]!]);
    // Acknowledging again, or an unknown jti, is harmless.
    const res = await poll(t, r.token, s, { ack: [...jtis.slice(0, 2), 'no-such-jti'], returnImmediately: true });
    expect(res.status).toBe(200);
    expect(Object.keys(res.sets!)).toEqual([jtis[2]]);
  });

  it('acknowledgements only act on the polled stream: another receiver cannot acknowledge SETs away', async () => {
    const { s } = await streamWith(2);
    const pending = await pollNow(t, r.token, s);
    const other = await createReceiver(t, { name: 'ack thief' });
    const theirs = await createStream(t, other.token);
    const res = await poll(t, other.token, theirs, { returnImmediately: true, ack: Object.keys(pending), setErrs: { [Object.keys(pending)[0]!]: { err: 'invalid_request' } } }, { 'content-language': 'en' });
    expect(res.status).toBe(200);
    expect(await pollNow(t, r.token, s)).toEqual(pending);
    // Nor through one of this receiver's other streams.
    const sibling = await createStream(t, r.token);
    await pollNow(t, r.token, sibling, { ack: Object.keys(pending) });
    expect(await pollNow(t, r.token, s)).toEqual(pending);
  });

  it('maxEvents 0 is acknowledge-only: no SETs even though some are pending (CS ACKNOWLEDGE_ONLY)', async () => {
    const { s } = await streamWith(3);
    const pending = await pollNow(t, r.token, s);
    const [a, ...others] = Object.keys(pending);
    const res = await poll(t, r.token, s, { maxEvents: 0, returnImmediately: true, ack: [a] });
    expect(res.status).toBe(200);
    expect(res.body.sets).toEqual({});
    // Acknowledge-only without returnImmediately must not hang either.
    const started = Date.now();
    const quick = await poll(t, r.token, s, { maxEvents: 0, ack: [] });
    expect(quick.body.sets).toEqual({});
    expect(Date.now() - started).toBeLessThan(HOLD_MS);
    expect(Object.keys(await pollNow(t, r.token, s))).toEqual(others);
  });

  it('setErrs (with Content-Language) answers 200 with no SETs, and the reported SETs are not offered again (CS REPORT_ERRORS)', async () => {
    const { s, states } = await streamWith(3);
    const pending = await pollNow(t, r.token, s);
    const [bad, ...good] = Object.keys(pending);
    const res = await poll(t, r.token, s, {
      maxEvents: 0, returnImmediately: true,
      setErrs: { [bad!]: { err: 'invalid_state', description: 'state does not match' } },
    }, { 'content-language': 'en' });
    expect(res.status).toBe(200);
    expect(res.body.sets).toEqual({});
    const after = await pollNow(t, r.token, s);
    expect(Object.keys(after)).toEqual(good);
    expect(statesOf(s, after)).toEqual(states.slice(1));
    // Errors and acknowledgements together.
    const both = await poll(t, r.token, s, { returnImmediately: true, ack: [good[0]], setErrs: { [good[1]!]: { err: 'invalid_request', description: 'x' } } }, { 'content-language': 'en' });
    expect(both.status).toBe(200);
    expect(both.body.sets).toEqual({});
  });

  it('unknown request members are ignored (RFC 8936 §2.2)', async () => {
    const { s, states } = await streamWith(1);
    const res = await poll(t, r.token, s, { returnImmediately: true, maxEvents: 5, futureExtension: { x: 1 } });
    expect(res.status).toBe(200);
    expect(statesOf(s, res.sets!)).toEqual(states);
  });

  it('400 for a malformed poll request (RFC 8936 §2.5.1)', async () => {
    const s = await createStream(t, r.token);
    const url = local(t, s.delivery.endpoint_url!);
    for (const json of [{ maxEvents: -1 }, { maxEvents: 'ten' }, { maxEvents: 1.5 }, { returnImmediately: 'yes' }, { ack: 'jti' }, { ack: [1] }, { setErrs: [] }, { setErrs: { x: 'bad' } }]) {
      expect({ json, status: (await call(url, { method: 'POST', token: r.token, json })).status }).toEqual({ json, status: 400 });
    }
    expect((await call(url, { method: 'POST', token: r.token, body: '{"ack": [', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  });

  describe('long polling (RFC 8936 §2.5; CS LONG_POLL)', () => {
    it('is the default: the request is held and answers as soon as a SET is queued', async () => {
      const s = await createStream(t, r.token);
      const started = Date.now();
      const waiting = poll(t, r.token, s, {});
      await new Promise((res) => setTimeout(res, 300));
      expect((await requestVerification(t, r.token, s.stream_id, 'wake-up')).status).toBe(204);
      const res = await waiting;
      const elapsed = Date.now() - started;
      expect(res.status).toBe(200);
      expect(statesOf(s, res.sets!)).toEqual(['wake-up']);
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(HOLD_MS - 300);
    });

    it('answers with a risk SET as soon as the fan-out queues it', async () => {
      await enableBehaviors(t);
      const s = await createStream(t, r.token, { events_requested: [EV.riskLevelChange] });
      const started = Date.now();
      const waiting = poll(t, r.token, s, { returnImmediately: false });
      await new Promise((res) => setTimeout(res, 200));
      await signal(t, 'high_dlp', { email: 'long.poll@example.com' });
      const res = await waiting;
      expect(Date.now() - started).toBeLessThan(HOLD_MS - 300);
      const [d] = checkSets(res.sets!, { jwks, aud: s.aud });
      expect(d!.type).toBe(EV.riskLevelChange);
      expect(d!.claims.sub_id).toEqual({ format: 'email', email: 'long.poll@example.com' });
    });

    it('times out with {"sets": {}} after the configured hold, not much later', async () => {
      const s = await createStream(t, r.token);
      const started = Date.now();
      const res = await poll(t, r.token, s, { returnImmediately: false, maxEvents: 10 });
      const elapsed = Date.now() - started;
      expect(res.status).toBe(200);
      expect(res.body.sets).toEqual({});
      expect(elapsed).toBeGreaterThanOrEqual(HOLD_MS - 100);
      expect(elapsed).toBeLessThan(HOLD_MS + 1500);
    });

    it('returns at once when SETs are already pending', async () => {
      const { s } = await streamWith(1);
      const started = Date.now();
      const res = await poll(t, r.token, s, {});
      expect(Object.keys(res.sets!)).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });

  describe('the poll endpoint\'s errors', () => {
    it('no token: 401 with a Bearer challenge; bad token: 401 error="invalid_token" (RFC 8936 §3; CS poll-endpoint-authorization)', async () => {
      const { s } = await streamWith(1);
      const url = local(t, s.delivery.endpoint_url!);
      const none = await call(url, { method: 'POST', json: { returnImmediately: true } });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
      const bad = await call(url, { method: 'POST', token: 'garbage', json: { returnImmediately: true } });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      // Neither consumed anything.
      expect(Object.keys(await pollNow(t, r.token, s))).toHaveLength(1);
    });

    it('an ssf.read token may poll (CS scope mapping: poll is a read operation)', async () => {
      const { s, states } = await streamWith(1);
      const readToken = await accessToken(t, r.clientId, r.clientSecret, 'ssf.read');
      const res = await poll(t, readToken, s, { returnImmediately: true });
      expect(res.status).toBe(200);
      expect(statesOf(s, res.sets!)).toEqual(states);
      // …and acknowledge with it.
      await ack(t, readToken, s, Object.keys(res.sets!));
      expect(await pollNow(t, r.token, s)).toEqual({});
    });

    it('404 for an unknown, deleted or foreign stream; 400 for a push stream', async () => {
      const other = await createReceiver(t, { name: 'other' });
      const { s } = await streamWith(1);
      expect((await poll(t, other.token, s, { returnImmediately: true })).status).toBe(404);
      expect(Object.keys(await pollNow(t, r.token, s))).toHaveLength(1);
      expect((await call(ssfUrl(t, '/poll/0123456789abcdef0123456789abcdef'), { method: 'POST', token: r.token, json: {} })).status).toBe(404);
      expect((await call(ssfUrl(t, `/streams?stream_id=${s.stream_id}`), { method: 'DELETE', token: r.token })).status).toBe(204);
      expect((await poll(t, r.token, s, { returnImmediately: true })).status).toBe(404);
      const push = await createStream(t, r.token, { delivery: { method: PUSH, endpoint_url: 'https://192.0.2.10/events' } });
      const res = await call(ssfUrl(t, `/poll/${push.stream_id}`), { method: 'POST', token: r.token, json: { returnImmediately: true } });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it('a stream deleted while a long poll waits ends the wait with no SETs', async () => {
      const s = await createStream(t, r.token);
      const started = Date.now();
      const waiting = poll(t, r.token, s, {});
      await new Promise((res) => setTimeout(res, 200));
      expect((await call(ssfUrl(t, `/streams?stream_id=${s.stream_id}`), { method: 'DELETE', token: r.token })).status).toBe(204);
      const res = await waiting;
      expect([200, 404]).toContain(res.status);
      if (res.status === 200) expect(res.body.sets).toEqual({});
      expect(Date.now() - started).toBeLessThan(HOLD_MS + 1500);
    });
  });
});
