import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { call, startTestApp, type TestApp } from '../helpers/test-app.js';

/*
 * Webhook events are scored after their 204, in batches (src/risk/scoring-queue.ts). A shutdown
 * that comes right after the answers must score them, and fan out the level changes they make,
 * before the store closes, not leave them to the next start's recovery sweep.
 */

const fixture = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'crowdstrike', 'epp-detection-summary.json'), 'utf8')) as { event: Record<string, unknown> };

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

test('events answered just before a shutdown are scored before the store closes', async () => {
  t = await startTestApp();
  const created = await call(`${t.url}/client/v4/accounts/acme/sources`, { method: 'POST', token: t.token, json: { type: 'crowdstrike', name: 'falcon' } });
  const source = created.body.result as { id: string; secret: string };
  await call(`${t.url}/client/v4/accounts/acme/zt_risk_scoring/behaviors`, { method: 'PUT', token: t.token, json: { behaviors: { crowdstrike_detection_high: { enabled: true, risk_level: 'medium' } } } });

  const statuses = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
    const body = JSON.stringify({ ...fixture, event: { ...fixture.event, CompositeId: `shutdown:${randomBytes(4).toString('hex')}:${i}`, UserName: `user${i}` } });
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', source.secret).update(body + ts).digest('base64');
    const r = await call(`${t!.url}/sources/acme/${source.id}`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'X-CS-Primary-Signature': signature, 'X-Cs-Delivery-Timestamp': ts },
    });
    return r.status;
  }));
  expect(statuses).toEqual(Array(40).fill(204));
  await t.app.close();

  const storage = openSqliteStorage(path.join(t.dataDir, 'riskwire.db'));
  try {
    const events = await storage.sources.listEvents('acme', source.id, 100);
    expect(events).toHaveLength(40);
    expect(events.filter((e) => !e.outcome.startsWith('scored:'))).toEqual([]);
    // …and the level changes that scoring made were fanned out (consumed) before the store closed.
    expect(await storage.risk.pendingChanges(100)).toEqual([]);
  } finally {
    await storage.close();
  }
});
