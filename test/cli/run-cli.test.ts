import { randomBytes } from 'node:crypto';
import { runCli } from '../../src/cli/run-cli.js';
import type { CliIo } from '../../src/cli/output.js';
import { startTestApp, type TestApp, call } from '../helpers/test-app.js';
import { testStores } from '../helpers/stores.js';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe.each(testStores())('CLI (in process, on the store of a running server: $name)', (store) => {
  let t: TestApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp(store.env());
    env = { DATA_DIR: t.dataDir, RISKWIRE_MASTER_KEY: randomBytes(32).toString('hex'), ...store.env() };
  });
  afterAll(async () => {
    await t?.close();
    await store.cleanup();
  });

  it('creates an account the running server serves at once', async () => {
    const io = capture();
    expect(await runCli(['accounts', 'create', 'cli-made'], env, io)).toBe(0);
    expect(io.stdout).toEqual(['cli-made']);
    const created = capture();
    expect(await runCli(['tokens', 'create', '--account', 'cli-made', '--scope', 'risk:read,pii:read', '--name', 'n'], env, created)).toBe(0);
    const token = created.stdout[0]!;
    const r = await call(`${t.url}/client/v4/accounts/cli-made`, { token });
    expect(r.status).toBe(200);
  });

  it('lists tokens with their status and revokes by id alone', async () => {
    const created = capture();
    await runCli(['tokens', 'create', '--account', 'acme', '--scope', 'admin', '--name', 'to-revoke'], env, created);
    const token = created.stdout[0]!;
    const list = capture();
    expect(await runCli(['tokens', 'list', '--account', 'acme'], env, list)).toBe(0);
    const row = list.stdout[0]!.split('\n').find((l) => l.includes('to-revoke'))!;
    expect(row).toMatch(/active/);
    const id = row.split(/\s+/)[0]!;
    const revoked = capture();
    expect(await runCli(['tokens', 'revoke', id], env, revoked)).toBe(0);
    expect((await call(`${t.url}/client/v4/accounts/acme`, { token })).status).toBe(401);
    const after = capture();
    await runCli(['tokens', 'list', '--account', 'acme'], env, after);
    expect(after.stdout[0]!.split('\n').find((l) => l.startsWith(id))).toMatch(/revoked/);
  });

  it.each([
    [['accounts', 'create', 'Bad Id'], 1, /must match/],
    [['accounts', 'create', 'acme'], 1, /already exists/],
    [['tokens', 'create', '--account', 'nobody', '--scope', 'admin', '--name', 'x'], 1, /not found/],
    [['tokens', 'create', '--account', 'acme', '--scope', 'superuser', '--name', 'x'], 1, /unknown scope/],
    [['tokens', 'create', '--account', 'acme', '--name', 'x'], 64, /usage/],
    [['tokens', 'revoke', 'ffffffff'], 1, /not found/],
    [['tokens', 'list', '--account', 'nobody'], 1, /not found/],
    [['tokens', 'list', '--acount', 'acme'], 64, /Unknown option/],
    [['frobnicate'], 64, /unknown command/],
    [[], 64, /riskwire accounts create/],
  ])('%j exits %i with a clear message on stderr and nothing on stdout', async (args, code, message) => {
    const io = capture();
    expect(await runCli(args, env, io)).toBe(code);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('\n')).toMatch(message);
  });

  it('bad configuration exits 2 naming the variable', async () => {
    const io = capture();
    expect(await runCli(['accounts', 'list'], { MONGODB_URI: 'http://x' }, io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('MONGODB_URI');
  });
});

