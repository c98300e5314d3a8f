import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/observability/logger.js';
import { startPullConnectors } from '../../src/sources/pull-connectors.js';
import { startEventStreams } from '../../src/sources/crowdstrike/event-streams.js';
import { guardedFetch } from '../../src/ssf/outbound/guarded-fetch.js';
import { eventually } from '../helpers/eventually.js';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { testStores } from '../helpers/stores.js';

/*
 * The CrowdStrike Event Streams pull connector (vendors reference §4.2 steps 1–5) against a fake
 * Falcon cloud: a real HTTP server on loopback that speaks the OAuth2 token, datafeed discovery,
 * NDJSON stream and session refresh endpoints, and records what the connector asked for.
 */

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'crowdstrike');
const rand = () => randomBytes(6).toString('hex');
const silent = createLogger({ level: 'error', format: 'json', silent: true });

/** A detection at `offset` for a fresh user (the §4.2 sample, Severity 70 → crowdstrike_detection_high). */
function detection(offset: number) {
  const f = JSON.parse(fs.readFileSync(path.join(fixtures, 'epp-detection-summary.json'), 'utf8'));
  f.metadata.offset = offset;
  f.event.CompositeId = `${f.event.CompositeId}-${rand()}`;
  f.event.UserName = `streamed-${rand()}`;
  return f;
}

class FakeFalcon {
  readonly server: http.Server;
  /** The events the feed holds, by offset; a request streams those at or after `offset`. */
  feed: Array<{ offset: number; line: string }> = [];
  tokenRequests: URLSearchParams[] = [];
  feedRequests: Array<{ offset: string | null; authorization: string | undefined }> = [];
  refreshes: string[] = [];
  openStreams = new Set<http.ServerResponse>();
  refreshInterval = 1800;
  /** Status the next feed request answers with, once (then 200). */
  failNextFeed: number | null = null;
  base = '';

  constructor(private readonly clientSecret: string) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    for (const s of this.openStreams) s.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url!, this.base);
    let body = '';
    for await (const c of req) body += c;
    const json = (status: number, v: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (req.method === 'POST' && url.pathname === '/oauth2/token') {
      const form = new URLSearchParams(body);
      this.tokenRequests.push(form);
      if (form.get('client_secret') !== this.clientSecret) return json(401, { errors: [{ message: 'access denied' }] });
      return json(201, { access_token: 'oauth-access', token_type: 'bearer', expires_in: 1799 });
    }
    if (req.headers.authorization !== 'Bearer oauth-access' && !url.pathname.startsWith('/sensors/entities/datafeed/v1/')) return json(401, {});
    if (req.method === 'GET' && url.pathname === '/sensors/entities/datafeed/v2') {
      if (url.searchParams.get('appId') !== 'riskwire' || url.searchParams.get('format') !== 'json') return json(400, {});
      return json(200, { meta: {}, resources: [{
        dataFeedURL: `${this.base}/sensors/entities/datafeed/v1/0?appId=riskwire`,
        sessionToken: { token: 'session-token', expiration: new Date(Date.now() + 1800_000).toISOString() },
        refreshActiveSessionURL: `${this.base}/sensors/entities/datafeed-actions/v1/0?action_name=refresh_active_stream_session&appId=riskwire`,
        refreshActiveSessionInterval: this.refreshInterval,
      }] });
    }
    if (req.method === 'POST' && url.pathname === '/sensors/entities/datafeed-actions/v1/0') {
      this.refreshes.push(url.searchParams.get('action_name') ?? '');
      return json(200, { meta: {}, resources: [], errors: [] });
    }
    if (req.method === 'GET' && url.pathname === '/sensors/entities/datafeed/v1/0') {
      this.feedRequests.push({ offset: url.searchParams.get('offset'), authorization: req.headers.authorization });
      if (this.failNextFeed) {
        const status = this.failNextFeed;
        this.failNextFeed = null;
        return json(status, {});
      }
      if (req.headers.authorization !== 'Token session-token') return json(401, {});
      const from = Number(url.searchParams.get('offset') ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      this.openStreams.add(res);
      res.on('close', () => this.openStreams.delete(res));
      for (const e of this.feed.filter((x) => x.offset >= from)) res.write(`${e.line}\n`);
      res.write('\n'); // keep-alive newline
      return; // the stream stays open, like Falcon's
    }
    json(404, {});
  }
}

