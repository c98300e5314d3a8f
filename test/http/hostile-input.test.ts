import type { Router } from 'express';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadConfig } from '../../src/config/index.js';
import { call } from '../helpers/test-app.js';
import type { TestApp } from '../helpers/test-app.js';
import { ACCOUNT, createReceiver, createStream, startSsfApp } from '../ssf/helpers.js';
import { testStores } from '../helpers/stores.js';

/*
 * Every route the server has, taken from the express app itself (a route added later is swept
 * too), plus the hot-path POSTs, sent bodies no client should send: malformed JSON, the wrong
 * JSON type, every field with the wrong type, prototype-pollution keys, deep nesting, an
 * oversized body, a foreign content type. The standard (DEVELOPERS.md "Bad input"): a clear
 * client error, never a 500, never a stack trace, and nothing stored becomes unreadable.
 */

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** [path pattern, methods] of every express route; hot-path routes register no method of their own. */
function expressRoutes(): Array<{ path: string; methods: Method[] }> {
  const config = loadConfig({ DATA_DIR: '/nonexistent', RISKWIRE_MASTER_KEY: '0'.repeat(64) });
  const unused = {} as never;
  const app = createHttpApp({
    config, logger: createLogger({ level: 'error', format: 'json', silent: true }), metrics: createMetrics(), accounts: unused, tokens: unused, risk: unused,
    ssf: unused, receiver: unused, sources: unused, storage: unused, now: () => new Date(), ready: async () => {}, isDraining: () => false,
  });
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const out: Array<{ path: string; methods: Method[] }> = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = Object.keys(layer.route.methods).filter((m): m is Method => ['get', 'post', 'put', 'patch', 'delete'].includes(m));
        out.push({ path: layer.route.path, methods: methods.length ? methods : ['post'] }); // none: served by the hot path
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: Router & { stack: Layer[] } }).router.stack);
  return out;
}

/** Every field name riskwire's request schemas read, each given a value of the wrong type. */
const FIELDS = [
  'name', 'scopes', 'behaviors', 'signals', 'id', 'user', 'email', 'identifiers', 'behavior', 'occurred_at', 'source', 'details', 'enabled', 'risk_level',
  'description', 'decay_window_seconds', 'type', 'settings', 'rotate_secret', 'issuer', 'well_known_url', 'jwks_uri', 'audience', 'mode', 'auth', 'delivery',
  'events_requested', 'subject', 'subjects', 'stream_id', 'status', 'reason', 'state', 'format', 'reference_id', 'integration', 'endpoint_url', 'method',
  'maxEvents', 'returnImmediately', 'ack', 'setErrs', 'default_subjects', 'verification', 'grant_type', 'client_id', 'client_secret', 'scope',
];
const wrongTypes = (value: unknown) => JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, value])));

const JSON_TYPE = { 'content-type': 'application/json' };
const BODIES: Array<{ name: string; body: string; headers: Record<string, string> }> = [
  { name: 'malformed JSON', body: '{"name": "x", ', headers: JSON_TYPE },
  { name: 'a JSON array', body: '[]', headers: JSON_TYPE },
  { name: 'JSON null', body: 'null', headers: JSON_TYPE },
  { name: 'a JSON string', body: '"riskwire"', headers: JSON_TYPE },
  { name: 'every field an object', body: wrongTypes({}), headers: JSON_TYPE },
  { name: 'every field a number', body: wrongTypes(-1e308), headers: JSON_TYPE },
  { name: 'every field an array of nulls', body: wrongTypes([null, null]), headers: JSON_TYPE },
  { name: 'every field a long string', body: wrongTypes('\u0000<script>'.repeat(500)), headers: JSON_TYPE },
  { name: 'keys MongoDB refuses ($, dots)', body: JSON.stringify({ ...JSON.parse(wrongTypes({ $gt: 1, 'a.b': { $where: 'x' } })), signals: [{ behavior: 'imp_travel', user: { email: 'dollar@example.com' }, details: { $gt: 1, 'a.b': 2, nested: { $where: 'x' } } }] }), headers: JSON_TYPE },
  { name: 'prototype-pollution keys', body: '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "signals": [{"__proto__": {"polluted": true}}]}', headers: JSON_TYPE },
  { name: 'deep nesting', body: `${'['.repeat(5000)}${']'.repeat(5000)}`, headers: JSON_TYPE },
  { name: 'a form body', body: 'grant_type=client_credentials&scope=%ZZ', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { name: 'bytes with no content type', body: '\u00ff\u00fe garbage', headers: {} },
  { name: 'a JWS-shaped string', body: 'eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.', headers: { 'content-type': 'application/secevent+jwt' } },
  { name: 'an oversized body', body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }), headers: JSON_TYPE },
];

/** A stack trace or an internal error name in a response body. */
const LEAK = /at .+\.(js|ts):\d+|node_modules|TypeError|ReferenceError|SqliteError|MongoServerError/;