describe.each(testStores())('CLI: SSF receivers and keys ($name)', (store) => {
  afterAll(() => store.cleanup());
  let t: TestApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp(store.env());
    // Receivers need no master key (their secrets are hashed); `keys rotate` does, and must be
    // given the server's RISKWIRE_MASTER_KEY in real use.
    env = { DATA_DIR: t.dataDir, ...store.env() };
  });
  afterAll(() => t.close());

  it('creates a receiver whose credentials work at the token endpoint, lists and deletes it', async () => {
    const io = capture();
    expect(await runCli(['receivers', 'create', '--account', 'acme', '--name', 'okta', '--scope', 'ssf.read'], env, io)).toBe(0);
    const out = Object.fromEntries(io.stdout.join('\n').split('\n').map((l) => l.split('=') as [string, string]));
    expect(out.client_id).toMatch(/^rcv_/);
    const token = await fetch(`${t.url}/ssf/acme/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${out.client_id}:${out.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    expect(((await token.json()) as { scope: string }).scope).toBe('ssf.read');
    const list = capture();
    await runCli(['receivers', 'list', '--account', 'acme'], env, list);
    expect(list.stdout.join('\n')).toContain(out.client_id);
    expect(await runCli(['receivers', 'delete', '--account', 'acme', out.client_id!], env, capture())).toBe(0);
    expect(await runCli(['receivers', 'delete', '--account', 'acme', out.client_id!], env, capture())).toBe(1);
    expect(await runCli(['receivers', 'list', '--account', 'nobody'], env, capture())).toBe(64);
  });
});

describe.each(testStores())('CLI: deliveries ($name)', (store) => {
  afterAll(() => store.cleanup());
  it('lists a stream’s SETs by state and redrives dead ones', async () => {
    const t = await startTestApp(store.env());
    try {
      const env = { DATA_DIR: t.dataDir, ...store.env() };
      const { receiver } = await t.app.ssf.receivers.create('acme', { name: 'r' }, 'test');
      const stream = await t.app.ssf.streams.create({ accountId: 'acme', clientId: receiver.clientId, audience: receiver.audience }, {});
      await t.app.storage.outbox.enqueue({ accountId: 'acme', streamId: stream.streamId, jti: 'jti-1', set: 'a.b.c', subjectKey: 's', eventType: 'e', sourceId: 'src-1', createdAt: new Date() });
      const listed = capture();
      expect(await runCli(['deliveries', 'list', '--account', 'acme', '--stream', stream.streamId, '--state', 'pending'], env, listed)).toBe(0);
      expect(listed.stdout.join('\n')).toMatch(/jti-1\s+pending\s+0/);
      const redriven = capture();
      expect(await runCli(['deliveries', 'redrive', '--account', 'acme', '--stream', stream.streamId], env, redriven)).toBe(0);
      expect(redriven.stdout).toEqual(['0']);
      expect(await runCli(['deliveries', 'list', '--account', 'acme', '--stream', 'nope'], env, capture())).toBe(1);
      expect(await runCli(['deliveries', 'list', '--account', 'acme', '--stream', stream.streamId, '--state', 'lost'], env, capture())).toBe(64);
    } finally {
      await t.close();
    }
  });
});

describe.each(testStores())('CLI: SSF receiver transmitters ($name)', (store) => {
  afterAll(() => store.cleanup());
  it('registers a static transmitter, lists it, shows its SETs and deletes it', async () => {
    const t = await startTestApp(store.env());
    try {
      const env = { DATA_DIR: t.dataDir, RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', ...store.env() };
      const reg = capture();
      expect(await runCli(['transmitters', 'register', '--account', 'acme', '--issuer', 'https://tx.example.test', '--jwks-uri', 'http://127.0.0.1:9/jwks', '--audience', 'aud-1'], env, reg)).toBe(0);
      const [id, endpoint, audience] = reg.stdout[0]!.split('\t');
      expect(endpoint).toMatch(new RegExp(`/ssf-receiver/acme/${id}$`));
      expect(audience).toBe('aud-1');
      const list = capture();
      await runCli(['transmitters', 'list', '--account', 'acme'], env, list);
      expect(list.stdout[0]).toMatch(new RegExp(`${id}\\s+static\\s+active\\s+https://tx.example.test`));
      expect(await runCli(['transmitters', 'sets', '--account', 'acme', id!], env, capture())).toBe(0);
      expect(await runCli(['transmitters', 'delete', '--account', 'acme', id!], env, capture())).toBe(0);
      expect(await runCli(['transmitters', 'delete', '--account', 'acme', id!], env, capture())).toBe(1);
      expect(await runCli(['transmitters', 'register', '--account', 'acme', '--issuer', 'https://x'], env, capture())).toBe(64);
    } finally {
      await t.close();
    }
  });
});

