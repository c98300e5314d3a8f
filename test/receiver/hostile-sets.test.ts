import { eventually } from '../helpers/eventually.js';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';
import { pathsOf, withValue } from '../helpers/json-paths.js';
import { testStores } from '../helpers/stores.js';
import { handBuiltTransmitter } from './transmitter.js';

/*
 * Validly signed SETs whose claims a transmitter got wrong: each field of a sample SET (CAEP,
 * RISC, Okta's layouts) replaced, one at a time, by a value of another type, signed by the
 * transmitter's real key. The push endpoint must answer 202 or a 400 with an SSF error code —
 * never a 5xx or a stack trace — and processing what it accepted must not fail either (every
 * accepted SET ends processed with an outcome).
 */

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const AUD = 'https://riskwire.test/aud';
const SAMPLES: Record<string, Record<string, unknown>> = {
  'session-revoked, sub_id email': { aud: AUD, sub_id: { format: 'email', email: 'a@example.com' }, events: { [`${CAEP}session-revoked`]: { event_timestamp: 1700000000, reason_admin: { en: 'admin' } } } },
  'credential-change, Okta complex subject': {
    aud: AUD, events: { [`${CAEP}credential-change`]: { subject: { user: { format: 'iss_sub', iss: 'https://org.okta.example', sub: '00u1' } }, credential_type: 'password', change_type: 'revoke', event_timestamp: 1615304991643 } },
  },
  'risk-level-change, aliases': {
    aud: [AUD, 'other'], sub_id: { format: 'aliases', identifiers: [{ format: 'email', email: 'b@example.com' }, { format: 'iss_sub', iss: 'https://x', sub: 'y' }] },
    events: { [`${CAEP}risk-level-change`]: { principal: 'USER', current_level: 'HIGH', previous_level: 'LOW', risk_reason: 'leaked' } },
  },
  'RISC account-disabled, complex': { aud: AUD, sub_id: { format: 'complex', user: { format: 'email', email: 'c@example.com' } }, events: { [`${RISC}account-disabled`]: { reason: 'hijacking' } } },
};
const HOSTILE: unknown[] = [{ toString: 1, valueOf: 1 }, { format: { toString: 1 }, email: [] }, [null, {}], -1e308, null, 'x'.repeat(3000), { $gt: 1, 'a.b': { $where: 'x' } }];
const LEAK = /at .+\.(js|ts):\d+|node_modules|TypeError|ReferenceError|SqliteError/;

describe.each(testStores())('validly signed SETs with claims of the wrong type ($name)', (store) => {
  let t: TestApp;
  let tx: Awaited<ReturnType<typeof handBuiltTransmitter>>;
  let sub: { id: string; push_endpoint: string };
  beforeAll(async () => {
    t = await startTestApp({ RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', PUBLIC_URL: 'https://riskwire.test', ...store.env() });
    tx = await handBuiltTransmitter();
    sub = (await call(`${t.url}/client/v4/accounts/acme/ssf/transmitters`, { method: 'POST', token: t.token, json: { mode: 'static', issuer: tx.issuer, jwks_uri: tx.jwksUri, audience: AUD } })).body.result;
    const behaviors = Object.fromEntries(['session_revoked_upstream', 'credential_revoked', 'peer_risk_high', 'account_disabled_upstream'].map((b) => [b, { enabled: true, risk_level: 'high' }]));
    await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, { method: 'PUT', token: t.token, json: { behaviors } });
  });
  afterAll(async () => {
    await tx.close();
    await t.close();
    await store.cleanup();
  });

  const push = (jws: string) => call(`${t.url}${new URL(sub.push_endpoint).pathname}`, { method: 'POST', body: jws, headers: { 'content-type': 'application/secevent+jwt' } });

  it.each(Object.entries(SAMPLES))('%s: every claim replaced by every hostile value → 202 or an SSF 400, and everything accepted is processed', async (_name, sample) => {
    expect((await push(tx.set(sample))).status).toBe(202); // unmodified, accepted
    const failures: string[] = [];
    let accepted = 1;
    for (const p of pathsOf(sample)) {
      for (const value of HOSTILE) {
        const r = await push(tx.set(withValue(sample, p, value)));
        const where = `${p.join('.')} = ${JSON.stringify(value)?.slice(0, 40)} → ${r.status}`;
        if (r.status === 202) accepted++;
        else if (r.status !== 400 || typeof r.body?.err !== 'string') failures.push(`${where}: ${r.text.slice(0, 160)}`);
        else if (LEAK.test(r.text)) failures.push(`${where} leaks internals: ${r.text.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
    // Processing after the 202 never failed: nothing is left pending (recovery would retry it forever).
    await eventually(async () => (await t.app.storage.receivedSets.pending(1000)).length === 0, 10_000);
    expect(accepted).toBeGreaterThan(1);
  }, 60_000);
});
