import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { pathsOf, withValue } from '../helpers/json-paths.js';
import { testStores } from '../helpers/stores.js';

/*
 * The issue: "nothing a vendor sends can raise an exception that escapes as a 500". Every
 * documented sample payload (test/fixtures/<vendor>/), delivered with valid authentication, with
 * one field at a time replaced by a value of another type — an object that cannot become a
 * string (itself or as a member), an array, a number, null, a long string — must be answered
 * with a success or a client error, never a 5xx and never a stack trace. (The Okta adapter once
 * answered 500 to an object where Okta sends a string; the unauthenticated sweep in test/http
 * could not reach it.)
 */

/** Each replaces one field: objects that cannot become a string (also one level down), arrays, a number, null, a long string, `$` and dotted names. */
const HOSTILE: unknown[] = [
  { toString: 1, valueOf: 1 }, { level: { toString: 1 }, a: { toString: 1, valueOf: 1 } }, [null, { a: [] }], -1e308, null, 'x'.repeat(5000),
  { $gt: 1, 'a.b': { $where: 'x' } }, // field names MongoDB refuses in places
];
const LEAK = /at .+\.(js|ts):\d+|node_modules|TypeError|ReferenceError|SqliteError/;

describe.each(testStores())('vendor payloads with fields of the wrong type, authenticated ($name)', (store) => {
  let t: TestApp;
  const sources: Record<string, { id: string; secret: string }> = {};
  beforeAll(async () => {
    t = await startTestApp(store.env());
    const behaviors = Object.fromEntries([
      'crowdstrike_detection_high', 'crowdstrike_detection_critical', 'crowdstrike_zta_low', 'crowdstrike_zta_medium',
      'sentinel_one', 'sentinel_one_suspicious', 'okta_threat_detected', 'okta_session_hijack',
    ].map((b) => [b, { enabled: true, risk_level: 'high' }]));
    await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, { method: 'PUT', token: t.token, json: { behaviors } });
    for (const type of ['crowdstrike', 'sentinelone', 'okta_event_hook']) {
      sources[type] = (await call(`${t.url}/client/v4/accounts/acme/sources`, { method: 'POST', token: t.token, json: { type, name: type } })).body.result;
    }
  });
  afterAll(async () => {
    await t.close();
    await store.cleanup();
  });

  const deliver = (type: string, body: string) => {
    const s = sources[type]!;
    const ts = String(Math.floor(Date.now() / 1000));
    const auth: Record<string, string> = type === 'crowdstrike'
      ? { 'x-cs-primary-signature': createHmac('sha256', s.secret).update(body + ts).digest('base64'), 'x-cs-delivery-timestamp': ts }
      : type === 'sentinelone' ? { 'x-webhook-secret': s.secret } : { authorization: s.secret };
    return call(`${t.url}/sources/acme/${s.id}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...auth } });
  };

  const fixtures = (['crowdstrike', 'sentinelone', 'okta'] as const).flatMap((dir) =>
    fs.readdirSync(path.resolve('test/fixtures', dir)).filter((f) => f.endsWith('.json')).map((f) => [`${dir}/${f}`, dir === 'okta' ? 'okta_event_hook' : dir] as const));

  it.each(fixtures)('%s: every field replaced by every hostile value → never a 5xx', async (file, type) => {
    const doc = JSON.parse(fs.readFileSync(path.resolve('test/fixtures', file), 'utf8')) as unknown;
    // Unmodified, the sample is accepted: the mutations below start from a payload that gets past authentication.
    expect((await deliver(type, JSON.stringify(doc))).status).toBe(204);
    const failures: string[] = [];
    let refused = 0;
    for (const p of pathsOf(doc)) {
      for (const value of HOSTILE) {
        const r = await deliver(type, JSON.stringify(withValue(doc, p, value)));
        const where = `${p.join('.')} = ${JSON.stringify(value)?.slice(0, 40)} → ${r.status}`;
        if (r.status >= 500) failures.push(`${where}: ${r.text.slice(0, 160)}`);
        else if (r.status === 401) failures.push(`${where}: authentication failed (the sweep did not reach the parser)`);
        else if (LEAK.test(r.text)) failures.push(`${where} leaks internals: ${r.text.slice(0, 160)}`);
        if (r.status === 400) refused++;
      }
    }
    expect(failures).toEqual([]);
    expect(refused).toBeGreaterThan(0); // the sweep reached the parser's own checks
  }, 60_000);
});
