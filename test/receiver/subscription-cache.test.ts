import { subscriptionCache } from '../../src/receiver/subscription-cache.js';
import type { Subscription } from '../../src/storage/inbound-ports.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { anAccount } from '../helpers/factories.js';
import { tempDir } from '../helpers/temp-dir.js';

// The push endpoint's subscriptions, on the real embedded store: kept between SETs while their
// revision stays, read again as soon as it changes.
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

  it('keeps the subscription it read while its revision stays; any change made to the store, anywhere, is seen by the next read', async () => {
    const cache = subscriptionCache(storage.subscriptions);
    const current = () => cache.current(sub.accountId, 'sub1');
    const first = await current();
    expect(first?.status).toBe('active');
    // What the push endpoint does not read leaves the revision alone: the same object is kept.
    await storage.subscriptions.touchLastEvent(sub.accountId, 'sub1', new Date(5000));
    await storage.subscriptions.consumeState(sub.accountId, 'sub1', 's1', new Date(6000));
    expect(await current()).toBe(first);
    // Another instance, the CLI: a status, a credential, an issuer changed in the store.
    await storage.subscriptions.update({ ...sub, status: 'error' });
    expect((await current())?.status).toBe('error');
    await storage.subscriptions.update({ ...sub, pushAuthorizationSealed: 'v1.other' });
    expect((await current())?.pushAuthorizationSealed).toBe('v1.other');
    await storage.subscriptions.update({ ...sub, issuer: 'https://other.example.com' });
    expect((await current())?.issuer).toBe('https://other.example.com');
    await storage.subscriptions.delete(sub.accountId, 'sub1');
    expect(await current()).toBeNull();
  });

  it('an unknown subscription is looked up every time (it may be registered at any moment)', async () => {
    const cache = subscriptionCache(storage.subscriptions);
    expect(await cache.current(sub.accountId, 'sub2')).toBeNull();
    await storage.subscriptions.insert({ ...sub, id: 'sub2' });
    expect((await cache.current(sub.accountId, 'sub2'))?.id).toBe('sub2');
  });
});
