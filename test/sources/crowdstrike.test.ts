import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { testStores } from '../helpers/stores.js';

/*
 * CrowdStrike Falcon webhooks end to end (vendors reference §4): the real app, a crowdstrike
 * source, requests signed here with node:crypto (never with the adapter's code, STYLE §14),
 * fixtures from the reference's sample payloads (§4.2, §4.4; the legacy DetectionSummaryEvent has
 * no sample there and is built from the §4.2 table).
 */

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'crowdstrike');
const fixture = (name: string): any => JSON.parse(fs.readFileSync(path.join(fixtures, `${name}.json`), 'utf8'));
const rand = () => randomBytes(6).toString('hex');

let t: TestApp;
let source: { id: string; secret: string; webhook_url: string };

/** §4.3 variant 1: base64(HMAC-SHA256(secret, body ‖ timestamp)). */
const base64Variant = (secret: string, body: string, ts: string) => createHmac('sha256', secret).update(body + ts).digest('base64');
/** §4.3 variant 2: hex(HMAC-SHA256(secret, timestamp ‖ body)). */
const hexVariant = (secret: string, body: string, ts: string) => createHmac('sha256', secret).update(ts + body).digest('hex');

async function post(body: unknown, opts: { variant?: 'base64' | 'hex'; ts?: string; signature?: string; secret?: string; to?: string; header?: string } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const ts = opts.ts ?? String(Math.floor(Date.now() / 1000));
  const secret = opts.secret ?? source.secret;
  const signature = opts.signature ?? (opts.variant === 'hex' ? hexVariant : base64Variant)(secret, raw, ts);
  return call(`${t.url}/sources/acme/${opts.to ?? source.id}`, {
    method: 'POST', body: raw,
    headers: { 'content-type': 'application/json', [opts.header ?? 'X-CS-Primary-Signature']: signature, 'X-Cs-Delivery-Timestamp': ts, 'X-Cs-Signature-Algorithm': 'HMAC-SHA256' },
  });
}

type Kind = 'email' | 'upn' | 'windows_account' | 'edr_user';
const userId = (kind: Kind, value: string) => t.app.storage.users.findByIdentifier('acme', { kind, value: kind === 'edr_user' ? value : value.toLowerCase() });
/** The user an identifier names, once scored (the user is created and the event recorded in two writes). */
const levelOf = (kind: Kind, value: string) =>
  eventually(async () => {
    const id = await userId(kind, value);
    const u = id ? await t.app.storage.users.get('acme', id) : null;
    return u && u.eventCount > 0 ? u : undefined;
  });
const events = async (id = source.id) => (await call(`${t.url}/client/v4/accounts/acme/sources/${id}/events?limit=1000`, { token: t.token })).body.result as Array<{ event_id: string; kind: string; outcome: string }>;
const eventOf = (eventId: string) => eventually(async () => (await events()).find((e) => e.event_id === eventId && !e.outcome.startsWith('received')));
const riskEvents = async (uid: string) => (await t.app.storage.risk.listEvents('acme', uid, { page: 1, perPage: 100, orderBy: 'timestamp', direction: 'desc' })).events;

/** The Epp sample with a fresh detection id and user, so tests never share state. */
function epp(over: Record<string, unknown> = {}) {
  const f = fixture('epp-detection-summary');
  f.event.CompositeId = `${f.event.CompositeId}-${rand()}`;
  f.event.UserName = `admin-${rand()}`;
  Object.assign(f.event, over);
  return f;
}

async function createSource(settings: Record<string, unknown> = {}) {
  const r = await call(`${t.url}/client/v4/accounts/acme/sources`, { method: 'POST', token: t.token, json: { type: 'crowdstrike', name: `falcon-${rand()}`, settings } });
  expect(r.status).toBe(201);
  return r.body.result as { id: string; secret: string; webhook_url: string; settings: Record<string, unknown> };
}

