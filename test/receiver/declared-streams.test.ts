import fs from 'node:fs';
import path from 'node:path';
import { loadDeclaredStreams } from '../../src/config/declarative-streams.js';
import net from 'node:net';
import { call, startTestApp } from '../helpers/test-app.js';
import { tempDir } from '../helpers/temp-dir.js';
import { testStores } from '../helpers/stores.js';

describe('declarative streams/ files', () => {
  it.each(testStores())('registers declared static transmitters at start, once, across restarts ($name)', async (store) => {
    const { dir, cleanup } = tempDir();
    try {
      fs.writeFileSync(path.join(dir, 'okta.json'), JSON.stringify({ account: 'acme', transmitters: [{ mode: 'static', issuer: 'https://acme.okta.example', jwks_uri: 'http://127.0.0.1:9/keys', audience: 'aud-okta' }] }));
      fs.writeFileSync(path.join(dir, 'ignored.txt'), 'not json');
      const env = { RISKWIRE_STREAMS_DIR: dir, RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', ...store.env() };
      const first = await startTestApp(env);
      const dataDir = first.dataDir;
      try {
        const subs = await first.app.storage.subscriptions.list('acme');
        expect(subs.map((s) => [s.mode, s.issuer, s.audience])).toEqual([['static', 'https://acme.okta.example', 'aud-okta']]);
      } finally {
        await first.app.close(); // keep the data dir: restart on it
      }
      const again = await startTestApp({ ...env, DATA_DIR: dataDir });
      try {
        expect(await again.app.storage.subscriptions.list('acme')).toHaveLength(1);
      } finally {
        await again.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    } finally {
      cleanup();
      await store.cleanup();
    }
  });

  it('a bad file stops start-up naming the file and the field', () => {
    const { dir, cleanup } = tempDir();
    try {
      fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ account: 'acme', transmitters: [{ mode: 'static', issuer: 'not a url', jwks_uri: 'https://x/keys' }] }));
      expect(() => loadDeclaredStreams(dir)).toThrow(/bad\.json: invalid:\n {2}- transmitters\.0\.issuer/);
      fs.writeFileSync(path.join(dir, 'bad.json'), '{ nope');
      expect(() => loadDeclaredStreams(dir)).toThrow(/bad\.json: not valid JSON/);
    } finally {
      cleanup();
    }
  });

  it.each(testStores())('managed: registered at start with the credential its variable holds, once across restarts; an unreachable one does not stop start-up ($name)', async (store) => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(p));
      });
    });
    // The transmitter on the embedded store; the receiver under test on `store`.
    const tx = await startTestApp({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', RISKWIRE_SSF_MIN_VERIFICATION_INTERVAL_SECONDS: '0' });
    const { dir, cleanup } = tempDir();
    try {
      const client = (await call(`${tx.url}/client/v4/accounts/acme/ssf/receivers`, { method: 'POST', token: tx.token, json: { name: 'declared' } })).body.result;
      process.env.RW_TEST_TX_SECRET = client.client_secret;
      fs.writeFileSync(path.join(dir, 'tx.json'), JSON.stringify({
        account: 'acme',
        transmitters: [
          { mode: 'managed', issuer: `${tx.url}/ssf/acme`, delivery: 'poll', auth: { client_id: client.client_id, client_secret_env: 'RW_TEST_TX_SECRET' } },
          { mode: 'managed', issuer: 'http://127.0.0.1:9/ssf/nobody', delivery: 'push', auth: { access_token_env: 'RW_TEST_TX_SECRET' } },
        ],
      }));
      const env = { RISKWIRE_STREAMS_DIR: dir, RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', ...store.env() };
      const first = await startTestApp(env);
      const { dataDir, masterKey } = first;
      try {
        const subs = await first.app.storage.subscriptions.list('acme');
        expect(subs.map((x) => [x.mode, x.issuer, x.status])).toEqual([['managed', `${tx.url}/ssf/acme`, 'active']]);
        expect(await tx.app.storage.streams.get('acme', subs[0]!.streamId!)).not.toBeNull();
      } finally {
        await first.app.close();
      }
      const again = await startTestApp({ ...env, DATA_DIR: dataDir, RISKWIRE_MASTER_KEY: masterKey });
      try {
        expect(await again.app.storage.subscriptions.list('acme')).toHaveLength(1);
      } finally {
        await again.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
      delete process.env.RW_TEST_TX_SECRET;
      expect(() => loadDeclaredStreams(dir)).toThrow(/tx\.json: transmitter .*\/ssf\/acme: its credential is read from RW_TEST_TX_SECRET, which is not set/);
    } finally {
      delete process.env.RW_TEST_TX_SECRET;
      cleanup();
      await tx.close();
      await store.cleanup();
    }
  });

  it('the shipped example is valid and not applied from examples/', () => {
    expect(loadDeclaredStreams(path.resolve('streams/examples'))[0]?.transmitters[0]?.issuer).toBe('https://acme.okta.com');
    expect(loadDeclaredStreams(path.resolve('streams'))).toEqual([]);
  });
});