describe.each(testStores())('CLI: sources ($name)', (store) => {
  afterAll(() => store.cleanup());
  it('update patches settings like the API: --setting sets, --unset removes, a credential stays sealed and unshown', async () => {
    const t = await startTestApp(store.env());
    try {
      const env = { DATA_DIR: t.dataDir, RISKWIRE_MASTER_KEY: t.masterKey, ...store.env() };
      const io = capture();
      expect(await runCli(['sources', 'create', '--account', 'acme', '--type', 'sentinelone', '--name', 's1', '--setting', 'verify_with_api=true', '--setting', 'api_base_url=https://usea1.sentinelone.net', '--setting', 'api_token=console-token'], env, io)).toBe(0);
      const id = io.stdout.join('\n').match(/^id=(\S+)$/m)![1]!;
      expect(await runCli(['sources', 'update', '--account', 'acme', id, '--setting', 'header_name=x-s1-secret'], env, capture())).toBe(0);
      const shown = capture();
      await runCli(['sources', 'show', '--account', 'acme', id], env, shown);
      const text = shown.stdout.join('\n');
      expect(text).toContain('setting.header_name=x-s1-secret');
      expect(text).toContain('setting.api_token=set');
      expect(text).not.toContain('console-token');
      // Verification off and its settings removed, the token with them.
      expect(await runCli(['sources', 'update', '--account', 'acme', id, '--setting', 'verify_with_api=false', '--unset', 'api_base_url', '--unset', 'api_token'], env, capture())).toBe(0);
      const after = capture();
      await runCli(['sources', 'show', '--account', 'acme', id], env, after);
      expect(after.stdout.join('\n')).not.toMatch(/api_token|api_base_url/);
      expect(JSON.stringify(await t.app.storage.sources.get('acme', id))).not.toMatch(/_sealed|api_token/);
    } finally {
      await t.close();
    }
  });

  it('creates a source whose webhook and secret work, lists it, shows its events and deletes it', async () => {
    const t = await startTestApp(store.env());
    try {
      // The server and the CLI must share the master key: the CLI seals the secret the server opens.
      const env = { DATA_DIR: t.dataDir, RISKWIRE_MASTER_KEY: t.masterKey, ...store.env() };
      const io = capture();
      expect(await runCli(['sources', 'create', '--account', 'acme', '--type', 'okta_event_hook', '--name', 'okta'], env, io)).toBe(0);
      const out = Object.fromEntries(io.stdout.join('\n').split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      expect(out.secret).toMatch(/^rwsrc_/);
      const hook = `${t.url}${new URL(out.webhook_url!).pathname}`;
      const delivered = await fetch(hook, { method: 'POST', headers: { authorization: out.secret!, 'content-type': 'application/json' }, body: JSON.stringify({ data: { events: [{ uuid: 'cli-1', eventType: 'user.session.start' }] } }) });
      expect(delivered.status).toBe(204);
      const list = capture();
      await runCli(['sources', 'list', '--account', 'acme'], env, list);
      expect(list.stdout[0]).toContain(out.id!);
      const events = capture();
      await runCli(['sources', 'events', '--account', 'acme', out.id!], env, events);
      expect(events.stdout[0]).toMatch(/user\.session\.start\s+cli-1/);
      // Rename and rotate the secret: the new one works at once, the old one no longer.
      const updated = capture();
      expect(await runCli(['sources', 'update', '--account', 'acme', out.id!, '--name', 'okta eu', '--rotate-secret'], env, updated)).toBe(0);
      const rotated = updated.stdout.join('\n').match(/^secret=(rwsrc_\S+)$/m)?.[1];
      expect(rotated).toBeDefined();
      const redeliver = (authorization: string, uuid: string) => fetch(hook, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ data: { events: [{ uuid, eventType: 'user.session.start' }] } }) });
      expect((await redeliver(out.secret!, 'cli-2')).status).toBe(401);
      expect((await redeliver(rotated!, 'cli-3')).status).toBe(204);
      const shown = capture();
      expect(await runCli(['sources', 'show', '--account', 'acme', out.id!], env, shown)).toBe(0);
      expect(shown.stdout.join('\n')).toContain('name=okta eu');
      expect(shown.stdout.join('\n')).not.toContain(rotated!);
      expect(await runCli(['sources', 'update', '--account', 'acme', out.id!], env, capture())).toBe(64); // nothing to change
      expect(await runCli(['sources', 'delete', '--account', 'acme', out.id!], env, capture())).toBe(0);
      expect(await runCli(['sources', 'create', '--account', 'acme', '--type', 'splunk', '--name', 'x'], env, capture())).toBe(64);
    } finally {
      await t.close();
    }
  });
});

describe.each(testStores())('CLI: managed transmitters ($name)', (store) => {
  afterAll(() => store.cleanup());
  it('registers a managed subscription with credentials read from the environment variable it names, never from the command line', async () => {
    const net = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as import('node:net').AddressInfo;
        s.close(() => resolve(p));
      });
    });
    const tx = await startTestApp({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true' });
    const rx = await startTestApp({ RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', ...store.env() });
    try {
      const client = (await call(`${tx.url}/client/v4/accounts/acme/ssf/receivers`, { method: 'POST', token: tx.token, json: { name: 'cli' } })).body.result;
      const env = { DATA_DIR: rx.dataDir, RISKWIRE_MASTER_KEY: rx.masterKey, RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', PUBLIC_URL: rx.url, ...store.env() };
      const args = ['transmitters', 'register', '--account', 'acme', '--managed', '--issuer', `${tx.url}/ssf/acme`, '--client-id', client.client_id, '--client-secret-env', 'RW_CLI_TX_SECRET', '--delivery', 'poll', '--event', 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change'];
      const unset = capture();
      expect(await runCli(args, env, unset)).toBe(64);
      expect(unset.stderr.join('\n')).toContain('--client-secret-env names RW_CLI_TX_SECRET, which is not set');
      const io = capture();
      expect(await runCli(args, { ...env, RW_CLI_TX_SECRET: client.client_secret }, io)).toBe(0);
      const [id, status] = io.stdout[0]!.split('\t');
      expect(status).toBe('active');
      const sub = await rx.app.storage.subscriptions.get('acme', id!);
      expect(sub).toMatchObject({ mode: 'managed', issuer: `${tx.url}/ssf/acme`, status: 'active' });
      const stream = await tx.app.storage.streams.get('acme', sub!.streamId!);
      expect(stream?.eventsRequested).toEqual(['https://schemas.openid.net/secevent/caep/event-type/risk-level-change']);
      // The old flag that took the secret itself on the command line is gone.
      expect(await runCli([...args.slice(0, 9), '--client-secret', client.client_secret], env, capture())).toBe(64);
    } finally {
      await rx.close();
      await tx.close();
    }
  });
});
