import { subscriptionCache } from '../../src/receiver/subscription-cache.js';
import type { Subscription } from '../../src/storage/inbound-ports.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { anAccount } from '../helpers/factories.js';
import { tempDir } from '../helpers/temp-dir.js';

// The push endpoint's subscriptions, on the real embedded store: held between SETs, forgotten
// when this process changes them, read again once the hold expires.
describe('subscription cache', () => {
  let storage: Storage;
  let sub: Subscription;
  let cleanup: () => void;
  beforeEach(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    storage = openSqliteStorage(`${tmp.dir}/r.db`);
    const accountId = anAccount().id;
    sub = {
      accountId, id: 'sub1', mode: 'static', issuer: 'https://tx.example.com', jwksUri: 'https://tx.example.com/jwks', audience: 'aud', streamId: null,
      pushAuthorizationSealed: null, managed: null, pendingStates: ['s1'], status: 'active', lastError: null, verifiedAt: null, lastEventAt: null, createdAt: new Date(0),
    };
    await storage.subscriptions.insert(sub);
  });
  afterEach(async () => {
    await storage.close();
    cleanup();
  });

  it('holds a subscription for the time given: a change made elsewhere is seen once it expires', async () => {
    const cache = subscriptionCache(storage.subscriptions, 200);
    expect((await cache.held(sub.accountId, 'sub1'))?.status).toBe('active');
    await storage.subscriptions.update({ ...sub, status: 'error' }); // another instance, the CLI
    expect((await cache.held(sub.accountId, 'sub1'))?.status).toBe('active');
    await new Promise((r) => setTimeout(r, 250));
    expect((await cache.held(sub.accountId, 'sub1'))?.status).toBe('error');
  });

  it('every write through its store is seen by the next read at once', async () => {
    const cache = subscriptionCache(storage.subscriptions, 60_000);
    const held = () => cache.held(sub.accountId, 'sub1');
    await held();
    await cache.store.update({ ...sub, status: 'error' });
    expect((await held())?.status).toBe('error');
    await cache.store.setLastError(sub.accountId, 'sub1', 'boom');
    expect((await held())?.lastError).toBe('boom');
    await cache.store.touchLastEvent(sub.accountId, 'sub1', new Date(5000));
    expect((await held())?.lastEventAt).toEqual(new Date(5000));
    await expect(cache.store.consumeState(sub.accountId, 'sub1', 's1', new Date(6000))).resolves.toBe(true);
    expect((await held())?.pendingStates).toEqual([]);
    await cache.store.delete(sub.accountId, 'sub1');
    expect(await held()).toBeNull();
  });

  it('an unknown subscription is read every time (it may be registered at any moment)', async () => {
    const cache = subscriptionCache(storage.subscriptions, 60_000);
    expect(await cache.held(sub.accountId, 'sub2')).toBeNull();
    await storage.subscriptions.insert({ ...sub, id: 'sub2' });
    expect((await cache.held(sub.accountId, 'sub2'))?.id).toBe('sub2');
  });
});
