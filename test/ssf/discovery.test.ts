/*
 * Discovery (reference §1, §12.1 item 1; CS openid-ssf-transmitter-metadata): the transmitter
 * configuration metadata at the path-inserted well-known URL, the RFC 8414 metadata of the token
 * endpoint, and the JWKS.
 */
import { createPublicKey } from 'node:crypto';
import { ACCOUNT, ISSUER, POLL, PUBLIC_URL, PUSH, call, local, startSsfApp, type TestApp } from './helpers.js';
import { testStores } from '../helpers/stores.js';

describe.each(testStores())('SSF discovery ($name)', (store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startSsfApp(store.env());
    await t.app.accounts.ensure({ id: 'globex' }, 'test');
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  const wellKnown = (account: string, suffix = '') => call(`${t.url}/.well-known/ssf-configuration/ssf/${account}${suffix}`);

  describe('transmitter configuration metadata (SSF §7)', () => {
    it('is served at the issuer path inserted after /.well-known/ssf-configuration, as application/json, without authentication', async () => {
      const r = await wellKnown(ACCOUNT);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(r.body.issuer).toBe(ISSUER);
      // SSF §7.1: an https URL without query or fragment, identical to the SETs' iss.
      const iss = new URL(r.body.issuer);
      expect(iss.protocol).toBe('https:');
      expect(iss.search + iss.hash).toBe('');
      // The well-known URL is built from the issuer: host + /.well-known/ssf-configuration + issuer path (SSF §7.2).
      expect(`${iss.origin}/.well-known/ssf-configuration${iss.pathname}`).toBe(`${PUBLIC_URL}/.well-known/ssf-configuration/ssf/${ACCOUNT}`);
    });

    it('tolerates a trailing slash (SSF §7.2.1: a terminating "/" is removed before inserting)', async () => {
      const [plain, slash] = await Promise.all([wellKnown(ACCOUNT), wellKnown(ACCOUNT, '/')]);
      expect(slash.status).toBe(200);
      expect(slash.body).toEqual(plain.body);
    });

    it('publishes spec_version 1_0, every endpoint as an https URL, both RFC delivery methods, OAuth and default_subjects', async () => {
      const m = (await wellKnown(ACCOUNT)).body;
      expect(m.spec_version).toBe('1_0');
      const endpoints = ['jwks_uri', 'configuration_endpoint', 'status_endpoint', 'add_subject_endpoint', 'remove_subject_endpoint', 'verification_endpoint'];
      for (const k of endpoints) {
        expect(typeof m[k]).toBe('string');
        // CS OIDSSFEnsureHttpsUrlsTransmitterMetadataCheck: every endpoint starts with https:// (stop on failure).
        expect(m[k]).toMatch(/^https:\/\//);
        expect(new URL(m[k]).origin).toBe(PUBLIC_URL);
      }
      // Distinct endpoints (they are different operations).
      expect(new Set(endpoints.map((k) => m[k])).size).toBe(endpoints.length);
      expect(m.delivery_methods_supported).toEqual(expect.arrayContaining([PUSH, POLL]));
      // SSF §7.1.1, CAEP interop §2.3.7: authorization_schemes objects with spec_urn, including OAuth 2.0.
      expect(m.authorization_schemes).toContainEqual({ spec_urn: 'urn:ietf:rfc:6749' });
      for (const s of m.authorization_schemes) expect(s.spec_urn).toMatch(/^urn:/);
      expect(m.default_subjects).toBe('ALL');
    });

    it('never publishes an array with zero elements (SSF §7.2.3)', async () => {
      for (const account of [ACCOUNT, 'globex']) {
        const m = (await wellKnown(account)).body as Record<string, unknown>;
        expect(Object.keys(m).filter((k) => Array.isArray(m[k]) && (m[k] as unknown[]).length === 0)).toEqual([]);
      }
    });

    it('every published endpoint answers on this server (401 without a token, not 404)', async () => {
      const m = (await wellKnown(ACCOUNT)).body;
      expect((await call(local(t, m.configuration_endpoint))).status).toBe(401);
      expect((await call(local(t, m.status_endpoint))).status).toBe(401);
      for (const k of ['add_subject_endpoint', 'remove_subject_endpoint', 'verification_endpoint']) {
        expect((await call(local(t, m[k]), { method: 'POST', json: {} })).status).toBe(401);
      }
    });

    it('reflects the account\'s default_subjects setting', async () => {
      await t.app.storage.accounts.updateSettings('globex', { decayWindowSeconds: null, ssfDefaultSubjects: 'NONE' });
      expect((await wellKnown('globex')).body.default_subjects).toBe('NONE');
      expect((await wellKnown(ACCOUNT)).body.default_subjects).toBe('ALL');
    });

    it('each account is its own issuer, with its own endpoints', async () => {
      const m = (await wellKnown('globex')).body;
      expect(m.issuer).toBe(`${PUBLIC_URL}/ssf/globex`);
      expect(m.configuration_endpoint.startsWith(`${PUBLIC_URL}/ssf/globex/`)).toBe(true);
      expect(m.jwks_uri.startsWith(`${PUBLIC_URL}/ssf/globex/`)).toBe(true);
    });

    it('answers 404 with an OAuth-style JSON error for an unknown or malformed account', async () => {
      for (const account of ['nobody', 'NOT_VALID', 'x'.repeat(80)]) {
        const r = await wellKnown(account);
        expect(r.status).toBe(404);
        expect(r.headers.get('content-type')).toMatch(/^application\/json\b/);
        expect(typeof r.body.error).toBe('string');
      }
      expect((await call(`${t.url}/ssf/nobody/jwks.json`)).status).toBe(404);
      expect((await call(`${t.url}/.well-known/oauth-authorization-server/ssf/nobody`)).status).toBe(404);
    });
  });

  describe('authorization server metadata (RFC 8414, CAEP interop §2.7)', () => {
    it('names the token endpoint, client_credentials and the ssf scopes', async () => {
      const r = await call(`${t.url}/.well-known/oauth-authorization-server/ssf/${ACCOUNT}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json\b/);
      // RFC 8414 §3.3: the issuer equals the one the metadata URL was built from.
      expect(r.body.issuer).toBe(ISSUER);
      expect(r.body.token_endpoint).toMatch(/^https:\/\//);
      expect(r.body.grant_types_supported).toContain('client_credentials');
      expect(r.body.scopes_supported).toEqual(expect.arrayContaining(['ssf.read', 'ssf.manage']));
      expect(r.body.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
      // The token endpoint is reachable where it is published (400 for an empty request, not 404).
      expect((await call(local(t, r.body.token_endpoint), { method: 'POST' })).status).toBe(400);
    });
  });

  describe('JWKS (SSF §4.1.4, CAEP interop §2.3.3, §2.6)', () => {
    it('is JSON at jwks_uri with RSA signing keys of at least 2048 bits, each with kid, alg RS256 and use sig', async () => {
      const m = (await wellKnown(ACCOUNT)).body;
      const r = await call(local(t, m.jwks_uri));
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json\b/);
      const jwks = JSON.parse(r.text) as { keys: Array<Record<string, string>> };
      expect(jwks.keys.length).toBeGreaterThan(0);
      expect(new Set(jwks.keys.map((k) => k.kid)).size).toBe(jwks.keys.length);
      for (const k of jwks.keys) {
        expect(k).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
        // Public halves only: no private RSA member may ever be published.
        for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth']) expect(k).not.toHaveProperty(priv);
        const key = createPublicKey({ key: k, format: 'jwk' });
        expect(key.asymmetricKeyType).toBe('rsa');
        expect(key.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
      }
    });

    it('is stable between fetches, and accounts do not share keys', async () => {
      const kids = async (account: string) => {
        const m = (await wellKnown(account)).body;
        return (JSON.parse((await call(local(t, m.jwks_uri))).text) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
      };
      const acme = await kids(ACCOUNT);
      expect(await kids(ACCOUNT)).toEqual(acme);
      const globex = await kids('globex');
      expect(globex.length).toBeGreaterThan(0);
      expect(globex.filter((k) => acme.includes(k))).toEqual([]);
    });
  });
});
