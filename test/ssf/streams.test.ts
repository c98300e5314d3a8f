/*
 * Stream management (reference §2, §3, §12.1 items 4-8; SSF §8.1.1, §8.1.2). CS modules:
 * stream-control-happy-path, error-create-stream-with-broken-input / -with-duplicate-config,
 * error-read-unknown-stream, error-update-stream-with-invalid-body, error-update-unknown-stream,
 * error-replace-stream-with-invalid-body, error-replace-unknown-stream, error-delete-unknown-stream,
 * error-read-status-of-unknown-stream, create-stream-without-delivery,
 * poll-endpoint-url-unique-per-stream. Push delivery itself is not implemented yet: only the
 * acceptance of push stream configurations is tested here.
 */
import {
  EV, ISSUER, POLL, PUBLIC_URL, PUSH, call, createReceiver, createStream, requestVerification, setStatus, ssfUrl, startSsfApp,
  type StreamConfig, type TestApp, type TestReceiver,
} from './helpers.js';
import { testStores } from '../helpers/stores.js';

/** Event types riskwire can deliver on a standard stream (any SSF/CAEP/RISC URI is acceptable to the CS). */
const KNOWN = /^https:\/\/schemas\.openid\.net\/secevent\/(ssf|caep|risc)\/event-type\/[a-z-]+$/;

