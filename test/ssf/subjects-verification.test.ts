/*
 * Subjects (reference §4; SSF §8.1.3, §7.1 default_subjects) and verification (reference §5, §11.1;
 * SSF §8.1.4), including what paused and disabled streams do with them (reference §3.2). CS modules:
 * stream-subject-control, stream-verification-poll-only / -poll-and-ack / -ack-only,
 * verification-error-invalid-body / -unknown-stream, paused-stream-holds-events,
 * disabled-stream-drops-events.
 */
import {
  ACCOUNT, EV, ack, addSubject, call, checkCaepCommon, checkSet, checkSets, createReceiver, createStream, enableBehaviors, fetchJwks,
  pollNow, removeSubject, requestVerification, setStatus, signal, ssfUrl, startSsfApp, waitForSets,
  type DecodedSet, type Jwks, type StreamConfig, type TestApp, type TestReceiver,
} from './helpers.js';
import { testStores } from '../helpers/stores.js';

/** One valid subject of every RFC 9493 §3.2 / SSF §3.3, §3.5 format (values from the specs' examples). */
const VALID_SUBJECTS: Array<Record<string, unknown>> = [
  { format: 'account', uri: 'acct:example.user@service.example.com' },
  { format: 'email', email: 'example.user@example.com' },
  { format: 'iss_sub', iss: 'https://issuer.example.com/', sub: '145234573' },
  { format: 'opaque', id: '11112222333344445555' },
  { format: 'phone_number', phone_number: '+12065550100' },
  { format: 'did', url: 'did:example:123456' },
  { format: 'uri', uri: 'https://user.example.com/' },
  { format: 'aliases', identifiers: [{ format: 'email', email: 'user@example.com' }, { format: 'phone_number', phone_number: '+12065550100' }] },
  { format: 'complex', user: { format: 'email', email: 'bar@example.com' }, tenant: { format: 'iss_sub', iss: 'https://example.com/idp1', sub: '1234' } },
  { format: 'jwt_id', iss: 'https://idp.example.com/123456789/', jti: 'B70BA622-9515-4353-A866-823539EECBC8' },
  { format: 'saml_assertion_id', issuer: 'https://idp.example.com/123456789/', assertion_id: '_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6' },
  { format: 'ip-addresses', 'ip-addresses': ['10.29.37.75', '2001:db8::1'] },
  // SSF §8.1.3.3's own example uses the legacy name "phone" (reference §14 item 2).
  { format: 'phone', phone_number: '+12065550123' },
];

/** Subjects that break RFC 9493 §3 (missing / undescribed members, bad values) or SSF §3.3 (nesting). */
const INVALID_SUBJECTS: unknown[] = [
  {},
  { email: 'no-format@example.com' },
  { format: 'email' },
  { format: 'email', email: 'not-an-email' },
  { format: 'email', email: 'x@example.com', name: 'undescribed member' },
  { format: 'account', uri: 'mailto:x@example.com' },
  { format: 'iss_sub', iss: 'https://issuer.example.com/' },
  { format: 'opaque', id: '' },
  { format: 'phone_number', phone_number: '206-555-0100' },
  { format: 'did', url: 'example:123456' },
  { format: 'uri', uri: 'not a uri' },
  { format: 'ip-addresses', 'ip-addresses': ['not-an-ip'] },
  { format: 'aliases', identifiers: [] },
  { format: 'aliases', identifiers: [{ format: 'aliases', identifiers: [{ format: 'opaque', id: 'x' }] }] },
  { format: 'complex' },
  { format: 'complex', user: { format: 'complex', user: { format: 'opaque', id: 'x' } } },
  { format: 'complex', user: 'jane@example.com' },
  'jane@example.com',
  null,
];

