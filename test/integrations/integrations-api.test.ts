/*
 * The Cloudflare-compatible integrations API (vendors reference §1.3 #6–#11, §1.8) through the
 * official `cloudflare` SDK (v7) and over raw HTTP, against the real app.
 *
 * Tenant URLs: outbound validation resolves host names, and this sandbox has no DNS for real Okta
 * orgs (`acme.okta.com` fails with ENOTFOUND), so the valid tenants here are IP literals in
 * TEST-NET-3 (RFC 5737, 203.0.113.0/24): https, public-looking, never resolved, never private.
 * `.invalid` (RFC 6761) is guaranteed never to resolve, for the "does not resolve" case.
 */
import Cloudflare from 'cloudflare';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';

const PUBLIC_URL = 'https://riskwire.test';
const TENANT = 'https://203.0.113.10';
const OTHER_TENANT = 'https://203.0.113.20:8443';
const OKTA_EVENT = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';

/** The SDK call's rejection (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<InstanceType<typeof Cloudflare.APIError>> {
  try {
    await p;
  } catch (err) {
    return err as InstanceType<typeof Cloudflare.APIError>;
  }
  throw new Error('expected the call to fail');
}

describe('integrations API (Cloudflare SDK zeroTrust.riskScoring.integrations)', () => {
  let t: TestApp;
  let cf: Cloudflare;
  const account_id = 'acme';
  const base = () => `${t.url}/client/v4/accounts/acme/zt_risk_scoring/integrations`;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL });
    cf = new Cloudflare({ apiToken: t.token, baseURL: `${t.url}/client/v4`, maxRetries: 0 });
  });
  afterAll(() => t.close());

  /** A second account with a read/write token, and its SDK client. */
  let other: Promise<Cloudflare> | undefined;
  const globexClient = () => (other ??= (async () => {
    await t.app.accounts.ensure({ id: 'globex' }, 'test');
    const { token } = await t.app.tokens.create({ accountId: 'globex', name: 'globex', scopes: ['risk:read', 'risk:write'] }, 'test');
    return new Cloudflare({ apiToken: token, baseURL: `${t.url}/client/v4`, maxRetries: 0 });
  })());

  it('create, list, get, references.get, update and delete work end to end', async () => {
    expect((await cf.zeroTrust.riskScoring.integrations.list({ account_id })).result).toEqual([]);

    const created = await cf.zeroTrust.riskScoring.integrations.create({
      account_id, integration_type: 'Okta', tenant_url: `${TENANT}/`, reference_id: '72f826ea-8744-4dcb-a00e-8cc00bb6d34b',
    });
    // Every RiskScoreIntegration field (§1.3), tenant_url normalized (trailing slash dropped).
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      account_tag: 'acme',
      integration_type: 'Okta',
      tenant_url: TENANT,
      reference_id: '72f826ea-8744-4dcb-a00e-8cc00bb6d34b',
      // Cloudflare's shape (§1.8): .../.well-known/sse-configuration/{integration id}.
      well_known_url: `${PUBLIC_URL}/.well-known/sse-configuration/${created.id}`,
      active: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    });

    const listed = await cf.zeroTrust.riskScoring.integrations.list({ account_id });
    expect(listed.result).toEqual([created]);
    expect(await cf.zeroTrust.riskScoring.integrations.get(created.id, { account_id })).toEqual(created);
    expect(await cf.zeroTrust.riskScoring.integrations.references.get('72f826ea-8744-4dcb-a00e-8cc00bb6d34b', { account_id })).toEqual(created);

    // Full overwrite (§1.3 #9).
    const updated = await cf.zeroTrust.riskScoring.integrations.update(created.id, {
      account_id, active: false, tenant_url: OTHER_TENANT, reference_id: 'idp-2',
    });
    expect(updated).toEqual({ ...created, active: false, tenant_url: OTHER_TENANT, reference_id: 'idp-2' });
    expect(await cf.zeroTrust.riskScoring.integrations.get(created.id, { account_id })).toEqual(updated);
    expect(await cf.zeroTrust.riskScoring.integrations.references.get('idp-2', { account_id })).toEqual(updated);
    await expect(cf.zeroTrust.riskScoring.integrations.references.get('72f826ea-8744-4dcb-a00e-8cc00bb6d34b', { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);

    await expect(cf.zeroTrust.riskScoring.integrations.delete(created.id, { account_id })).resolves.toBeNull();
    await expect(cf.zeroTrust.riskScoring.integrations.get(created.id, { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
    await expect(cf.zeroTrust.riskScoring.integrations.delete(created.id, { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
    expect((await cf.zeroTrust.riskScoring.integrations.list({ account_id })).result).toEqual([]);
  });

  it('reference_id left out (or null) becomes a random UUIDv4, on create and on the full-overwrite update', async () => {
    const a = await cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta', tenant_url: TENANT });
    expect(a.reference_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await cf.zeroTrust.riskScoring.integrations.references.get(a.reference_id, { account_id })).id).toBe(a.id);
    const b = await cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta', tenant_url: TENANT, reference_id: null });
    expect(b.reference_id).not.toBe(a.reference_id);
    const withRef = await cf.zeroTrust.riskScoring.integrations.update(a.id, { account_id, active: true, tenant_url: TENANT, reference_id: 'kept?' });
    const overwritten = await cf.zeroTrust.riskScoring.integrations.update(a.id, { account_id, active: true, tenant_url: TENANT });
    expect(withRef.reference_id).toBe('kept?');
    expect(overwritten.reference_id).toMatch(/^[0-9a-f-]{36}$/);
    // Two integrations, oldest first.
    expect((await cf.zeroTrust.riskScoring.integrations.list({ account_id })).result.map((i) => i.id)).toEqual([a.id, b.id]);
    await cf.zeroTrust.riskScoring.integrations.delete(a.id, { account_id });
    await cf.zeroTrust.riskScoring.integrations.delete(b.id, { account_id });
  });

  describe('the managed push stream', () => {
    it('create makes an enabled okta-profile push stream aimed at {tenant}/security/api/v1/security-events, invisible to receivers', async () => {
      const i = await cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta', tenant_url: TENANT });
      const [stored] = (await t.app.storage.integrations.list('acme')).filter((x) => x.id === i.id);
      const s = await t.app.storage.streams.get('acme', stored!.streamId);
      expect(s).toMatchObject({
        receiverId: null, profile: 'okta', aud: TENANT, status: 'enabled',
        eventsRequested: [OKTA_EVENT], eventsDelivered: [OKTA_EVENT],
        delivery: { method: 'urn:ietf:rfc:8935', endpointUrl: `${TENANT}/security/api/v1/security-events`, authorizationHeaderSealed: null },
      });
      expect((await t.app.storage.streams.listDeliverable('acme')).map((x) => x.streamId)).toContain(s!.streamId);

      // active false ⇒ disabled, pending SETs dropped (SSF §8.1.2.1); a new tenant moves aud and endpoint.
      await t.app.storage.outbox.enqueue({
        accountId: 'acme', streamId: s!.streamId, jti: 'pending-1', set: 'x.y.z', subjectKey: 'user:u', eventType: OKTA_EVENT, sourceId: 'test-1', createdAt: new Date(),
      });
      expect(await t.app.storage.outbox.countPending('acme', s!.streamId)).toBe(1);
      await cf.zeroTrust.riskScoring.integrations.update(i.id, { account_id, active: false, tenant_url: OTHER_TENANT });
      const off = await t.app.storage.streams.get('acme', s!.streamId);
      expect(off).toMatchObject({ status: 'disabled', aud: OTHER_TENANT, delivery: { endpointUrl: `${OTHER_TENANT}/security/api/v1/security-events` } });
      expect(await t.app.storage.outbox.countPending('acme', s!.streamId)).toBe(0);
      expect((await t.app.storage.streams.listDeliverable('acme')).map((x) => x.streamId)).not.toContain(s!.streamId);

      await cf.zeroTrust.riskScoring.integrations.update(i.id, { account_id, active: true, tenant_url: OTHER_TENANT });
      expect((await t.app.storage.streams.get('acme', s!.streamId))?.status).toBe('enabled');

      await cf.zeroTrust.riskScoring.integrations.delete(i.id, { account_id });
      expect(await t.app.storage.streams.get('acme', s!.streamId)).toBeNull();
    });

    it('every change is in the audit log', async () => {
      const i = await cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta', tenant_url: TENANT, reference_id: 'audit-me' });
      await cf.zeroTrust.riskScoring.integrations.update(i.id, { account_id, active: false, tenant_url: TENANT, reference_id: 'audit-me' });
      await cf.zeroTrust.riskScoring.integrations.delete(i.id, { account_id });
      const entries = (await t.app.storage.auditLog.list('acme', { limit: 20 })).filter((e) => e.target === i.id);
      expect(entries.map((e) => e.action)).toEqual(['integration.deleted', 'integration.updated', 'integration.created']);
      expect(entries[1]!.details).toMatchObject({ tenant_url: TENANT, reference_id: 'audit-me', active: false });
      expect(entries.every((e) => e.actor.startsWith('token:'))).toBe(true);
    });
  });

  describe('bad input', () => {
    it('an integration_type other than "Okta" is a 400 naming integration_type', async () => {
      const err = await rejection(cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Azure' as 'Okta', tenant_url: TENANT }));
      expect(err).toBeInstanceOf(Cloudflare.BadRequestError);
      expect(JSON.stringify(err.errors)).toContain('integration_type');
      const missing = await call(base(), { method: 'POST', token: t.token, json: { tenant_url: TENANT } });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({ success: false, result: null, errors: [{ code: expect.any(Number), source: { pointer: '/body/integration_type' } }] });
    });

    it('a missing or non-string tenant_url is a 400 naming tenant_url', async () => {
      const err = await rejection(cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta' } as never));
      expect(err).toBeInstanceOf(Cloudflare.BadRequestError);
      expect(err.errors).toEqual([expect.objectContaining({ message: '/body/tenant_url: is required', source: { pointer: '/body/tenant_url' } })]);
      const wrongType = await call(base(), { method: 'POST', token: t.token, json: { integration_type: 'Okta', tenant_url: 42 } });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.errors[0].source).toEqual({ pointer: '/body/tenant_url' });
      const noActive = await rejection(cf.zeroTrust.riskScoring.integrations.update('00000000-0000-4000-8000-000000000000', { account_id, tenant_url: TENANT } as never));
      expect(noActive).toBeInstanceOf(Cloudflare.BadRequestError);
      expect(JSON.stringify(noActive.errors)).toContain('/body/active');
    });

    it.each([
      ['http:// without RISKWIRE_ALLOW_PRIVATE_NETWORK', 'http://203.0.113.10', /tenant_url must use https/],
      ['a loopback address', 'https://127.0.0.1', /tenant_url points at a private/],
      ['a private address', 'https://10.1.2.3', /tenant_url points at a private/],
      ['a host that does not resolve', 'https://tenant.invalid', /tenant_url: host tenant\.invalid does not resolve/],
      ['a path', `${TENANT}/oauth2/default`, /must be the tenant base URL, without a path/],
      ['a query', `${TENANT}/?x=1`, /must not have a query/],
      ['credentials', 'https://user:pw@203.0.113.10', /must not carry credentials/],
      ['not a URL', 'tenant.okta.com', /must be an absolute URL/],
    ])('tenant_url with %s is a 400 naming tenant_url', async (_what, tenant_url, message) => {
      const r = await call(base(), { method: 'POST', token: t.token, json: { integration_type: 'Okta', tenant_url } });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ success: false, result: null, errors: [{ source: { pointer: '/body/tenant_url' } }] });
      expect(r.body.errors[0].message).toMatch(message);
      expect(r.body.errors[0].message).toMatch(/^\/body\/tenant_url: /);
      // The same rule on update.
      const i = await cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta', tenant_url: TENANT });
      const err = await rejection(cf.zeroTrust.riskScoring.integrations.update(i.id, { account_id, active: true, tenant_url }));
      expect(err).toBeInstanceOf(Cloudflare.BadRequestError);
      expect((await cf.zeroTrust.riskScoring.integrations.get(i.id, { account_id })).tenant_url).toBe(TENANT);
      await cf.zeroTrust.riskScoring.integrations.delete(i.id, { account_id });
    });

    it('unknown ids and reference ids are 404 envelopes', async () => {
      const unknown = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';
      await expect(cf.zeroTrust.riskScoring.integrations.get(unknown, { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
      await expect(cf.zeroTrust.riskScoring.integrations.update(unknown, { account_id, active: true, tenant_url: TENANT })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
      await expect(cf.zeroTrust.riskScoring.integrations.delete(unknown, { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
      await expect(cf.zeroTrust.riskScoring.integrations.references.get('no-such-ref', { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
      const r = await call(`${base()}/not-a-uuid`, { token: t.token });
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ success: false, errors: [{ code: 1404 }], messages: [], result: null });
    });

    it("another account's integration is a 404, exactly like a missing one", async () => {
      const globex = await globexClient();
      const theirs = await globex.zeroTrust.riskScoring.integrations.create({ account_id: 'globex', integration_type: 'Okta', tenant_url: TENANT, reference_id: 'globex-ref' });
      expect(theirs.account_tag).toBe('globex');
      await expect(cf.zeroTrust.riskScoring.integrations.get(theirs.id, { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
      await expect(cf.zeroTrust.riskScoring.integrations.update(theirs.id, { account_id, active: false, tenant_url: TENANT })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
      await expect(cf.zeroTrust.riskScoring.integrations.delete(theirs.id, { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
      await expect(cf.zeroTrust.riskScoring.integrations.references.get('globex-ref', { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
      expect((await cf.zeroTrust.riskScoring.integrations.list({ account_id })).result.map((i) => i.id)).not.toContain(theirs.id);
      // Nor can acme's token reach globex's path.
      await expect(cf.zeroTrust.riskScoring.integrations.get(theirs.id, { account_id: 'globex' })).rejects.toBeInstanceOf(Cloudflare.APIError);
      // Untouched.
      expect(await globex.zeroTrust.riskScoring.integrations.get(theirs.id, { account_id: 'globex' })).toEqual(theirs);
    });

    it('scopes: risk:read may read but not write; no token is 401', async () => {
      const { token } = await t.app.tokens.create({ accountId: 'acme', name: 'reader', scopes: ['risk:read'] }, 'test');
      const reader = new Cloudflare({ apiToken: token, baseURL: `${t.url}/client/v4`, maxRetries: 0 });
      await expect(reader.zeroTrust.riskScoring.integrations.list({ account_id })).resolves.toBeDefined();
      await expect(reader.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta', tenant_url: TENANT })).rejects.toBeInstanceOf(Cloudflare.PermissionDeniedError);
      expect((await call(base())).status).toBe(401);
      expect((await call(base(), { method: 'PATCH', token: t.token, json: {} })).status).toBe(405);
    });
  });

  describe('well_known_url (SSF configuration for Okta, §1.8, §3.1.2)', () => {
    it('is served without authentication in Cloudflare\'s shape and the account-scoped one, under sse- and ssf-configuration', async () => {
      const i = await cf.zeroTrust.riskScoring.integrations.create({ account_id, integration_type: 'Okta', tenant_url: TENANT });
      const path = i.well_known_url.slice(PUBLIC_URL.length);
      // Exactly Cloudflare's published form: https://ssf.risk-score.teams.cloudflare.com/.well-known/sse-configuration/<uuid>
      expect(path).toBe(`/.well-known/sse-configuration/${i.id}`);
      const want = {
        spec_version: '1_0',
        issuer: `${PUBLIC_URL}/ssf/acme`,
        jwks_uri: `${PUBLIC_URL}/ssf/acme/jwks.json`,
        delivery_methods_supported: ['urn:ietf:rfc:8935'],
      };
      const shapes = [
        `/.well-known/sse-configuration/${i.id}`,
        `/.well-known/ssf-configuration/${i.id}`,
        // The account-scoped shape published before keeps working (Okta keeps the URL it was given).
        `/.well-known/ssf-configuration/integrations/acme/${i.id}`,
        `/.well-known/sse-configuration/integrations/acme/${i.id}`,
      ];
      for (const p of shapes.flatMap((x) => [x, `${x}/`])) {
        const r = await call(`${t.url}${p}`);
        expect([p, r.status]).toEqual([p, 200]);
        expect(r.headers.get('content-type')).toMatch(/^application\/json/);
        // Nothing but what the account's public transmitter metadata already says.
        expect(r.body).toEqual(want);
      }
      // The issuer is the account transmitter's, as its own metadata says; jwks_uri serves the keys.
      expect((await call(`${t.url}/.well-known/ssf-configuration/ssf/acme`)).body).toMatchObject({ issuer: want.issuer, jwks_uri: want.jwks_uri });
      const jwks = await call(`${t.url}${want.jwks_uri.slice(PUBLIC_URL.length)}`);
      expect(jwks.status).toBe(200);
      // An inactive integration keeps its document (Okta may be configured first).
      await cf.zeroTrust.riskScoring.integrations.update(i.id, { account_id, active: false, tenant_url: TENANT });
      for (const p of shapes) expect([p, (await call(`${t.url}${p}`)).status]).toEqual([p, 200]);
      await cf.zeroTrust.riskScoring.integrations.delete(i.id, { account_id });
      for (const p of shapes) expect([p, (await call(`${t.url}${p}`)).status]).toEqual([p, 404]);
    });

    it('in Cloudflare\'s shape, finds another account\'s integration by its id alone, and is 404 for unknown or malformed ids', async () => {
      const theirs = await (await globexClient()).zeroTrust.riskScoring.integrations.create({ account_id: 'globex', integration_type: 'Okta', tenant_url: TENANT });
      const r = await call(theirs.well_known_url.replace(PUBLIC_URL, t.url));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ issuer: `${PUBLIC_URL}/ssf/globex`, jwks_uri: `${PUBLIC_URL}/ssf/globex/jwks.json` });
      for (const p of [
        '/.well-known/sse-configuration/182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e',
        '/.well-known/ssf-configuration/182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e/',
        `/.well-known/sse-configuration/${theirs.id.toUpperCase()}`,
        '/.well-known/sse-configuration/not-a-uuid',
        '/.well-known/ssf-configuration/acme',
      ]) {
        expect([p, (await call(`${t.url}${p}`)).status]).toEqual([p, 404]);
      }
      expect((await call(theirs.well_known_url.replace(PUBLIC_URL, t.url), { method: 'POST', json: {} })).status).toBe(405);
    });

    it('is 404 for unknown integrations, unknown accounts, and another account\'s id under this account', async () => {
      const theirs = await (await globexClient()).zeroTrust.riskScoring.integrations.create({ account_id: 'globex', integration_type: 'Okta', tenant_url: TENANT });
      expect((await call(`${t.url}/.well-known/ssf-configuration/integrations/globex/${theirs.id}`)).status).toBe(200);
      for (const p of [
        '/.well-known/ssf-configuration/integrations/acme/182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e',
        '/.well-known/sse-configuration/integrations/nobody/182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e',
        '/.well-known/ssf-configuration/integrations/NOT%20AN%20ACCOUNT/x',
        `/.well-known/ssf-configuration/integrations/acme/${theirs.id}`,
        `/.well-known/sse-configuration/integrations/acme/${theirs.id}`,
      ]) {
        expect([p, (await call(`${t.url}${p}`)).status]).toEqual([p, 404]);
      }
    });
  });
});