let t: TestApp;
let falcon: FakeFalcon;
const secret = `cs-${rand()}`;

const streamSettings = () => ({ stream_api_base_url: falcon.base, stream_client_id: 'client-1', stream_client_secret: secret, stream_app_id: 'riskwire' });
async function createSource(settings: Record<string, unknown>) {
  const r = await call(`${t.url}/client/v4/accounts/acme/sources`, { method: 'POST', token: t.token, json: { type: 'crowdstrike', name: `stream-${rand()}`, settings } });
  return r;
}
/**
 * The level of the user a detection names, once scored: the user is created and the event is
 * recorded in two writes, so a user found between them is not scored yet.
 */
const levelOf = async (user: string) =>
  eventually(async () => {
    const id = await t.app.storage.users.findByIdentifier('acme', { kind: 'windows_account', value: `CISO-DUMMY-CSDEV\\${user}`.toLowerCase() });
    const level = id ? (await t.app.storage.users.get('acme', id))?.level : undefined;
    return level === 'unscored' ? undefined : level;
  });
const connectors = (allowPrivateNetwork = true, logger = silent) =>
  startPullConnectors({ storage: t.app.storage, sources: t.app.sources, logger, allowPrivateNetwork, intervalMs: 50, backoffMs: { first: 20, max: 200 } });
/** A logger that keeps its warnings, to see why a connector did not connect. */
const capturing = () => {
  const warnings: string[] = [];
  const l: typeof silent = { error: () => {}, info: () => {}, debug: () => {}, warn: (m, meta) => void warnings.push(`${m} ${String(meta?.error)}`), child: () => l };
  return { logger: l, warnings };
};

/**
 * Fault injection on the real store: recording a delivery fails ('disk I/O error') whenever
 * `fails` says so of one of its events. Returns the function that restores the store.
 */
function failRecording(fails: (e: Parameters<typeof t.app.storage.sources.recordEvent>[0]) => boolean): () => void {
  const store = t.app.storage.sources;
  const recordDelivery = store.recordDelivery;
  store.recordDelivery = async (a, s, events, nonce) => {
    if (events.some(fails)) throw new Error('disk I/O error');
    return recordDelivery.call(store, a, s, events, nonce);
  };
  return () => {
    store.recordDelivery = recordDelivery;
  };
}