describe.each(testStores())('SSF subjects and verification ($name)', (store) => {
  let t: TestApp;
  let r: TestReceiver;
  let jwks: Jwks;
  beforeAll(async () => {
    t = await startSsfApp(store.env());
    r = await createReceiver(t, { name: 'subjects receiver' });
    await enableBehaviors(t);
    jwks = await fetchJwks(t);
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  /** Polls until `n` SETs are there, checks them all, acknowledges them, and returns them decoded in order. */
  const receive = async (s: StreamConfig, n: number, token = r.token, app = t, keys = jwks): Promise<DecodedSet[]> => {
    const sets = await waitForSets(app, token, s, n);
    const decoded = checkSets(sets, { jwks: keys, aud: s.aud });
    expect(decoded).toHaveLength(n);
    await ack(app, token, s, Object.keys(sets));
    return decoded;
  };
  /** The verification SET checks of SSF §8.1.4.1 / CS: sub_id is the stream, state echoed exactly. */
  const expectVerification = (d: DecodedSet, s: StreamConfig, state: string | undefined) => {
    expect(d.type).toBe(EV.verification);
    expect(d.claims.sub_id).toEqual({ format: 'opaque', id: s.stream_id });
    expect(d.event).toEqual(state === undefined ? {} : { state });
  };

  describe('add and remove subject (SSF §8.1.3.2, §8.1.3.3)', () => {
    let s: StreamConfig;
    beforeAll(async () => {
      s = await createStream(t, r.token);
    });

    it('add answers an empty 200 and remove an empty 204 (CS stream-subject-control)', async () => {
      const subject = { format: 'email', email: 'example.user@example.com' };
      const added = await addSubject(t, r.token, s.stream_id, subject, { verified: true });
      expect(added.status).toBe(200);
      expect(added.text).toBe('');
      const removed = await removeSubject(t, r.token, s.stream_id, subject);
      expect(removed.status).toBe(204);
      expect(removed.text).toBe('');
    });

    it('accepts every RFC 9493 and SSF subject format, simple, aliases and complex', async () => {
      for (const subject of VALID_SUBJECTS) {
        expect({ subject, status: (await addSubject(t, r.token, s.stream_id, subject)).status }).toEqual({ subject, status: 200 });
        // Adding the same subject again is no error.
        expect({ subject, status: (await addSubject(t, r.token, s.stream_id, subject, { verified: false })).status }).toEqual({ subject, status: 200 });
        expect({ subject, status: (await removeSubject(t, r.token, s.stream_id, subject)).status }).toEqual({ subject, status: 204 });
      }
    });

    it('removing a subject that was never added is not an error (SSF §8.1.3.3, §9.1)', async () => {
      expect((await removeSubject(t, r.token, s.stream_id, { format: 'opaque', id: 'never-added' })).status).toBe(204);
    });

    it('400 for malformed subjects and bodies, with an OAuth-style error', async () => {
      for (const subject of INVALID_SUBJECTS) {
        const add = await addSubject(t, r.token, s.stream_id, subject);
        expect({ subject, status: add.status }).toEqual({ subject, status: 400 });
        expect(add.body.error).toBe('invalid_request');
        expect({ subject, status: (await removeSubject(t, r.token, s.stream_id, subject)).status }).toEqual({ subject, status: 400 });
      }
      const email = { format: 'email', email: 'ok@example.com' };
      expect((await call(ssfUrl(t, '/streams/subjects/add'), { method: 'POST', token: r.token, json: { stream_id: s.stream_id } })).status).toBe(400);
      expect((await call(ssfUrl(t, '/streams/subjects/add'), { method: 'POST', token: r.token, json: { subject: email } })).status).toBe(400);
      expect((await addSubject(t, r.token, s.stream_id, email, { verified: 'yes' })).status).toBe(400);
      expect((await call(ssfUrl(t, '/streams/subjects/add'), { method: 'POST', token: r.token, body: '{"stream_id":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
      expect((await call(ssfUrl(t, '/streams/subjects/remove'), { method: 'POST', token: r.token, json: { subject: email } })).status).toBe(400);
    });

    it('404 for an unknown stream', async () => {
      const email = { format: 'email', email: 'ok@example.com' };
      expect((await addSubject(t, r.token, '0123456789abcdef0123456789abcdef', email)).status).toBe(404);
      expect((await removeSubject(t, r.token, '0123456789abcdef0123456789abcdef', email)).status).toBe(404);
    });
  });

  describe('which subjects get events (SSF §7.1 default_subjects, §8.1.3.1)', () => {
    it('default ALL: every user\'s events are sent; a removed subject gets none until it is added again', async () => {
      const s = await createStream(t, r.token, { events_requested: [EV.riskLevelChange] });
      const jane = { format: 'email', email: 'all.jane@example.com' };
      await signal(t, 'high_dlp', { email: 'all.jane@example.com' });
      const first = await receive(s, 1);
      expect(first[0]!.claims.sub_id).toEqual(jane);

      expect((await removeSubject(t, r.token, s.stream_id, jane)).status).toBe(204);
      await signal(t, 'imp_travel', { email: 'all.jane@example.com' });
      // Another user's change after jane's: once it is here, jane's change was fanned out too.
      await signal(t, 'high_dlp', { email: 'all.bob@example.com' });
      const others = await receive(s, 1);
      expect(others[0]!.claims.sub_id).toEqual({ format: 'email', email: 'all.bob@example.com' });
      expect(await pollNow(t, r.token, s)).toEqual({});

      expect((await addSubject(t, r.token, s.stream_id, jane)).status).toBe(200);
      const id = await signal(t, 'high_dlp', { email: 'all.jane@example.com' }); // no level change: no event
      await call(`${t.url}/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/${id}/reset`, { method: 'POST', token: t.token });
      await t.app.ssf.idle();
      const again = await receive(s, 1);
      expect(again[0]!.claims.sub_id).toEqual(jane);
      expect(again[0]!.event.current_level).toBe('LOW');
    });

    describe('default NONE', () => {
      let none: TestApp;
      let nr: TestReceiver;
      let noneJwks: Jwks;
      beforeAll(async () => {
        none = await startSsfApp();
        await none.app.storage.accounts.updateSettings(ACCOUNT, { decayWindowSeconds: null, ssfDefaultSubjects: 'NONE' });
        nr = await createReceiver(none, { name: 'none receiver' });
        await enableBehaviors(none);
        noneJwks = await fetchJwks(none);
      });
      afterAll(() => none.close());
      const recv = (s: StreamConfig, n: number) => receive(s, n, nr.token, none, noneJwks);

      it('the metadata says NONE', async () => {
        expect((await call(`${none.url}/.well-known/ssf-configuration/ssf/${ACCOUNT}`)).body.default_subjects).toBe('NONE');
      });

      it('only users matching an added subject (email, iss_sub, complex, aliases) get events; removing stops them', async () => {
        const byEmail = await createStream(none, nr.token, { events_requested: [EV.riskLevelChange] });
        const byIssSub = await createStream(none, nr.token, { events_requested: [EV.riskLevelChange] });
        const byComplex = await createStream(none, nr.token, { events_requested: [EV.riskLevelChange] });
        const byAlias = await createStream(none, nr.token, { events_requested: [EV.riskLevelChange] });
        const nothing = await createStream(none, nr.token, { events_requested: [EV.riskLevelChange] });
        const jane = { format: 'email', email: 'jane@example.com' };
        const kim = { format: 'iss_sub', iss: 'https://idp.example.com/', sub: 'kim-1' };
        expect((await addSubject(none, nr.token, byEmail.stream_id, jane, { verified: true })).status).toBe(200);
        expect((await addSubject(none, nr.token, byIssSub.stream_id, kim)).status).toBe(200);
        expect((await addSubject(none, nr.token, byComplex.stream_id, { format: 'complex', user: jane })).status).toBe(200);
        expect((await addSubject(none, nr.token, byAlias.stream_id, { format: 'aliases', identifiers: [{ format: 'opaque', id: 'nobody' }, kim] })).status).toBe(200);

        await signal(none, 'high_dlp', { email: 'bob@example.com' }); // nobody added bob
        await signal(none, 'high_dlp', { email: 'jane@example.com' });
        await signal(none, 'high_dlp', { identifiers: [{ type: 'iss_sub', iss: 'https://idp.example.com/', sub: 'kim-1' }] });

        expect((await recv(byEmail, 1))[0]!.claims.sub_id).toEqual(jane);
        expect((await recv(byComplex, 1))[0]!.claims.sub_id).toEqual(jane);
        expect((await recv(byIssSub, 1))[0]!.claims.sub_id).toEqual(kim);
        expect((await recv(byAlias, 1))[0]!.claims.sub_id).toEqual(kim);
        for (const s of [byEmail, byIssSub, byComplex, byAlias, nothing]) expect(await pollNow(none, nr.token, s)).toEqual({});

        expect((await removeSubject(none, nr.token, byEmail.stream_id, jane)).status).toBe(204);
        await signal(none, 'imp_travel', { email: 'jane@example.com' });
        expect((await recv(byComplex, 1))[0]!.event).toMatchObject({ current_level: 'HIGH', previous_level: 'MEDIUM' });
        expect(await pollNow(none, nr.token, byEmail)).toEqual({});
      });

      it('the stream\'s own subject is always added: verification reaches a stream without subjects (SSF §8.1.4.1)', async () => {
        const s = await createStream(none, nr.token);
        expect((await requestVerification(none, nr.token, s.stream_id, 'none-state')).status).toBe(204);
        expectVerification((await recv(s, 1))[0]!, s, 'none-state');
      });
    });
  });

  describe('verification (SSF §8.1.4)', () => {
    it('204 with an empty body; the poll then returns one verification SET echoing state (CS stream-verification-poll-only)', async () => {
      const s = await createStream(t, r.token);
      const state = 'VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo=';
      const res = await requestVerification(t, r.token, s.stream_id, state);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const sets = await waitForSets(t, r.token, s, 1);
      expect(Object.keys(sets)).toHaveLength(1);
      const [jti, jws] = Object.entries(sets)[0]!;
      const d = checkSet(jws, { jwks, aud: s.aud, jti });
      expectVerification(d, s, state);
      expect(jwks.keys.map((k) => k.kid)).toContain(d.header.kid);
    });

    it('without state, the event payload carries none', async () => {
      const s = await createStream(t, r.token);
      expect((await requestVerification(t, r.token, s.stream_id)).status).toBe(204);
      expectVerification((await receive(s, 1))[0]!, s, undefined);
    });

    it('is sent even when the stream does not deliver any event type (SSF §8.1.4)', async () => {
      const s = await createStream(t, r.token, { events_requested: ['urn:example:unsupported'] });
      expect(s.events_delivered).toEqual([]);
      expect((await requestVerification(t, r.token, s.stream_id, 'anyway')).status).toBe(204);
      expectVerification((await receive(s, 1))[0]!, s, 'anyway');
    });

    it('poll-and-ack: acknowledging the first while polling returns only the second (CS stream-verification-poll-and-ack)', async () => {
      const s = await createStream(t, r.token);
      await requestVerification(t, r.token, s.stream_id, 'first');
      const first = await waitForSets(t, r.token, s, 1);
      const [jti1] = Object.keys(first);
      await requestVerification(t, r.token, s.stream_id, 'second');
      const second = await pollNow(t, r.token, s, { maxEvents: 10, ack: [jti1] });
      const decoded = checkSets(second, { jwks, aud: s.aud });
      expect(decoded.map((d) => d.event.state)).toEqual(['second']);
      expect(Object.keys(second)).not.toContain(jti1);
    });

    it('ack-only: maxEvents 0 acknowledges and returns no SETs (CS stream-verification-ack-only)', async () => {
      const s = await createStream(t, r.token);
      await requestVerification(t, r.token, s.stream_id, 'ack-only');
      const sets = await waitForSets(t, r.token, s, 1);
      const r0 = await pollNow(t, r.token, s, { maxEvents: 0, ack: Object.keys(sets) });
      expect(r0).toEqual({});
      expect(await pollNow(t, r.token, s)).toEqual({});
    });

    it('400 for a broken or invalid body (CS verification-error-invalid-body); 404 for an unknown stream', async () => {
      const s = await createStream(t, r.token);
      const broken = await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, body: '{"stream_id": ', headers: { 'content-type': 'application/json' } });
      expect(broken.status).toBe(400);
      expect(broken.body.error).toBe('invalid_request');
      expect((await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, json: { state: 'x' } })).status).toBe(400);
      expect((await call(ssfUrl(t, '/streams/verify'), { method: 'POST', token: r.token, json: { stream_id: s.stream_id, state: 42 } })).status).toBe(400);
      expect((await requestVerification(t, r.token, '0123456789abcdef0123456789abcdef', 'x')).status).toBe(404);
      expect(await pollNow(t, r.token, s)).toEqual({});
    });
  });

  describe('paused and disabled streams (SSF §8.1.2.1)', () => {
    it('paused: nothing is transmitted, not even to a waiting long poll; held SETs arrive in order once enabled', async () => {
      const s = await createStream(t, r.token);
      await requestVerification(t, r.token, s.stream_id, 'queued-before-pause');
      expect((await setStatus(t, r.token, s.stream_id, 'paused', 'maintenance')).body).toEqual({ stream_id: s.stream_id, status: 'paused', reason: 'maintenance' });
      // CS paused-stream-holds-events: the verification request still answers 204.
      expect((await requestVerification(t, r.token, s.stream_id, 'while-paused')).status).toBe(204);
      await signal(t, 'high_dlp', { email: 'paused.user@example.com' });
      expect(await pollNow(t, r.token, s)).toEqual({});
      // A long poll waiting when a SET is queued for the paused stream still returns nothing.
      const started = Date.now();
      const waiting = call(ssfUrl(t, `/poll/${s.stream_id}`), { method: 'POST', token: r.token, json: {} });
      await new Promise((res) => setTimeout(res, 200));
      await signal(t, 'imp_travel', { email: 'paused.user@example.com' });
      const long = await waiting;
      expect(long.status).toBe(200);
      expect(long.body.sets).toEqual({});
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);

      expect((await setStatus(t, r.token, s.stream_id, 'enabled')).body).toEqual({ stream_id: s.stream_id, status: 'enabled' });
      // One at a time (maxEvents 1): the order of generation, per subject as SSF §8.1.2.1 requires.
      const order: DecodedSet[] = [];
      for (let i = 0; i < 6; i++) {
        const sets = await pollNow(t, r.token, s, { maxEvents: 1 });
        if (!Object.keys(sets).length) break;
        order.push(...checkSets(sets, { jwks, aud: s.aud }));
        await ack(t, r.token, s, Object.keys(sets));
      }
      expect(order.map((d) => [d.type, d.event.state ?? d.event.current_level ?? null])).toEqual([
        [EV.verification, 'queued-before-pause'],
        [EV.verification, 'while-paused'],
        [EV.riskLevelChange, 'MEDIUM'],
        [EV.riskLevelChange, 'HIGH'],
        [EV.sessionRevoked, null],
      ]);
      // No stream-updated event: the receiver changed the status itself (reference §3.3).
      expect(order.every((d) => d.type !== EV.streamUpdated)).toBe(true);
    });

    it('disabled: nothing is transmitted or held (including SETs queued before); a new verification after re-enabling is delivered', async () => {
      const s = await createStream(t, r.token);
      await requestVerification(t, r.token, s.stream_id, 'queued-before-disable');
      expect((await setStatus(t, r.token, s.stream_id, 'disabled')).body).toEqual({ stream_id: s.stream_id, status: 'disabled' });
      expect((await requestVerification(t, r.token, s.stream_id, 'while-disabled')).status).toBe(204);
      await signal(t, 'high_dlp', { email: 'disabled.user@example.com' });
      expect(await pollNow(t, r.token, s)).toEqual({});
      expect((await setStatus(t, r.token, s.stream_id, 'enabled')).status).toBe(200);
      expect(await pollNow(t, r.token, s)).toEqual({});
      expect((await requestVerification(t, r.token, s.stream_id, 'after-enable')).status).toBe(204);
      const got = await receive(s, 1);
      expectVerification(got[0]!, s, 'after-enable');
      // Later risk changes flow again.
      await signal(t, 'imp_travel', { email: 'disabled.user@example.com' });
      const risk = await receive(s, 2);
      expect(risk.map((d) => d.type)).toEqual([EV.riskLevelChange, EV.sessionRevoked]);
      for (const d of risk) checkCaepCommon(d.event, { reasonAdminRequired: true });
    });
  });

  describe('min_verification_interval (SSF §8.1.1, §8.1.4.2)', () => {
    let slow: TestApp;
    let clock = new Date();
    let sr: TestReceiver;
    beforeAll(async () => {
      slow = await startSsfApp({ RISKWIRE_SSF_MIN_VERIFICATION_INTERVAL_SECONDS: '30' }, { now: () => clock });
      sr = await createReceiver(slow);
    });
    afterAll(() => slow.close());

    it('is published on the stream; a second request inside it gets 429 with Retry-After, and is accepted once it passed', async () => {
      const s = await createStream(slow, sr.token);
      const other = await createStream(slow, sr.token);
      expect(s.min_verification_interval).toBe(30);
      expect((await requestVerification(slow, sr.token, s.stream_id, 'one')).status).toBe(204);
      clock = new Date(clock.getTime() + 10_000);
      const limited = await requestVerification(slow, sr.token, s.stream_id, 'two');
      expect(limited.status).toBe(429);
      expect(typeof limited.body.error).toBe('string');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(20);
      // The interval is per stream.
      expect((await requestVerification(slow, sr.token, other.stream_id, 'other')).status).toBe(204);
      clock = new Date(clock.getTime() + retryAfter * 1000);
      expect((await requestVerification(slow, sr.token, s.stream_id, 'three')).status).toBe(204);
      // Exactly the accepted requests became SETs.
      const slowJwks = await fetchJwks(slow);
      const sets = await pollNow(slow, sr.token, s);
      expect(checkSets(sets, { jwks: slowJwks, aud: s.aud, now: clock }).map((d) => d.event.state)).toEqual(['one', 'three']);
    });
  });
});