describe.each(testStores())('hostile input on every route ($name)', (store) => {
  let t: TestApp;
  let ids: Record<string, string>;
  let receiverToken: string;
  beforeAll(async () => {
    t = await startSsfApp({ RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', ...store.env() });
    const api = `${t.url}/client/v4/accounts/${ACCOUNT}`;
    const token = await call(`${api}/tokens`, { method: 'POST', token: t.token, json: { name: 'sweep', scopes: ['risk:read'] } });
    const source = await call(`${api}/sources`, { method: 'POST', token: t.token, json: { type: 'crowdstrike', name: 'falcon' } });
    const sub = await call(`${api}/ssf/transmitters`, { method: 'POST', token: t.token, json: { mode: 'static', issuer: 'https://tx.example', jwks_uri: 'http://127.0.0.1:9/jwks', audience: 'https://riskwire.test/aud' } });
    await call(`${api}/zt_risk_scoring/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { imp_travel: { enabled: true, risk_level: 'high' } } } });
    const signal = await call(`${api}/zt_risk_scoring/signals`, { method: 'POST', token: t.token, json: { signals: [{ behavior: 'imp_travel', user: { email: 'sweep@example.com' } }] } });
    const receiver = await createReceiver(t);
    receiverToken = receiver.token;
    const stream = await createStream(t, receiver.token, {});
    for (const r of [token, source, sub, signal]) expect(r.status).toBeLessThan(300);
    ids = {
      account_id: ACCOUNT, token_id: token.body.result.id, source_id: source.body.result.id, subscription_id: sub.body.result.id,
      user_id: signal.body.result.items[0].user_id, client_id: receiver.clientId, stream_id: stream.stream_id,
      behavior_id: 'imp_travel', integration_id: 'int_nonexistent', reference_id: 'ref_nonexistent',
    };
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  const routes = expressRoutes();

  it('finds the routes to sweep', () => {
    // A floor, not an exact count: the sweep must not silently cover nothing.
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/client/v4/accounts/:account_id/zt_risk_scoring/signals', '/ssf-receiver/:account_id/:subscription_id']));
  });

  /** The path with real ids of this account (`real`) or ids nobody has. */
  const fill = (pattern: string, real: boolean) => pattern.replace(/:(\w+)/g, (_m, p: string) => encodeURIComponent(real ? ids[p] ?? `no-${p}` : p === 'account_id' ? ACCOUNT : `no-such-${p}`));

  /** Requests that fail the standard, as readable lines (empty when all is well), and how many got each status. */
  const failuresOf = async (requests: Array<{ method: Method; path: string; url: string; body?: { body: string; headers: Record<string, string> } }>) => {
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    for (const q of requests) {
      const bearer = q.path.startsWith('/ssf/') ? receiverToken : t.token;
      const res = await call(q.url, { method: q.method.toUpperCase(), token: bearer, ...(q.body ?? {}) });
      const where = `${q.method.toUpperCase()} ${q.url.slice(t.url.length)} → ${res.status}`;
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status >= 500) failures.push(`${where}: ${res.text.slice(0, 200)}`);
      else if (LEAK.test(res.text)) failures.push(`${where} leaks internals: ${res.text.slice(0, 200)}`);
      else if (res.status >= 400 && (res.headers.get('content-type') ?? '').includes('json') && res.body === undefined) failures.push(`${where}: a JSON error that does not parse`);
    }
    return { failures, statuses };
  };
  /** Every route and method, the webhook's POST included (it shares its path with Okta's verification GET). */
  const endpoints = () => routes.flatMap((r) => (r.path === '/sources/:account_id/:source_id' ? [...r.methods, 'post' as const] : r.methods).map((method) => ({ method, path: r.path })));

  it.each(BODIES.map((b) => [b.name, b] as const))('%s → a client error (or a success), never a 500 or a stack trace', async (_name, body) => {
    const writes = endpoints().filter((e) => e.method === 'post' || e.method === 'put' || e.method === 'patch');
    // Real ids reach the handlers' validation; unknown ids their not-found paths. A reset needs no
    // body and would succeed: only with an unknown user, so the user's score below stays.
    const requests = writes.flatMap((e) => [true, false]
      .filter((real) => !(real && e.path.endsWith('/reset')))
      .map((real) => ({ ...e, url: `${t.url}${fill(e.path, real)}`, body })));
    const { failures, statuses } = await failuresOf(requests);
    expect(failures).toEqual([]);
    // Not vacuous: most requests got past authentication to the handlers' own checks.
    const refused = (statuses[400] ?? 0) + (statuses[413] ?? 0) + (statuses[415] ?? 0);
    expect(refused).toBeGreaterThan(requests.length / 2);
  });

  it('reads and deletes with unknown ids and nonsense query strings → a client error, never a 500', async () => {
    const query = '?page=-1&per_page=1e400&order_by=__proto__&direction=sideways&limit=abc&stream_id=&stream_id=x&cursor[a]=1';
    const requests = endpoints().filter((e) => e.method === 'get' || e.method === 'delete')
      .flatMap((e) => [{ ...e, url: `${t.url}${fill(e.path, false)}${query}` }, ...(e.method === 'get' ? [{ ...e, url: `${t.url}${fill(e.path, true)}${query}` }] : [])]);
    const { failures, statuses } = await failuresOf(requests);
    expect(failures).toEqual([]);
    expect(statuses[404]).toBeGreaterThan(10);
  });

  it('leaves the store readable and nothing polluted', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const api = `${t.url}/client/v4/accounts/${ACCOUNT}`;
    for (const path of ['', '/tokens', '/sources', '/ssf/transmitters', '/zt_risk_scoring/behaviors', '/zt_risk_scoring/summary', `/zt_risk_scoring/${ids.user_id}`]) {
      const r = await call(`${api}${path}`, { token: t.token });
      expect([path, r.status]).toEqual([path, 200]);
    }
    const user = await call(`${api}/zt_risk_scoring/${ids.user_id}`, { token: t.token });
    expect(user.body.result.risk_level).toBe('high');
  });
});