describe.each(testStores())('CrowdStrike Event Streams ($name)', (store) => {
  beforeAll(async () => {
    t = await startTestApp({ RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', ...store.env() });
    const r = await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, {
      method: 'PUT', token: t.token, json: { behaviors: { crowdstrike_detection_high: { enabled: true, risk_level: 'medium' } } },
    });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await store.cleanup();
  });
  beforeEach(async () => {
    falcon = new FakeFalcon(secret);
    await falcon.start();
  });
  afterEach(async () => falcon.stop());

  describe('Event Streams settings', () => {
    test('are all or none, naming each missing setting', async () => {
      const r = await createSource({ stream_api_base_url: 'https://api.eu-1.crowdstrike.com', stream_client_id: 'c' });
      expect(r.status).toBe(400);
      expect(r.text).toContain('stream_client_secret');
      expect(r.text).toContain('stream_app_id');
    });

    test('the client secret is sealed: never returned by the API', async () => {
      const r = await createSource(streamSettings());
      expect(r.status).toBe(201);
      expect(r.text).not.toContain(secret);
      expect(r.body.result.settings.stream_client_id).toBe('client-1');
      const got = await call(`${t.url}/client/v4/accounts/acme/sources/${r.body.result.id}`, { token: t.token });
      expect(got.text).not.toContain(secret);
      await call(`${t.url}/client/v4/accounts/acme/sources/${r.body.result.id}`, { method: 'DELETE', token: t.token });
    });
  });

  describe('Event Streams settings, patched', () => {
    test('PATCH merges settings (RFC 7396): a change keeps the sealed secret, null removes the Event Streams settings and their secret', async () => {
      const src = (await createSource(streamSettings())).body.result;
      const patch = (settings: Record<string, unknown>) => call(`${t.url}/client/v4/accounts/acme/sources/${src.id}`, { method: 'PATCH', token: t.token, json: { settings } });
      const changed = await patch({ replay_window_seconds: 120 });
      expect(changed.status).toBe(200);
      expect(changed.body.result.settings).toMatchObject({ replay_window_seconds: 120, stream_client_id: 'client-1', stream_client_secret: 'set' });
      // The secret left out is still the one the connector authenticates with.
      const c = connectors();
      try {
        await eventually(() => falcon.tokenRequests.length >= 1);
        expect(falcon.tokenRequests[0]!.get('client_secret')).toBe(secret);
      } finally {
        await c.stop();
      }
      // Removing only part of the group is refused, naming what is missing; removing all of it switches the connector off.
      expect((await patch({ stream_client_secret: null })).status).toBe(400);
      const off = await patch({ stream_api_base_url: null, stream_client_id: null, stream_client_secret: null, stream_app_id: null });
      expect(off.status).toBe(200);
      expect(Object.keys(off.body.result.settings).filter((k) => k.startsWith('stream_'))).toEqual([]);
      expect(JSON.stringify(await t.app.storage.sources.get('acme', src.id))).not.toMatch(/_sealed|stream_/);
      const targets = await t.app.sources.pullTargets('crowdstrike', (s) => typeof s.stream_client_id === 'string');
      expect(targets.map((x) => x.source.id)).not.toContain(src.id);
      await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}`, { method: 'DELETE', token: t.token });
    });
  });

  describe('the Event Streams connector', () => {
    test('stopped while it reads its offsets, it ends at once and never opens the (endless) feed', async () => {
      let asked!: () => void;
      const reading = new Promise<void>((resolve) => (asked = resolve));
      let release!: () => void;
      const c = startEventStreams({
        settings: { baseUrl: falcon.base, clientId: 'client-1', clientSecret: secret, appId: 'riskwire' },
        fetch: guardedFetch({ allowPrivateNetwork: true }), allowPrivateNetwork: true, logger: silent, backoffMs: { first: 20, max: 200 },
        getOffsets: () => new Promise((resolve) => {
          asked();
          release = () => resolve({});
        }),
        saveOffset: async () => {},
        ingest: async () => {},
      });
      await reading; // discovered; the session is reading its offsets
      const stopped = c.stop(); // the stop comes before the session listens for it
      release();
      await stopped;
      expect(falcon.feedRequests).toEqual([]);
    });

    test('authenticates, discovers, scores streamed events, records malformed ones and resumes after the last offset', async () => {
      const a = detection(100);
      const b = detection(102);
      falcon.feed = [{ offset: 100, line: JSON.stringify(a) }, { offset: 101, line: 'not json at all' }, { offset: 102, line: JSON.stringify(b) }];
      const src = (await createSource(streamSettings())).body.result;
      let c = connectors();
      try {
        expect(await levelOf(a.event.UserName)).toBe('medium');
        expect(await levelOf(b.event.UserName)).toBe('medium');
        await eventually(async () => (await t.app.storage.sources.getOffsets('acme', src.id))['0'] === 102);
        // §4.2 step 1: client credentials from the (opened) sealed setting; step 3: the session token.
        expect(falcon.tokenRequests[0]!.get('client_id')).toBe('client-1');
        expect(falcon.feedRequests[0]).toEqual({ offset: null, authorization: 'Token session-token' });
        const events = (await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}/events?limit=100`, { token: t.token })).body.result as Array<{ outcome: string }>;
        expect(events.some((e) => e.outcome.startsWith('rejected'))).toBe(true);
        expect(events.filter((e) => e.outcome.startsWith('scored'))).toHaveLength(2);
      } finally {
        await c.stop();
      }
      // A restart resumes after the last processed offset (§4.2 step 5) and scores only what is new.
      const d = detection(103);
      falcon.feed.push({ offset: 103, line: JSON.stringify(d) });
      c = connectors();
      try {
        expect(await levelOf(d.event.UserName)).toBe('medium');
        expect(falcon.feedRequests.at(-1)!.offset).toBe('103');
        // The outcome is written after the scoring (on MongoDB it can trail the user's level).
        await eventually(async () => {
          const events = (await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}/events?limit=100`, { token: t.token })).body.result as Array<{ outcome: string }>;
          return events.filter((e) => e.outcome.startsWith('scored')).length === 3;
        });
      } finally {
        await c.stop();
        await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}`, { method: 'DELETE', token: t.token });
      }
    });

    test('refreshes the session before its interval ends (§4.2 step 4)', async () => {
      falcon.refreshInterval = 0.2; // seconds: short intervals refresh at half the interval
      const src = (await createSource(streamSettings())).body.result;
      const c = connectors();
      try {
        await eventually(() => falcon.refreshes.length >= 2);
        expect(falcon.refreshes[0]).toBe('refresh_active_stream_session');
        expect(falcon.feedRequests).toHaveLength(1); // refreshing keeps the same stream open
      } finally {
        await c.stop();
        await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}`, { method: 'DELETE', token: t.token });
      }
    });

    test('a failing feed is retried with a fresh session; a deleted source stops streaming', async () => {
      falcon.failNextFeed = 503;
      const e = detection(7);
      falcon.feed = [{ offset: 7, line: JSON.stringify(e) }];
      const src = (await createSource(streamSettings())).body.result;
      const c = connectors();
      try {
        expect(await levelOf(e.event.UserName)).toBe('medium');
        expect(falcon.feedRequests.length).toBeGreaterThanOrEqual(2);
        await eventually(() => falcon.openStreams.size === 1);
        await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}`, { method: 'DELETE', token: t.token });
        await eventually(() => falcon.openStreams.size === 0);
      } finally {
        await c.stop();
      }
    });

    test('a store failure while an event is scored ends the session before its offset moves: the event is read again, not skipped', async () => {
      const e = detection(300);
      falcon.feed = [{ offset: 300, line: JSON.stringify(e) }];
      // The first recording of a vendor event fails.
      let failed = 0;
      const restore = failRecording((ev) => ev.kind !== 'rejected' && failed === 0 && ++failed === 1);
      const src = (await createSource(streamSettings())).body.result;
      const c = connectors();
      try {
        expect(await levelOf(e.event.UserName)).toBe('medium');
        expect(failed).toBe(1);
        expect(falcon.feedRequests.length).toBeGreaterThanOrEqual(2); // read again in a new session
        await eventually(async () => (await t.app.storage.sources.getOffsets('acme', src.id))['0'] === 300);
      } finally {
        restore();
        await c.stop();
        await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}`, { method: 'DELETE', token: t.token });
      }
    });

    test('an event whose scoring fails every time is skipped after 5 attempts, so the partition does not stall', async () => {
      const poison = detection(400);
      const next = detection(401);
      falcon.feed = [{ offset: 400, line: JSON.stringify(poison) }, { offset: 401, line: JSON.stringify(next) }];
      let attempts = 0;
      const restore = failRecording((ev) => ev.eventId.includes(String(poison.event.CompositeId)) && ++attempts > 0);
      const src = (await createSource(streamSettings())).body.result;
      const c = connectors();
      try {
        expect(await levelOf(next.event.UserName)).toBe('medium');
        expect(attempts).toBe(5);
        await eventually(async () => (await t.app.storage.sources.getOffsets('acme', src.id))['0'] === 401);
      } finally {
        restore();
        await c.stop();
        await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}`, { method: 'DELETE', token: t.token });
      }
    });

    test('wrong client credentials never reach the feed', async () => {
      const src = (await createSource({ ...streamSettings(), stream_client_secret: 'wrong' })).body.result;
      const c = connectors();
      try {
        await eventually(() => falcon.tokenRequests.length >= 2); // retried with backoff
        expect(falcon.feedRequests).toHaveLength(0);
      } finally {
        await c.stop();
        await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}`, { method: 'DELETE', token: t.token });
      }
    });

    test('outbound rules apply: a loopback Falcon URL is refused unless private networks are allowed', async () => {
      const src = (await createSource(streamSettings())).body.result;
      const { logger, warnings } = capturing();
      const c = connectors(false, logger);
      try {
        await eventually(() => warnings.some((w) => /refusing/.test(w)));
        expect(falcon.tokenRequests).toHaveLength(0);
      } finally {
        await c.stop();
        await call(`${t.url}/client/v4/accounts/acme/sources/${src.id}`, { method: 'DELETE', token: t.token });
      }
    });
  });
});