describe.each(testStores())('CrowdStrike Falcon webhooks ($name)', (store) => {
  beforeAll(async () => {
    t = await startTestApp(store.env());
    source = await createSource();
    const r = await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, {
      method: 'PUT', token: t.token,
      json: { behaviors: {
        crowdstrike_detection_high: { enabled: true, risk_level: 'medium' },
        crowdstrike_detection_critical: { enabled: true, risk_level: 'high' },
        crowdstrike_zta_low: { enabled: true, risk_level: 'high' },
        crowdstrike_zta_medium: { enabled: true, risk_level: 'low' },
      } },
    });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await store.cleanup();
  });

  describe('creating a CrowdStrike source', () => {
    test('returns the webhook URL and a secret long enough for the Webhook action (§4.3: ≥ 32 chars), with default settings', async () => {
      expect(source.webhook_url).toMatch(new RegExp(`/sources/acme/${source.id}$`));
      expect(source.secret.length).toBeGreaterThanOrEqual(32);
      const s = await createSource();
      expect(s.settings).toEqual({ replay_window_seconds: 300, signature_header: 'X-CS-Primary-Signature', upn_is_email: true });
    });

    test('invalid settings are refused naming the setting', async () => {
      const r = await call(`${t.url}/client/v4/accounts/acme/sources`, { method: 'POST', token: t.token, json: { type: 'crowdstrike', name: 'x', settings: { replay_window_seconds: 7200 } } });
      expect(r.status).toBe(400);
      expect(r.text).toContain('replay_window_seconds');
    });
  });

  describe('authentication (§4.3)', () => {
    test('variant base64(HMAC(body ‖ timestamp)) with epoch seconds → 204 and the user is scored', async () => {
      const f = epp();
      expect((await post(f, { variant: 'base64' })).status).toBe(204);
      const u = await levelOf('windows_account', `CISO-DUMMY-CSDEV\\${f.event.UserName}`);
      expect(u.level).toBe('medium');
    });

    test('variant hex(HMAC(timestamp ‖ body)) → 204 and scored; upper-case hex too', async () => {
      const f = epp();
      expect((await post(f, { variant: 'hex' })).status).toBe(204);
      expect((await levelOf('windows_account', `CISO-DUMMY-CSDEV\\${f.event.UserName}`)).level).toBe('medium');
      const g = epp();
      const ts = String(Math.floor(Date.now() / 1000));
      expect((await post(g, { ts, signature: hexVariant(source.secret, JSON.stringify(g), ts).toUpperCase() })).status).toBe(204);
    });

    test('timestamps in epoch milliseconds and ISO 8601 are accepted', async () => {
      expect((await post(epp(), { ts: String(Date.now()) })).status).toBe(204);
      expect((await post(epp(), { ts: new Date().toISOString().replace(/\.\d+Z$/, 'Z') })).status).toBe(204);
    });

    test('a wrong signature, a crossed variant, a missing header → 401 with nothing but a generic message', async () => {
      const f = epp();
      const raw = JSON.stringify(f);
      const ts = String(Math.floor(Date.now() / 1000));
      const wrongs = [
        await post(f, { secret: 'not-the-secret-not-the-secret-not' }),
        await post(f, { ts, signature: createHmac('sha256', source.secret).update(raw + ts).digest('hex') }),
        await post(f, { ts, signature: createHmac('sha256', source.secret).update(ts + raw).digest('base64') }),
        await post(f, { signature: '' }),
        await call(`${t.url}/sources/acme/${source.id}`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json' } }),
      ];
      for (const r of wrongs) {
        expect(r.status).toBe(401);
        expect(r.text).not.toMatch(/signature|hmac|timestamp|replay|mismatch|secret/i);
      }
      expect(await userId('windows_account', `CISO-DUMMY-CSDEV\\${f.event.UserName}`)).toBeNull();
      // Each refusal is counted for the operator (the issue: 401 without detail, and a metric).
      expect((await call(`${t.url}/metrics`)).text).toMatch(/riskwire_source_auth_failures_total\{type="crowdstrike"\} ([5-9]|\d\d+)/);
    });

    test('a body over the limit → 413 before any verification, nothing recorded', async () => {
      const before = (await call(`${t.url}/client/v4/accounts/acme/sources/${source.id}/events?limit=1000`, { token: t.token })).body.result.length;
      const f = epp();
      (f.event as Record<string, unknown>).Padding = 'x'.repeat(2 * 1024 * 1024);
      const r = await post(f);
      expect(r.status).toBe(413);
      expect((await call(`${t.url}/client/v4/accounts/acme/sources/${source.id}/events?limit=1000`, { token: t.token })).body.result.length).toBe(before);
    });

    test('a stale or far-future timestamp → 401 even when signed correctly', async () => {
      expect((await post(epp(), { ts: String(Math.floor(Date.now() / 1000) - 600) })).status).toBe(401);
      expect((await post(epp(), { ts: String(Math.floor(Date.now() / 1000) + 600) })).status).toBe(401);
      expect((await post(epp(), { ts: 'yesterday' })).status).toBe(401);
    });

    test('the same signed request replayed → 401', async () => {
      const f = epp();
      const ts = String(Math.floor(Date.now() / 1000));
      const signature = base64Variant(source.secret, JSON.stringify(f), ts);
      expect((await post(f, { ts, signature })).status).toBe(204);
      expect((await post(f, { ts, signature })).status).toBe(401);
    });

    test('a replayed request whose body was refused is refused as a replay: 400, then 401, one rejection recorded', async () => {
      const before = (await events()).filter((e) => e.kind === 'rejected').length;
      const f = epp();
      delete (f.event as Record<string, unknown>).CompositeId;
      const ts = String(Math.floor(Date.now() / 1000));
      const signature = base64Variant(source.secret, JSON.stringify(f), ts);
      const first = await post(f, { ts, signature });
      expect(first.status).toBe(400);
      expect(first.text).toContain('event.CompositeId');
      expect((await post(f, { ts, signature })).status).toBe(401);
      expect((await events()).filter((e) => e.kind === 'rejected').length).toBe(before + 1);
    });

    test('the replay window and the signature header name are per-source settings', async () => {
      const s = await createSource({ replay_window_seconds: 60, signature_header: 'X-Falcon-Sig' });
      const old = String(Math.floor(Date.now() / 1000) - 120);
      expect((await post(epp(), { to: s.id, secret: s.secret, header: 'X-Falcon-Sig' })).status).toBe(204);
      expect((await post(epp(), { to: s.id, secret: s.secret, header: 'X-Falcon-Sig', ts: old })).status).toBe(401);
      expect((await post(epp(), { to: s.id, secret: s.secret })).status).toBe(401);
    });

    test('a source changed while this process keeps it: the old secret is refused, the new one and new settings apply at once, a deleted source is 404', async () => {
      // The API's changes reach the webhook path only through the store, as changes by the CLI
      // or another instance do: the path keeps what it read and confirms it in its write.
      const s = await createSource();
      const f = epp();
      expect((await post(f, { to: s.id, secret: s.secret })).status).toBe(204);
      const rotated = await call(`${t.url}/client/v4/accounts/acme/sources/${s.id}`, { method: 'PATCH', token: t.token, json: { rotate_secret: true } });
      expect(rotated.status).toBe(200);
      // A malformed body under the old secret, first after the rotation: refused as unauthenticated,
      // and no rejection recorded for it (the refusal's record is confirmed like any delivery).
      const malformed = epp();
      delete (malformed.event as Record<string, unknown>).CompositeId;
      expect((await post(malformed, { to: s.id, secret: s.secret })).status).toBe(401);
      expect((await events(s.id)).filter((e) => e.kind === 'rejected')).toEqual([]);
      expect((await call(`${t.url}/client/v4/accounts/acme/sources/${s.id}`, { method: 'PATCH', token: t.token, json: { rotate_secret: true } })).status).toBe(200);
      const stale = epp();
      expect((await post(stale, { to: s.id, secret: rotated.body.result.secret })).status).toBe(401);
      expect((await events(s.id)).map((e) => e.event_id)).not.toContain(`detection:${stale.event.CompositeId}`);
      const current = (await call(`${t.url}/client/v4/accounts/acme/sources/${s.id}`, { method: 'PATCH', token: t.token, json: { rotate_secret: true } })).body.result.secret as string;
      expect((await post(epp(), { to: s.id, secret: current })).status).toBe(204);
      // New settings: a delivery signed under the old signature header is refused at once.
      expect((await call(`${t.url}/client/v4/accounts/acme/sources/${s.id}`, { method: 'PATCH', token: t.token, json: { settings: { signature_header: 'X-Falcon-Sig' } } })).status).toBe(200);
      expect((await post(epp(), { to: s.id, secret: current })).status).toBe(401);
      expect((await post(epp(), { to: s.id, secret: current, header: 'X-Falcon-Sig' })).status).toBe(204);
      expect((await call(`${t.url}/client/v4/accounts/acme/sources/${s.id}`, { method: 'DELETE', token: t.token })).status).toBe(200);
      expect((await post(epp(), { to: s.id, secret: current, header: 'X-Falcon-Sig' })).status).toBe(404);
    });
  });

  describe('idempotency', () => {
    test('the same detection in a new, freshly signed request → 204 but scored once', async () => {
      const f = epp({ Severity: 90, SeverityName: 'Critical' });
      expect((await post(f, { ts: String(Math.floor(Date.now() / 1000)) })).status).toBe(204);
      const uid = await eventually(() => userId('windows_account', `CISO-DUMMY-CSDEV\\${f.event.UserName}`));
      await eventOf(`detection:${f.event.CompositeId}`);
      const again = { ...f, metadata: { ...f.metadata, offset: f.metadata.offset + 1 } };
      expect((await post(again, { ts: String(Math.floor(Date.now() / 1000) - 1) })).status).toBe(204);
      await new Promise((r) => setTimeout(r, 150));
      expect((await events()).filter((e) => e.event_id === `detection:${f.event.CompositeId}`)).toHaveLength(1);
      expect(await riskEvents(uid)).toHaveLength(1);
      expect((await t.app.storage.users.get('acme', uid))!.eventCount).toBe(1);
    });
  });

  describe('Event Streams events (§4.2)', () => {
    test('EppDetectionSummaryEvent: severity 70 "High" → crowdstrike_detection_high; Falcon link and detection id kept in details', async () => {
      const f = epp();
      expect((await post(f)).status).toBe(204);
      const u = await levelOf('windows_account', `CISO-DUMMY-CSDEV\\${f.event.UserName}`);
      const [e] = await riskEvents(u.id);
      expect(e!.behaviorId).toBe('crowdstrike_detection_high');
      expect(e!.source).toBe('crowdstrike');
      expect(e!.details).toMatchObject({ falcon_link: f.event.FalconHostLink, detection_id: f.event.CompositeId, event_type: 'EppDetectionSummaryEvent', severity: 70, severity_level: 'high', host: 'CISO-DUMMY-CSDEV' });
      expect((await eventOf(`detection:${f.event.CompositeId}`)).outcome).toBe(`scored: crowdstrike_detection_high for user ${u.id}`);
    });

    test('the EPPDetectionSummaryEvent spelling and a numeric severity without a name (0-100 scale): 85 → critical', async () => {
      const f = epp({ Severity: 85 });
      delete f.event.SeverityName;
      f.metadata.eventType = 'EPPDetectionSummaryEvent';
      expect((await post(f)).status).toBe(204);
      const u = await levelOf('windows_account', `CISO-DUMMY-CSDEV\\${f.event.UserName}`);
      expect(u.level).toBe('high');
      expect((await riskEvents(u.id))[0]!.behaviorId).toBe('crowdstrike_detection_critical');
    });

    test('low and medium severity are recorded and ignored with the reason; no user is created', async () => {
      const low = epp({ Severity: 30, SeverityName: 'Low' });
      const medium = epp({ Severity: 50 });
      delete medium.event.SeverityName;
      expect((await post(low)).status).toBe(204);
      expect((await post(medium)).status).toBe(204);
      expect((await eventOf(`detection:${low.event.CompositeId}`)).outcome).toBe('ignored: severity low is not scored');
      expect((await eventOf(`detection:${medium.event.CompositeId}`)).outcome).toBe('ignored: severity medium is not scored');
      expect(await userId('windows_account', `CISO-DUMMY-CSDEV\\${low.event.UserName}`)).toBeNull();
    });

    test('legacy DetectionSummaryEvent on the 1-5 scale: the sample (2, Low) is ignored; 4 → high, 5 → critical', async () => {
      const sample = fixture('detection-summary');
      sample.event.DetectId += rand();
      expect((await post(sample)).status).toBe(204);
      expect((await eventOf(`detection:${sample.event.DetectId}`)).outcome).toBe('ignored: severity low is not scored');
      for (const [severity, behavior] of [[4, 'crowdstrike_detection_high'], [5, 'crowdstrike_detection_critical']] as const) {
        const f = fixture('detection-summary');
        f.event.DetectId += rand();
        f.event.UserName = `jdoe-${rand()}`;
        f.event.Severity = severity;
        delete f.event.SeverityName;
        expect((await post(f)).status).toBe(204);
        const u = await levelOf('windows_account', `ACME\\${f.event.UserName}`);
        expect((await riskEvents(u.id))[0]!.behaviorId).toBe(behavior);
      }
      const bad = fixture('detection-summary');
      bad.event.DetectId += rand();
      bad.event.Severity = 70;
      delete bad.event.SeverityName;
      const r = await post(bad);
      expect(r.status).toBe(400);
      expect(r.text).toContain('event.Severity');
    });

    test('IdentityProtectionEvent: the sample (INFO) is ignored; a HIGH incident scores the bare account name', async () => {
      const sample = fixture('identity-protection-incident');
      sample.event.IdentityProtectionIncidentId += `-${rand()}`;
      expect((await post(sample)).status).toBe(204);
      expect((await eventOf(`incident:${sample.event.IdentityProtectionIncidentId}`)).outcome).toBe('ignored: severity informational is not scored');
      const f = fixture('identity-protection-incident');
      f.event.IdentityProtectionIncidentId += `-${rand()}`;
      f.event.UserName = `TESTUSER-${rand()}`;
      Object.assign(f.event, { Severity: 4, SeverityName: 'HIGH' });
      expect((await post(f)).status).toBe(204);
      const u = await levelOf('edr_user', f.event.UserName);
      expect((await riskEvents(u.id))[0]!.details).toMatchObject({ incident_id: f.event.IdentityProtectionIncidentId, falcon_link: f.event.FalconHostLink });
    });

    test('IdpDetectionSummaryEvent: the sample (7, read on 0-100) is ignored; 90 scores DOMAIN\\account', async () => {
      const sample = fixture('idp-detection-summary');
      sample.event.DetectId += rand();
      expect((await post(sample)).status).toBe(204);
      expect((await eventOf(`detection:${sample.event.DetectId}`)).outcome).toBe('ignored: severity informational is not scored');
      const f = fixture('idp-detection-summary');
      f.event.DetectId += rand();
      f.event.SourceAccountName = `johnb-${rand()}`;
      f.event.Severity = 90;
      expect((await post(f)).status).toBe(204);
      const u = await levelOf('windows_account', `DOMAIN.COM\\${f.event.SourceAccountName}`);
      expect(u.level).toBe('high');
    });

    test('a UPN in UserName resolves to the user known by that email', async () => {
      const email = `jane-${rand()}@acme.example`;
      const f = epp({ UserName: email.toUpperCase() });
      expect((await post(f)).status).toBe(204);
      const u = await levelOf('email', email);
      expect(u.email?.toLowerCase()).toBe(email);
      expect(await userId('upn', email)).toBe(u.id);
    });

    test('system accounts are never scored; unmapped event types are recorded and ignored', async () => {
      const f = epp({ UserName: 'SYSTEM' });
      expect((await post(f)).status).toBe(204);
      expect((await eventOf(`detection:${f.event.CompositeId}`)).outcome).toContain('system account');
      const other = { metadata: { customerIDString: 'c1', offset: 77, eventType: 'FirewallMatchEvent', eventCreationTime: Date.now() }, event: { RuleName: 'x' } };
      expect((await post(other)).status).toBe(204);
      expect((await eventOf('FirewallMatchEvent:c1:77')).outcome).toBe('ignored: event type FirewallMatchEvent is not mapped');
    });
  });

  describe('flat workflow payloads (§4.3)', () => {
    test('a workflow detection with severity "High" and DOMAIN\\user → scored, link kept', async () => {
      const f = fixture('workflow-detection');
      f.detection_id += rand();
      f.user_name = `ACME\\jdoe-${rand()}`;
      expect((await post(f)).status).toBe(204);
      const u = await levelOf('windows_account', f.user_name);
      expect((await riskEvents(u.id))[0]!.details).toMatchObject({ detection_id: f.detection_id, falcon_link: f.link });
    });

    test('a false_positive status is ignored; a stringified numeric severity is read on 0-100', async () => {
      const fp = { ...fixture('workflow-detection'), detection_id: `d-${rand()}`, status: 'false_positive' };
      expect((await post(fp)).status).toBe(204);
      expect((await eventOf(`detection:${fp.detection_id}`)).outcome).toBe('ignored: status false_positive is not scored');
      const num = { ...fixture('workflow-detection'), detection_id: `d-${rand()}`, severity: '95', user_name: undefined, user_email: `ops-${rand()}@acme.example` };
      expect((await post(num)).status).toBe(204);
      expect((await levelOf('email', num.user_email)).level).toBe('high');
    });
  });

  describe('Zero Trust Assessment (§4.4)', () => {
    const zta = (assessment: Record<string, number>) => ({ ...fixture('zta-assessment'), aid: rand(), assessment, user_email: `dev-${rand()}@acme.example` });

    test('the sample (lowest 38) → crowdstrike_zta_low; 65 → zta_medium; 50 counts as low; 80 and above is ignored', async () => {
      const sample = { ...fixture('zta-assessment'), user_email: `dev-${rand()}@acme.example`, aid: rand() };
      expect((await post(sample)).status).toBe(204);
      const u = await levelOf('email', sample.user_email);
      expect(u.level).toBe('high');
      expect((await riskEvents(u.id))[0]!).toMatchObject({ behaviorId: 'crowdstrike_zta_low', details: { aid: sample.aid, lowest_attribute: 'os', lowest_score: 38 } });

      const medium = zta({ overall: 65, os: 90, sensor_config: 81 });
      expect((await post(medium)).status).toBe(204);
      expect((await levelOf('email', medium.user_email)).level).toBe('low');

      const edge = zta({ overall: 50 });
      expect((await post(edge)).status).toBe(204);
      expect((await levelOf('email', edge.user_email)).level).toBe('high');

      const fine = zta({ overall: 80, os: 95, sensor_config: 99 });
      expect((await post(fine)).status).toBe(204);
      expect((await eventOf(`zta:${fine.aid}:${fine.modified_time}`)).outcome).toMatch(/^ignored: ZTA scores .* above every band$/);
    });

    test('a score out of 0-100 → 400 naming it', async () => {
      const r = await post(zta({ overall: 140 }));
      expect(r.status).toBe(400);
      expect(r.text).toContain('assessment.overall');
    });
  });

  describe('bad payloads', () => {
    test('a missing required field → 400 naming it, and the event recorded as rejected', async () => {
      const f = epp();
      delete f.event.UserName;
      const r = await post(f);
      expect(r.status).toBe(400);
      expect(r.text).toContain('event.UserName is required');
      const rejected = await eventually(async () => (await events()).find((e) => e.kind === 'rejected' && e.outcome.includes('event.UserName')));
      expect(rejected.outcome).toBe('rejected: event.UserName is required');

      for (const [body, field] of [
        [{ ...epp(), metadata: { offset: 1 } }, 'metadata.eventType'],
        [{ ...epp(), event: undefined }, 'event is required'],
        [{ ...epp(), event: [epp().event] }, 'event must be an object'],
        [(() => { const g = epp(); delete g.event.CompositeId; return g; })(), 'event.CompositeId'],
        [(() => { const g = epp(); delete g.event.Severity; delete g.event.SeverityName; return g; })(), 'event.Severity'],
        [{ ...fixture('workflow-detection'), detection_id: undefined }, 'detection_id'],
        [{ ...fixture('workflow-detection'), severity: undefined }, 'severity'],
        [{ ...fixture('workflow-detection'), user_name: undefined }, 'user_name'],
        [{ ...fixture('zta-assessment'), aid: undefined }, 'aid'],
      ] as const) {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(res.text).toContain(field);
      }
    });

    test('garbage never answers 500', async () => {
      const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
      const bodies: string[] = [
        '', 'not json', '{"metadata":', '[]', JSON.stringify([epp()]), 'null', '42', '"str"', 'true',
        JSON.stringify({ metadata: 'x', event: 1 }),
        JSON.stringify({ metadata: { eventType: {} }, event: {} }),
        JSON.stringify({ metadata: { eventType: 'EppDetectionSummaryEvent' }, event: [] }),
        JSON.stringify({ event: { CompositeId: 'x' } }),
        JSON.stringify(epp({ Severity: 1e308 })),
        JSON.stringify(epp({ Severity: -1 })),
        JSON.stringify(epp({ Severity: { $gt: 1 } })),
        JSON.stringify(epp({ UserName: 'x'.repeat(100_000) })),
        JSON.stringify(epp({ UserName: ['a'], FalconHostLink: 'LINK' })).replace('"LINK"', `{"nested":${deep}}`),
        JSON.stringify(epp()).replace('"Type":"ldt"', `"Type":"ldt","Junk":${deep}`),
        JSON.stringify({ ...epp(), metadata: { eventType: 'Other', offset: 1e300 } }),
        JSON.stringify({ ...epp(), metadata: { eventType: 'EppDetectionSummaryEvent', eventCreationTime: 1e300 } }),
        JSON.stringify(epp()).replace('"Severity":70', '"Severity":1e999'),
        JSON.stringify(epp()).replace('"offset":1532956', '"offset":123456789012345678901234567890'),
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"severity":"High"}',
        JSON.stringify({ assessment: 'low', aid: 'a', user_email: 'a@b.c' }),
        JSON.stringify({ assessment: { overall: '12abc' }, aid: 'a', user_email: 'a@b.c' }),
        JSON.stringify({ detection_id: 'd', severity: 'Severe', user_name: 'x' }),
        JSON.stringify({ detection_id: 'd', severity: 'High', user_email: 'not-an-email' }),
        JSON.stringify({ detection_id: 'd', severity: 'High', user_name: 'x', timestamp: { a: 1 } }),
        deep,
        Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('latin1'),
      ];
      const answers: Array<{ body: string; status: number; text: string }> = [];
      for (const body of bodies) {
        const r = await post(body);
        answers.push({ body: body.slice(0, 60), status: r.status, text: r.text.slice(0, 200) });
      }
      // A valid-but-unmapped body is recorded (204); everything else is a 400 naming the problem.
      expect(answers.filter((a) => a.status !== 204 && a.status !== 400)).toEqual([]);
      for (const a of answers.filter((x) => x.status === 400)) expect(JSON.parse(a.text).error_description).toEqual(expect.any(String));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('recovery of events answered but not scored', () => {
    // What the webhook leaves in the store when the process dies between its 204 and the scoring:
    // the event recorded as received, with the signal it maps to kept beside it.
    const leftByCrash = async (eventId: string, user: string, ageMs: number) => {
      await t.app.storage.sources.recordEvent({
        accountId: 'acme', sourceId: source.id, eventId, kind: 'EppDetectionSummaryEvent', receivedAt: new Date(Date.now() - ageMs), outcome: 'received',
        signal: { id: `crowdstrike:${eventId}`, behavior: 'crowdstrike_detection_high', user: { identifiers: [{ kind: 'edr_user', value: user }] }, occurredAt: '2026-11-01T10:00:00.000Z', source: 'crowdstrike', details: {} },
      });
    };

    test('recovery scores what a crash left unscored, once, and leaves events still being scored alone', async () => {
      const old = `crash-${rand()}`;
      const young = `crash-${rand()}`;
      await leftByCrash(old, `CORP\\${old}`, 60_000);
      await leftByCrash(young, `CORP\\${young}`, 0);
      await t.app.sources.recover();
      const u = await levelOf('edr_user', `CORP\\${old}`);
      expect(u).toMatchObject({ level: 'medium', eventCount: 1, lastEventAt: new Date('2026-11-01T10:00:00.000Z') });
      expect((await events()).find((e) => e.event_id === old)?.outcome).toMatch(/^scored: crowdstrike_detection_high for user /);
      expect((await events()).find((e) => e.event_id === young)?.outcome).toBe('received');
      await expect(userId('edr_user', `CORP\\${young}`)).resolves.toBeNull();
      // Scored once: a second pass finds nothing left of it.
      await t.app.sources.recover();
      expect((await t.app.storage.users.get('acme', u.id))?.eventCount).toBe(1);
    });
  });
});