describe.each(testStores())('SSF stream management ($name)', (store) => {
  let t: TestApp;
  let r: TestReceiver;
  beforeAll(async () => {
    t = await startSsfApp(store.env());
    r = await createReceiver(t, { name: 'streams receiver', audience: 'https://receiver.example/caep' });
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  const streams = (method: string, opts: { json?: unknown; body?: string; query?: string; token?: string; headers?: Record<string, string> } = {}) =>
    call(ssfUrl(t, `/streams${opts.query ?? ''}`), {
      method, token: opts.token ?? r.token,
      ...(opts.json !== undefined ? { json: opts.json } : {}),
      ...(opts.body !== undefined ? { body: opts.body, headers: { 'content-type': 'application/json', ...opts.headers } } : {}),
    });
  const read = (id: string) => streams('GET', { query: `?stream_id=${encodeURIComponent(id)}` });
  const status = (id: string) => call(ssfUrl(t, `/streams/status?stream_id=${encodeURIComponent(id)}`), { token: r.token });
  /** A stream id that existed and was deleted (how the CS obtains "unknown" ids). */
  const deletedStreamId = async () => {
    const s = await createStream(t, r.token);
    expect((await streams('DELETE', { query: `?stream_id=${s.stream_id}` })).status).toBe(204);
    return s.stream_id;
  };
  const expectStreamConfig = (s: StreamConfig) => {
    // CS required fields after create: stream_id, iss, aud, events_delivered, delivery (SSF §8.1.1).
    expect(typeof s.stream_id).toBe('string');
    expect(s.stream_id).toMatch(/^[A-Za-z0-9._~-]+$/); // RFC 3986 unreserved (SHOULD)
    expect(s.iss).toBe(ISSUER); // SSF §8.1.1.1.1: receivers MUST check it matches the metadata issuer
    expect(s.aud).toBe('https://receiver.example/caep');
    expect(Array.isArray(s.events_delivered)).toBe(true);
    expect(s.delivery).toEqual(expect.objectContaining({ method: expect.stringMatching(/^urn:ietf:rfc:893[56]$/) }));
    expect(Array.isArray(s.events_supported)).toBe(true);
    for (const e of s.events_supported!) expect(e).toMatch(KNOWN);
    // events_delivered ⊆ events_supported (∩ events_requested when given).
    for (const e of s.events_delivered) expect(s.events_supported).toContain(e);
    if (s.events_requested) for (const e of s.events_delivered) expect(s.events_requested).toContain(e);
    if ('min_verification_interval' in s) expect(Number.isInteger(s.min_verification_interval)).toBe(true);
  };
  const expectPollDelivery = (s: StreamConfig) => {
    expect(s.delivery.method).toBe(POLL);
    expect(typeof s.delivery.endpoint_url).toBe('string');
    expect(s.delivery.endpoint_url!.startsWith(`${PUBLIC_URL}/`)).toBe(true);
    expect(s.delivery.endpoint_url).toMatch(/^https:\/\//);
  };

  describe('create (SSF §8.1.1.1)', () => {
    it('201 with the full configuration; receiver-supplied values kept, events_delivered computed', async () => {
      const res = await streams('POST', {
        json: { delivery: { method: POLL }, events_requested: [EV.riskLevelChange, EV.sessionRevoked], description: 'Stream for the SOC' },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
      const s = res.body as StreamConfig;
      expectStreamConfig(s);
      expectPollDelivery(s);
      expect(s.events_requested).toEqual([EV.riskLevelChange, EV.sessionRevoked]);
      expect([...s.events_delivered].sort()).toEqual([EV.riskLevelChange, EV.sessionRevoked].sort());
      expect(s.description).toBe('Stream for the SOC');
      // riskwire's primary event is on offer, and at least one CAEP-interop event (CS CAEPIOP-3, reference §12.1 item 15).
      expect(s.events_supported).toContain(EV.riskLevelChange);
      expect(s.events_supported!.filter((e) => [EV.sessionRevoked, EV.deviceComplianceChange, 'https://schemas.openid.net/secevent/caep/event-type/credential-change'].includes(e)).length).toBeGreaterThan(0);
    });

    it('without delivery: poll, with a transmitter-supplied endpoint_url (SSF §8.1.1.1; CS create-stream-without-delivery)', async () => {
      const res = await streams('POST', { json: {} });
      expect(res.status).toBe(201);
      expectStreamConfig(res.body);
      expectPollDelivery(res.body);
      // Nothing requested: everything supported is delivered.
      expect([...res.body.events_delivered].sort()).toEqual([...res.body.events_supported].sort());
    });

    it('every stream gets its own stream_id and its own poll endpoint_url (SSF §6.1.2, §8.1.1.1)', async () => {
      const body = { delivery: { method: POLL }, description: 'same config twice' };
      const [x, y] = [await streams('POST', { json: body }), await streams('POST', { json: body })];
      // CS error-create-stream-with-duplicate-config: the second is 201 (multiple streams) or 409.
      expect(x.status).toBe(201);
      expect(y.status).toBe(201);
      expect(x.body.stream_id).not.toBe(y.body.stream_id);
      expect(x.body.delivery.endpoint_url).not.toBe(y.body.delivery.endpoint_url);
      // A poll delivery endpoint_url the receiver sends is transmitter-supplied: ignored.
      const given = await streams('POST', { json: { delivery: { method: POLL, endpoint_url: 'https://receiver.example/elsewhere' } } });
      expect(given.status).toBe(201);
      expectPollDelivery(given.body);
    });

    it('ignores event types it does not understand in events_requested (SSF §8.1.1: MUST ignore)', async () => {
      const res = await streams('POST', { json: { events_requested: [EV.riskLevelChange, 'urn:example:secevent:events:type_4'] } });
      expect(res.status).toBe(201);
      expect(res.body.events_delivered).toEqual([EV.riskLevelChange]);
    });

    it('ignores transmitter-supplied values in the create body (reference §14 item 11)', async () => {
      const res = await streams('POST', {
        json: {
          stream_id: 'chosen-by-receiver', iss: 'https://evil.example', aud: 'https://someone-else.example',
          events_supported: ['urn:x'], events_delivered: ['urn:x'], min_verification_interval: 1, inactivity_timeout: 5,
          delivery: { method: POLL },
        },
      });
      expect(res.status).toBe(201);
      expectStreamConfig(res.body);
      expect(res.body.stream_id).not.toBe('chosen-by-receiver');
      expect(res.body.events_delivered).not.toContain('urn:x');
      expect((await read('chosen-by-receiver')).status).toBe(404);
    });

    it('400 for a body that is not JSON, not an object, or has badly typed members (CS error-create-stream-with-broken-input)', async () => {
      const before = (await streams('GET')).body.length;
      for (const body of [';{ broken', '{"delivery": ', '[]', '"text"', 'null']) {
        const res = await streams('POST', { body });
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(typeof res.body.error).toBe('string');
      }
      for (const json of [{ events_requested: 'all' }, { events_requested: [1] }, { delivery: 'poll' }, { delivery: {} }, { description: 7 }]) {
        expect({ json, status: (await streams('POST', { json })).status }).toEqual({ json, status: 400 });
      }
      expect((await streams('GET')).body.length).toBe(before);
    });

    it('accepts a push stream with an https endpoint_url, and keeps the authorization_header secret', async () => {
      const res = await streams('POST', {
        json: { delivery: { method: PUSH, endpoint_url: 'https://192.0.2.10/ssf/events', authorization_header: 'Bearer push-secret' } },
      });
      expect(res.status).toBe(201);
      expectStreamConfig(res.body);
      expect(res.body.delivery).toMatchObject({ method: PUSH, endpoint_url: 'https://192.0.2.10/ssf/events' });
      expect(res.text).not.toContain('push-secret');
      expect((await read(res.body.stream_id)).text).not.toContain('push-secret');
    });

    it('rejects push streams without a usable endpoint_url, and unknown delivery methods, with 400', async () => {
      const before = (await streams('GET')).body.length;
      const bad = [
        { method: PUSH },
        { method: PUSH, endpoint_url: 'not a url' },
        { method: PUSH, endpoint_url: 'http://192.0.2.10/events' }, // push must use TLS (RFC 8935 §2.1)
        { method: PUSH, endpoint_url: 'https://127.0.0.1/events' }, // loopback (SSRF) unless private networks are allowed
        { method: PUSH, endpoint_url: 'https://10.1.2.3/events' },
        { method: PUSH, endpoint_url: 'https://[::1]/events' },
        { method: PUSH, endpoint_url: 'https://user:pw@192.0.2.10/events' },
        { method: 'urn:example:carrier-pigeon' },
      ];
      for (const delivery of bad) {
        const res = await streams('POST', { json: { delivery } });
        expect({ delivery, status: res.status }).toEqual({ delivery, status: 400 });
        expect(res.body.error).toBe('invalid_request');
      }
      expect((await streams('GET')).body.length).toBe(before);
    });
  });

  describe('read (SSF §8.1.1.2)', () => {
    it('one stream by stream_id: 200 with the same configuration create returned', async () => {
      const s = await createStream(t, r.token, { events_requested: [EV.riskLevelChange], description: 'read me' });
      const res = await read(s.stream_id);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(res.headers.get('cache-control')).toMatch(/no-store/);
      expect(res.body).toEqual(s);
    });

    it('without stream_id: a JSON array of this receiver\'s streams, [] when it has none', async () => {
      const fresh = await createReceiver(t, { name: 'fresh' });
      const empty = await streams('GET', { token: fresh.token });
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual([]);
      const one = await createStream(t, fresh.token);
      const list1 = await streams('GET', { token: fresh.token });
      expect(list1.body).toEqual([one]); // an array even with one stream
      const two = await createStream(t, fresh.token);
      const list2 = (await streams('GET', { token: fresh.token })).body as StreamConfig[];
      expect(list2.map((s) => s.stream_id).sort()).toEqual([one.stream_id, two.stream_id].sort());
      for (const s of list2) expect(s.iss).toBe(ISSUER);
    });

    it('404 for an unknown or deleted stream_id (CS error-read-unknown-stream)', async () => {
      for (const id of ['0123456789abcdef0123456789abcdef', await deletedStreamId()]) {
        const res = await read(id);
        expect(res.status).toBe(404);
        expect(typeof res.body.error).toBe('string');
      }
    });
  });

  describe('update — PATCH (SSF §8.1.1.3)', () => {
    let s: StreamConfig;
    beforeEach(async () => {
      s = await createStream(t, r.token, { events_requested: [EV.riskLevelChange, EV.sessionRevoked], description: 'before' });
    });

    it('changes only what the body carries; everything else is kept, and the whole config is returned', async () => {
      const res = await streams('PATCH', { json: { stream_id: s.stream_id, description: 'after' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...s, description: 'after' });
      expect((await read(s.stream_id)).body).toEqual({ ...s, description: 'after' });
    });

    it('a new events_requested recomputes events_delivered', async () => {
      const res = await streams('PATCH', { json: { stream_id: s.stream_id, events_requested: [EV.riskLevelChange] } });
      expect(res.status).toBe(200);
      expect(res.body.events_requested).toEqual([EV.riskLevelChange]);
      expect(res.body.events_delivered).toEqual([EV.riskLevelChange]);
      expect(res.body.description).toBe('before');
      expect((await read(s.stream_id)).body.events_delivered).toEqual([EV.riskLevelChange]);
    });

    it('accepts the CS body: poll delivery without endpoint_url keeps the transmitter\'s poll URL', async () => {
      const res = await streams('PATCH', {
        json: { stream_id: s.stream_id, description: 'cs', events_requested: [EV.riskLevelChange], delivery: { method: POLL } },
      });
      expect(res.status).toBe(200);
      expect(res.body.delivery).toEqual(s.delivery);
      expect(res.body.iss).toBe(ISSUER);
    });

    it('accepts transmitter-supplied values that match; events_delivered is compared with the value before the update', async () => {
      const res = await streams('PATCH', {
        json: {
          stream_id: s.stream_id, iss: s.iss, aud: s.aud, events_supported: s.events_supported, events_delivered: s.events_delivered,
          min_verification_interval: s.min_verification_interval, events_requested: [EV.riskLevelChange],
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.events_delivered).toEqual([EV.riskLevelChange]);
    });

    it('400 when a transmitter-supplied value does not match (aud is immutable), and nothing changes', async () => {
      const mismatches = [
        { aud: 'https://other-receiver.example' },
        { aud: [s.aud, 'https://other-receiver.example'] },
        { iss: 'https://evil.example/ssf/acme' },
        { events_delivered: [EV.sessionRevoked] },
        { events_supported: [EV.riskLevelChange] },
        { min_verification_interval: 3600 },
      ];
      for (const m of mismatches) {
        const res = await streams('PATCH', { json: { stream_id: s.stream_id, description: 'should not stick', ...m } });
        expect({ m, status: res.status }).toEqual({ m, status: 400 });
        expect(res.body.error).toBe('invalid_request');
      }
      expect((await read(s.stream_id)).body).toEqual(s);
    });

    it('400 without stream_id or with a broken body (CS error-update-stream-with-invalid-body); 404 for unknown streams', async () => {
      expect((await streams('PATCH', { json: { description: 'no id' } })).status).toBe(400);
      expect((await streams('PATCH', { body: `{"stream_id": "${s.stream_id}", ` })).status).toBe(400);
      expect((await streams('PATCH', { json: { stream_id: s.stream_id, events_requested: 'everything' } })).status).toBe(400);
      expect((await streams('PATCH', { json: { stream_id: s.stream_id, delivery: { method: PUSH } } })).status).toBe(400);
      expect((await read(s.stream_id)).body).toEqual(s);
      for (const id of ['0123456789abcdef0123456789abcdef', await deletedStreamId()]) {
        expect((await streams('PATCH', { json: { stream_id: id, description: 'x' } })).status).toBe(404);
      }
    });

    it('can switch a stream to push and back to poll', async () => {
      const push = await streams('PATCH', { json: { stream_id: s.stream_id, delivery: { method: PUSH, endpoint_url: 'https://192.0.2.10/events' } } });
      expect(push.status).toBe(200);
      expect(push.body.delivery).toEqual({ method: PUSH, endpoint_url: 'https://192.0.2.10/events' });
      const back = await streams('PATCH', { json: { stream_id: s.stream_id, delivery: { method: POLL } } });
      expect(back.status).toBe(200);
      expect(back.body.delivery).toEqual(s.delivery);
    });
  });

  describe('replace — PUT (SSF §8.1.1.4)', () => {
    let s: StreamConfig;
    beforeEach(async () => {
      s = await createStream(t, r.token, { events_requested: [EV.riskLevelChange], description: 'original' });
    });

    it('replaces every receiver-supplied value; missing ones are deleted (delivery defaults to poll)', async () => {
      const res = await streams('PUT', { json: { stream_id: s.stream_id, events_requested: [EV.sessionRevoked] } });
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('description');
      expect(res.body.events_requested).toEqual([EV.sessionRevoked]);
      expect(res.body.events_delivered).toEqual([EV.sessionRevoked]);
      expect(res.body.delivery).toEqual(s.delivery);
      expect(res.body).toMatchObject({ stream_id: s.stream_id, iss: ISSUER, aud: s.aud });
      expect((await read(s.stream_id)).body).toEqual(res.body);
    });

    it('without events_requested, everything supported is delivered again', async () => {
      const res = await streams('PUT', { json: { stream_id: s.stream_id, delivery: { method: POLL }, description: 'all events' } });
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('events_requested');
      expect([...res.body.events_delivered].sort()).toEqual([...res.body.events_supported].sort());
      expect(res.body.description).toBe('all events');
    });

    it('400 for mismatching transmitter-supplied values, a missing stream_id or a broken body; 404 for unknown streams', async () => {
      for (const m of [{ aud: 'https://other.example' }, { iss: 'https://evil.example' }, { events_delivered: [] }]) {
        expect({ m, status: (await streams('PUT', { json: { stream_id: s.stream_id, ...m } })).status }).toEqual({ m, status: 400 });
      }
      expect((await streams('PUT', { json: { description: 'no id' } })).status).toBe(400);
      expect((await streams('PUT', { body: ';{ broken' })).status).toBe(400);
      expect((await read(s.stream_id)).body).toEqual(s);
      for (const id of ['0123456789abcdef0123456789abcdef', await deletedStreamId()]) {
        expect((await streams('PUT', { json: { stream_id: id } })).status).toBe(404);
      }
    });
  });

  describe('delete (SSF §8.1.1.5)', () => {
    it('204 with an empty body; afterwards the stream is 404 everywhere', async () => {
      const s = await createStream(t, r.token);
      const del = await streams('DELETE', { query: `?stream_id=${s.stream_id}` });
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      const id = s.stream_id;
      const checks = [
        await read(id),
        await streams('PATCH', { json: { stream_id: id, description: 'x' } }),
        await streams('PUT', { json: { stream_id: id } }),
        await streams('DELETE', { query: `?stream_id=${id}` }),
        await status(id),
        await setStatus(t, r.token, id, 'enabled'),
        await requestVerification(t, r.token, id, 'x'),
        await call(ssfUrl(t, '/streams/subjects/add'), { method: 'POST', token: r.token, json: { stream_id: id, subject: { format: 'email', email: 'a@example.com' } } }),
        await call(ssfUrl(t, '/streams/subjects/remove'), { method: 'POST', token: r.token, json: { stream_id: id, subject: { format: 'email', email: 'a@example.com' } } }),
        await call(ssfUrl(t, `/poll/${id}`), { method: 'POST', token: r.token, json: { returnImmediately: true } }),
      ];
      expect(checks.map((c) => c.status)).toEqual(Array(checks.length).fill(404));
      expect((await streams('GET')).body.map((x: StreamConfig) => x.stream_id)).not.toContain(id);
    });

    it('works on a disabled or paused stream', async () => {
      for (const st of ['disabled', 'paused']) {
        const s = await createStream(t, r.token);
        expect((await setStatus(t, r.token, s.stream_id, st)).status).toBe(200);
        expect((await streams('DELETE', { query: `?stream_id=${s.stream_id}` })).status).toBe(204);
        expect((await read(s.stream_id)).status).toBe(404);
      }
    });

    it('400 without stream_id (it is a required query parameter); 404 for an unknown one', async () => {
      expect((await streams('DELETE')).status).toBe(400);
      expect((await streams('DELETE', { query: '?stream_id=0123456789abcdef0123456789abcdef' })).status).toBe(404);
    });
  });

  describe('status (SSF §8.1.2)', () => {
    it('a new stream is enabled; GET returns stream_id and status', async () => {
      const s = await createStream(t, r.token);
      const res = await status(s.stream_id);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(res.body).toEqual({ stream_id: s.stream_id, status: 'enabled' });
    });

    it('POST enabled, paused, disabled and back: 200 echoing the status and reason; GET agrees (CS happy path order)', async () => {
      const s = await createStream(t, r.token);
      for (const [st, reason] of [['enabled', undefined], ['paused', 'SYSTEM_DOWN_FOR_MAINTENANCE'], ['disabled', 'no longer needed'], ['enabled', undefined], ['paused', undefined], ['enabled', 'back']] as const) {
        // The CS appends ?stream_id= to the status URL on POST as well: accepted.
        const res = await call(ssfUrl(t, `/streams/status?stream_id=${s.stream_id}`), { method: 'POST', token: r.token, json: { stream_id: s.stream_id, status: st, ...(reason ? { reason } : {}) } });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ stream_id: s.stream_id, status: st, ...(reason ? { reason } : {}) });
        expect((await status(s.stream_id)).body).toEqual(res.body);
      }
      expect((await streams('DELETE', { query: `?stream_id=${s.stream_id}` })).status).toBe(204);
    });

    it('400 for an unknown status value, a missing stream_id or a broken body; 404 for unknown streams (CS error-read-status-of-unknown-stream)', async () => {
      const s = await createStream(t, r.token);
      expect((await setStatus(t, r.token, s.stream_id, 'stopped')).status).toBe(400);
      expect((await call(ssfUrl(t, '/streams/status'), { method: 'POST', token: r.token, json: { status: 'paused' } })).status).toBe(400);
      expect((await call(ssfUrl(t, '/streams/status'), { method: 'POST', token: r.token, body: '{"stream_id":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
      expect((await call(ssfUrl(t, '/streams/status'), { token: r.token })).status).toBe(400);
      expect((await status(s.stream_id)).body.status).toBe('enabled');
      for (const id of ['0123456789abcdef0123456789abcdef', await deletedStreamId()]) {
        expect((await status(id)).status).toBe(404);
        expect((await setStatus(t, r.token, id, 'paused')).status).toBe(404);
      }
    });
  });

  describe('with private networks allowed (local development)', () => {
    let dev: TestApp;
    let devReceiver: TestReceiver;
    beforeAll(async () => {
      dev = await startSsfApp({ RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true' });
      devReceiver = await createReceiver(dev);
    });
    afterAll(() => dev.close());

    it('accepts an http or loopback push endpoint_url, but still no other scheme', async () => {
      for (const endpoint_url of ['http://127.0.0.1:9/events', 'https://localhost:9443/events']) {
        const res = await call(ssfUrl(dev, '/streams'), { method: 'POST', token: devReceiver.token, json: { delivery: { method: PUSH, endpoint_url } } });
        expect(res.status).toBe(201);
        expect(res.body.delivery).toEqual({ method: PUSH, endpoint_url });
      }
      const ftp = await call(ssfUrl(dev, '/streams'), { method: 'POST', token: devReceiver.token, json: { delivery: { method: PUSH, endpoint_url: 'ftp://127.0.0.1/x' } } });
      expect(ftp.status).toBe(400);
    });
  });
});
