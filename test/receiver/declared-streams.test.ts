import fs from 'node:fs';
import path from 'node:path';
import { loadDeclaredStreams } from '../../src/config/declarative-streams.js';
import { startTestApp } from '../helpers/test-app.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('declarative streams/ files', () => {
  it('registers declared static transmitters at start, once, across restarts', async () => {
    const { dir, cleanup } = tempDir();
    try {
      fs.writeFileSync(path.join(dir, 'okta.json'), JSON.stringify({ account: 'acme', transmitters: [{ mode: 'static', issuer: 'https://acme.okta.example', jwks_uri: 'http://127.0.0.1:9/keys', audience: 'aud-okta' }] }));
      fs.writeFileSync(path.join(dir, 'ignored.txt'), 'not json');
      const env = { RISKWIRE_STREAMS_DIR: dir, RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true' };
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

  it('the shipped example is valid and not applied from examples/', () => {
    expect(loadDeclaredStreams(path.resolve('streams/examples'))[0]?.transmitters[0]?.issuer).toBe('https://acme.okta.com');
    expect(loadDeclaredStreams(path.resolve('streams'))).toEqual([]);
  });
});
