import http from 'node:http';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { call } from '../helpers/test-app.js';
import { tempDir } from '../helpers/temp-dir.js';
import { dropDatabase, freshDatabaseUri, mongoTestUri } from '../helpers/mongo.js';
import { MAIN, childEnv, requireBuild, runCliProcess, spawnServer } from '../helpers/processes.js';

const mongoUri = mongoTestUri();

beforeAll(() => requireBuild());

/** The same end-to-end story on each store: CLI beside the server, graceful stop, restart. */
function describeServerLifecycle(store: 'sqlite' | 'mongodb') {
  describe(`riskwire process on ${store}`, () => {
    let env: Record<string, string>;
    let cleanup: () => void;
    let dbUri: string | undefined;
    beforeAll(() => {
      const tmp = tempDir();
      cleanup = tmp.cleanup;
      env = {
        DATA_DIR: tmp.dir,
        RISKWIRE_MASTER_KEY: randomBytes(32).toString('hex'),
        RISKWIRE_BOOTSTRAP_ACCOUNT: 'acme',
        RISKWIRE_BOOTSTRAP_TOKEN: `boot-${randomBytes(20).toString('hex')}`,
      };
      if (store === 'mongodb') {
        dbUri = freshDatabaseUri(mongoUri!);
        env.MONGODB_URI = dbUri;
      }
    });
    afterAll(async () => {
      cleanup();
      if (dbUri) await dropDatabase(dbUri);
    });

    it('serves, works with the CLI on the same store, stops on SIGTERM with a request in flight, and keeps data after restart', async () => {
      const first = await spawnServer(env);
      let token = '';
      try {
        expect((await call(`${first.url}/healthz`)).status).toBe(200);
        expect((await call(`${first.url}/readyz`)).status).toBe(200);

        // The CLI runs while the server holds the same store.
        const created = await runCliProcess(['accounts', 'create', 'beta', '--name', 'Beta Inc'], env);
        expect(created).toMatchObject({ code: 0, stdout: 'beta\n' });
        const minted = await runCliProcess(['tokens', 'create', '--account', 'beta', '--scope', 'admin', '--name', 'ops'], env);
        expect(minted.code).toBe(0);
        // stdout carries the token and nothing else.
        expect(minted.stdout).toMatch(/^rw_[A-Za-z0-9_-]{43}\n$/);
        token = minted.stdout.trim();
        expect((await call(`${first.url}/client/v4/accounts/beta`, { token })).body.result).toMatchObject({ id: 'beta', name: 'Beta Inc' });
        // A token offered in the query string must not end up in the logs either.
        await call(`${first.url}/client/v4/accounts/beta?access_token=${token}`);

        // Start a request, stop the server mid-body, then finish the body: it must still be answered.
        const inFlight = new Promise<number>((resolve, reject) => {
          const req = http.request(`${first.url}/client/v4/accounts/beta/tokens`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          });
          req.on('response', (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.write('{"name":"in-flight",');
          setTimeout(() => {
            first.child.kill('SIGTERM');
            setTimeout(() => req.end('"scopes":["risk:read"]}'), 300);
          }, 100);
        });
        const started = Date.now();
        expect(await inFlight).toBe(201);
        expect(await first.exited).toBe(0);
        expect(Date.now() - started).toBeLessThan(10000);
      } finally {
        first.child.kill('SIGKILL');
      }

      // Logs: JSON lines, one per request with its id and account, never a secret.
      const lines = first.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const requests = lines.filter((l) => l.message === 'request');
      expect(requests.length).toBeGreaterThanOrEqual(5);
      expect(requests.find((l) => l.route === '/client/v4/accounts/:account_id' && l.status === 200)).toMatchObject({
        method: 'GET',
        account: 'beta',
        category: 'http',
      });
      for (const r of requests) expect(r).toEqual(expect.objectContaining({ request_id: expect.any(String), duration_ms: expect.any(Number) }));
      const everything = first.stdout() + first.stderr();
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(env.RISKWIRE_BOOTSTRAP_TOKEN);
      expect(everything).not.toContain(env.RISKWIRE_MASTER_KEY);

      // Restart on the same store: the account, its tokens and the in-flight token are there.
      const second = await spawnServer(env);
      try {
        expect((await call(`${second.url}/client/v4/accounts/beta`, { token })).status).toBe(200);
        const listed = await call(`${second.url}/client/v4/accounts/beta/tokens`, { token });
        expect(listed.body.result.map((x: { name: string }) => x.name).sort()).toEqual(['in-flight', 'ops']);
        const accounts = await runCliProcess(['accounts', 'list'], env);
        expect(accounts.stdout).toMatch(/^beta\s+Beta Inc/m);
        expect(accounts.stdout).toMatch(/^acme\s+acme/m);
        second.child.kill('SIGINT');
        expect(await second.exited).toBe(0);
      } finally {
        second.child.kill('SIGKILL');
      }
    });
  });
}

describeServerLifecycle('sqlite');
if (mongoUri) describeServerLifecycle('mongodb');
else describe.skip('riskwire process on mongodb (skipped: MONGODB_URI not set)', () => it('needs MongoDB', () => undefined));

describe('start-up failures', () => {
  it('invalid configuration: every problem on stderr, exit code 2, nothing listening', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [MAIN], { env: childEnv({ PORT: 'x', LOG_FORMAT: 'yaml', MONGODB_URI: 'redis://x' }) });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(2);
    for (const name of ['PORT', 'LOG_FORMAT', 'MONGODB_URI']) expect(r.stderr).toContain(name);
  });

  it('an unreachable MongoDB: start-up fails with exit code 1 instead of hanging', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, [MAIN], {
          env: childEnv({ PORT: '0', DATA_DIR: dir, MONGODB_URI: 'mongodb://127.0.0.1:1/x', RISKWIRE_MASTER_KEY: randomBytes(32).toString('hex') }),
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child.on('exit', (code) => resolve({ code, output }));
      });
      expect(r.code).toBe(1);
      expect(r.output).toContain('start-up failed');
    } finally {
      cleanup();
    }
  });
});
