import Cloudflare from 'cloudflare';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { testStores } from '../helpers/stores.js';

/**
 * The official Cloudflare SDK (v7), pointed at riskwire, must work unchanged for the risk
 * scoring calls (risk scoring issue: "Test it with the SDK itself").
 */
describe.each(testStores())('Cloudflare SDK against riskwire ($name)', (store) => {
  let t: TestApp;
  let cf: Cloudflare;
  const account_id = 'acme';
  beforeAll(async () => {
    t = await startTestApp(store.env());
    cf = new Cloudflare({ apiToken: t.token, baseURL: `${t.url}/client/v4`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  const signal = (json: unknown) => call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/signals`, { method: 'POST', token: t.token, json });

  it('behaviours.get lists the catalog, all disabled, with Cloudflare’s own ids', async () => {
    const r = await cf.zeroTrust.riskScoring.behaviours.get({ account_id });
    expect(r.behaviors.imp_travel).toEqual({
      name: 'Impossible Travel',
      description: expect.stringContaining('two locations'),
      enabled: false,
      risk_level: 'high',
    });
    expect(r.behaviors.high_dlp).toMatchObject({ enabled: false, risk_level: 'medium' });
    expect(r.behaviors.sentinel_one).toMatchObject({ enabled: false, risk_level: 'medium' });
    expect(Object.values(r.behaviors).every((b) => b.enabled === false)).toBe(true);
    // The behaviors for the sources riskwire ingests (risk scoring issue), each with a name and description.
    const ours = [
      'crowdstrike_detection_high', 'crowdstrike_detection_critical', 'crowdstrike_zta_low', 'crowdstrike_zta_medium',
      'sentinel_one_suspicious', 'okta_threat_detected', 'okta_session_hijack', 'credential_compromise', 'account_disabled_upstream',
      'peer_risk_high', 'peer_risk_medium', 'disposable_email_signup', 'leaked_credential_login',
    ];
    for (const id of ours) expect([id, r.behaviors[id]]).toEqual([id, { name: expect.any(String), description: expect.any(String), enabled: false, risk_level: expect.stringMatching(/^(low|medium|high)$/) }]);
  });

  it('behaviours.update, summary.get, riskScoring.get and riskScoring.reset work end to end', async () => {
    const updated = await cf.zeroTrust.riskScoring.behaviours.update({
      account_id,
      behaviors: { high_dlp: { risk_level: 'low', enabled: true }, imp_travel: { risk_level: 'high', enabled: true } },
    });
    expect(updated.behaviors.high_dlp).toMatchObject({ enabled: true, risk_level: 'low' });
    expect(updated.behaviors.imp_travel).toMatchObject({ enabled: true, risk_level: 'high' });
    expect(updated.behaviors.sentinel_one).toMatchObject({ enabled: false });

    const ingested = await signal({
      signals: [
        { id: 'sdk-1', behavior: 'high_dlp', user: { email: 'jane.doe@example.com', name: 'Jane Doe' }, occurred_at: '2026-11-01T10:00:00Z' },
        { id: 'sdk-2', behavior: 'imp_travel', user: { email: 'JANE.DOE@example.com' }, occurred_at: '2026-11-01T11:00:00Z', details: { ray_id: 'r1' } },
      ],
    });
    expect(ingested.body.result).toMatchObject({ accepted: 2, duplicates: 0, ignored: 0 });

    const summary = await cf.zeroTrust.riskScoring.summary.get({ account_id });
    expect(summary.users).toHaveLength(1);
    const jane = summary.users[0]!;
    expect(jane).toMatchObject({ name: 'Jane Doe', email: 'jane.doe@example.com', max_risk_level: 'high', event_count: 2, last_event: '2026-11-01T11:00:00.000Z' });
    expect(jane.user_id).toMatch(/^[0-9a-f-]{36}$/);

    const detail = await cf.zeroTrust.riskScoring.get(jane.user_id, { account_id });
    expect(detail).toMatchObject({ name: 'Jane Doe', email: 'jane.doe@example.com', risk_level: 'high', last_reset_time: null });
    expect(detail.events.map((e) => [e.name, e.risk_level, e.timestamp])).toEqual([
      ['Impossible Travel', 'high', '2026-11-01T11:00:00.000Z'],
      ['High Number of DLP Policies Triggered', 'low', '2026-11-01T10:00:00.000Z'],
    ]);
    expect(detail.events[0]!.event_details).toMatchObject({ ray_id: 'r1', behavior_id: 'imp_travel', signal_id: 'sdk-2' });

    await expect(cf.zeroTrust.riskScoring.reset(jane.user_id, { account_id })).resolves.toBeNull();
    expect((await cf.zeroTrust.riskScoring.summary.get({ account_id })).users).toEqual([]);
    const afterReset = await cf.zeroTrust.riskScoring.get(jane.user_id, { account_id });
    expect(afterReset.risk_level).toBeNull();
    expect(afterReset.last_reset_time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(afterReset.events).toHaveLength(2); // history stays
  });

  it('errors surface as the SDK’s typed errors', async () => {
    await expect(cf.zeroTrust.riskScoring.get('00000000-0000-4000-8000-000000000000', { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
    await expect(cf.zeroTrust.riskScoring.summary.get({ account_id: 'someone-else' })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
    const anonymous = new Cloudflare({ apiToken: 'rw_wrong', baseURL: `${t.url}/client/v4`, maxRetries: 0 });
    await expect(anonymous.zeroTrust.riskScoring.behaviours.get({ account_id })).rejects.toBeInstanceOf(Cloudflare.AuthenticationError);
    await expect(
      cf.zeroTrust.riskScoring.behaviours.update({ account_id, behaviors: { no_such_behavior: { enabled: true, risk_level: 'low' } } }),
    ).rejects.toBeInstanceOf(Cloudflare.BadRequestError);
  });
});
