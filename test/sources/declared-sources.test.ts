import fs from 'node:fs';
import path from 'node:path';
import { loadDeclaredSources } from '../../src/config/declarative-sources.js';
import { call, startTestApp } from '../helpers/test-app.js';
import { tempDir } from '../helpers/temp-dir.js';
import { testStores } from '../helpers/stores.js';

const OKTA_SECRET = 'okta-hook-secret-0123456789-abcdef';
const S1_SECRET = 's1-webhook-secret-0123456789-abcdef';

describe('declarative sources/ files', () => {
  const vars = ['RW_TEST_OKTA_SECRET', 'RW_TEST_S1_SECRET', 'RW_TEST_S1_TOKEN'] as const;
  beforeEach(() => {
    process.env.RW_TEST_OKTA_SECRET = OKTA_SECRET;
    process.env.RW_TEST_S1_SECRET = S1_SECRET;
    process.env.RW_TEST_S1_TOKEN = 'console-api-token';
  });
  afterEach(() => {
    for (const v of vars) delete process.env[v];
  });
  const declare = (dir: string, sources: unknown[]) => fs.writeFileSync(path.join(dir, 'acme.json'), JSON.stringify({ account: 'acme', sources }));
  const okta = { type: 'okta_event_hook', name: 'okta prod', secret_env: 'RW_TEST_OKTA_SECRET' };
  const s1 = {
    type: 'sentinelone', name: 'edr', secret_env: 'RW_TEST_S1_SECRET',
    settings: { verify_with_api: true, api_base_url: 'https://usea1.sentinelone.net' }, settings_env: { api_token: 'RW_TEST_S1_TOKEN' },
  };

  it.each(testStores())('creates declared sources at start with the secrets their variables hold, changes nothing on restart, and rotates a secret whose variable changed ($name)', async (store) => {
    const { dir, cleanup } = tempDir();
    try {
      declare(dir, [okta, s1]);
      fs.mkdirSync(path.join(dir, 'examples'));
      fs.writeFileSync(path.join(dir, 'examples', 'other.json'), JSON.stringify({ account: 'acme', sources: [{ ...okta, name: 'example only' }] }));
      const env = { RISKWIRE_SOURCES_DIR: dir, ...store.env() };
      const first = await startTestApp(env);
      const { dataDir, masterKey } = first;
      let before: Array<{ id: string; name: string; updatedAt: Date }>;
      try {
        before = await first.app.storage.sources.list('acme');
        expect(before.map((s) => s.name).sort()).toEqual(['edr', 'okta prod']);
        const hook = `${first.url}/sources/acme/${before.find((s) => s.name === 'okta prod')!.id}`;
        const deliver = (authorization: string) => call(hook, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ data: { events: [{ uuid: `u-${authorization.length}`, eventType: 'user.session.start' }] } }) });
        expect((await deliver(OKTA_SECRET)).status).toBe(204);
        // The credential setting is sealed at rest like one given through the API, and shown as "set".
        const edr = before.find((s) => s.name === 'edr')!;
        expect(JSON.stringify(await first.app.storage.sources.get('acme', edr.id))).not.toContain('console-api-token');
        expect((await call(`${first.url}/client/v4/accounts/acme/sources/${edr.id}`, { token: first.token })).body.result.settings).toMatchObject({ api_token: 'set', verify_with_api: true });
      } finally {
        await first.app.close(); // keep the data dir: restart on it
      }
      const again = await startTestApp({ ...env, DATA_DIR: dataDir, RISKWIRE_MASTER_KEY: masterKey });
      try {
        const after = await again.app.storage.sources.list('acme');
        expect(after.map((s) => [s.id, s.updatedAt])).toEqual(before.map((s) => [s.id, s.updatedAt]));
      } finally {
        await again.app.close();
      }
      process.env.RW_TEST_OKTA_SECRET = `${OKTA_SECRET}-rotated`;
      const rotated = await startTestApp({ ...env, DATA_DIR: dataDir, RISKWIRE_MASTER_KEY: masterKey });
      try {
        const id = before.find((s) => s.name === 'okta prod')!.id;
        expect((await rotated.app.storage.sources.list('acme')).map((s) => s.id).sort()).toEqual(before.map((s) => s.id).sort());
        const deliver = (authorization: string) => call(`${rotated.url}/sources/acme/${id}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ data: { events: [{ uuid: `r-${authorization.length}`, eventType: 'user.session.start' }] } }) });
        expect((await deliver(OKTA_SECRET)).status).toBe(401);
        expect((await deliver(`${OKTA_SECRET}-rotated`)).status).toBe(204);
      } finally {
        await rotated.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    } finally {
      cleanup();
      await store.cleanup();
    }
  });

  it('a bad file, an unset or short secret variable, or a name declared twice stops start-up, naming the file, source and variable — never a value', () => {
    const { dir, cleanup } = tempDir();
    try {
      declare(dir, [{ ...okta, type: 'splunk' }]);
      expect(() => loadDeclaredSources(dir)).toThrow(/acme\.json: invalid sources file:\n {2}- sources\.0\.type/);
      declare(dir, [{ ...okta, secret_env: 'RW_TEST_UNSET' }]);
      expect(() => loadDeclaredSources(dir)).toThrow(/acme\.json: source "okta prod": the webhook secret is read from RW_TEST_UNSET, which is not set/);
      process.env.RW_TEST_OKTA_SECRET = 'short';
      declare(dir, [okta]);
      expect(() => loadDeclaredSources(dir)).toThrow(/RW_TEST_OKTA_SECRET, which is shorter than 24 characters/);
      expect(() => loadDeclaredSources(dir)).not.toThrow(/short'/);
      declare(dir, [okta, { ...okta }]);
      process.env.RW_TEST_OKTA_SECRET = OKTA_SECRET;
      expect(() => loadDeclaredSources(dir)).toThrow(/sources\.1\.name: "okta prod" is declared twice/);
      declare(dir, [{ ...s1, settings_env: { api_token: 'RW_TEST_UNSET' } }]);
      expect(() => loadDeclaredSources(dir)).toThrow(/source "edr": setting api_token is read from RW_TEST_UNSET, which is not set/);
      fs.writeFileSync(path.join(dir, 'acme.json'), '{ nope');
      expect(() => loadDeclaredSources(dir)).toThrow(/acme\.json: cannot read the sources file/);
    } finally {
      cleanup();
    }
  });

  it('declared settings a vendor refuses stop start-up; a declared account that does not exist is skipped', async () => {
    const { dir, cleanup } = tempDir();
    try {
      declare(dir, [{ ...s1, settings: { verify_with_api: true } }]); // no api_base_url
      await expect(startTestApp({ RISKWIRE_SOURCES_DIR: dir })).rejects.toThrow(/api_base_url/);
      fs.writeFileSync(path.join(dir, 'acme.json'), JSON.stringify({ account: 'nobody', sources: [okta] }));
      const t = await startTestApp({ RISKWIRE_SOURCES_DIR: dir });
      try {
        expect(await t.app.storage.sources.list('nobody')).toEqual([]);
      } finally {
        await t.close();
      }
    } finally {
      cleanup();
    }
  });
});
