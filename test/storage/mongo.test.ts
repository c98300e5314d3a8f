import type { Storage } from '../../src/storage/ports.js';
import { openMongoStorage } from '../../src/storage/mongo/index.js';
import { databaseName } from '../../src/storage/mongo/connect.js';
import { describeStorageContracts } from '../contracts/storage.contract.js';
import { MongoClient } from 'mongodb';
import { applyEvent } from '../../src/domain/risk.js';
import { aUser, anAccount, anEvent, at } from '../helpers/factories.js';
import { dropDatabase, freshDatabaseUri, mongoTestUri } from '../helpers/mongo.js';

const uri = mongoTestUri();
const created: string[] = [];

async function freshMongo() {
  const dbUri = freshDatabaseUri(uri!);
  created.push(dbUri);
  return openMongoStorage(dbUri);
}

/** Two stores (two connection pools, as two instances) on one fresh database. */
async function sharedMongo(): Promise<[Storage, Storage]> {
  const dbUri = freshDatabaseUri(uri!);
  created.push(dbUri);
  return [await openMongoStorage(dbUri), await openMongoStorage(dbUri)];
}

afterAll(async () => {
  for (const u of created) await dropDatabase(u);
});

if (!uri) {
  // Visible in the jest output: the skipped suite's name carries the reason.
  console.warn('MongoDB adapter tests skipped: MONGODB_URI is not set (see README, "MongoDB tests").');
}
const describeMongo = uri ? describe : describe.skip;

describeMongo(uri ? 'MongoDB adapter' : 'MongoDB adapter (skipped: MONGODB_URI not set)', () => {
  describeStorageContracts('MongoDB', freshMongo, sharedMongo);

  it('keeps data across close and reconnect', async () => {
    const dbUri = freshDatabaseUri(uri!);
    created.push(dbUri);
    const a = anAccount();
    const first = await openMongoStorage(dbUri);
    await first.accounts.create(a);
    await first.close();
    const second = await openMongoStorage(dbUri);
    await expect(second.accounts.get(a.id)).resolves.toEqual(a);
    await second.close();
  });

  it('finishes work a crash interrupted: an event recorded but not applied, a change not yet in the feed', async () => {
    const dbUri = freshDatabaseUri(uri!);
    created.push(dbUri);
    const store = await openMongoStorage(dbUri);
    const raw = new MongoClient(dbUri);
    try {
      const a = anAccount().id;
      const u = aUser(a);
      await store.users.create(u);
      const score = (s: Parameters<typeof applyEvent>[0], e: Parameters<typeof applyEvent>[1]) => applyEvent(s, e, null, at('2026-04-01T00:00:00.000Z'));
      // Crash after step 1: the event document exists, the user was never updated.
      const lost = anEvent(a, u.id, { riskLevel: 'medium', receivedAt: at('2026-03-01T00:00:00.000Z') });
      const db = raw.db(new URL(dbUri).pathname.slice(1));
      await db.collection('risk_events').insertOne({
        _id: lost.id as never, account_id: a, user_id: u.id, behavior_id: lost.behaviorId, behavior_name: lost.behaviorName, risk_rank: 2,
        occurred_at: lost.occurredAt, received_at: lost.receivedAt, source: 'test', signal_id: lost.signalId, details: {}, applied: false,
      });
      // The source retries the same signal: it is a duplicate, but the first copy gets applied, once.
      await expect(store.risk.recordEvent({ ...lost, id: 'retry-copy' }, score)).resolves.toEqual({ status: 'duplicate', change: null });
      await expect(store.risk.recordEvent({ ...lost, id: 'retry-copy-2' }, score)).resolves.toEqual({ status: 'duplicate', change: null });
      expect(await store.users.get(a, u.id)).toMatchObject({ level: 'medium', eventCount: 1 });

      // Crash after step 2 for another event: applied to the user but still unmarked, change still embedded.
      const second = anEvent(a, u.id, { riskLevel: 'high' });
      await store.risk.recordEvent(second, score);
      await db.collection('risk_events').updateOne({ _id: second.id as never }, { $set: { applied: false, received_at: at('2026-03-01T00:00:00.000Z') } });
      const userDoc = await db.collection('users').findOne({ user_id: u.id });
      const feedChange = (await store.risk.pendingChanges(100)).find((c) => c.current === 'high')!;
      await db.collection('risk_changes').deleteOne({ _id: feedChange.id as never });
      await db.collection('users').updateOne({ _id: userDoc!._id }, { $set: { has_pending: true, pending_changes: [{ id: feedChange.id, previous: 'medium', current: 'high', cause: 'signal', behavior_id: 'imp_travel', reason: 'r', at: feedChange.at }] } });

      expect(await store.risk.recover(at('2026-03-02T00:00:00.000Z'), score)).toBeGreaterThanOrEqual(1);
      expect(await store.users.get(a, u.id)).toMatchObject({ level: 'high', eventCount: 2 });
      expect((await store.risk.pendingChanges(100)).map((c) => c.current)).toEqual(['medium', 'high']);
      expect(await store.risk.recover(at('2026-03-02T00:00:00.000Z'), score)).toBe(0);
    } finally {
      await raw.close();
      await store.close();
    }
  });

  it('a source written by a riskwire from before revisions (no counter) still changes revision when that riskwire updates it', async () => {
    const dbUri = freshDatabaseUri(uri!);
    created.push(dbUri);
    const [mine, other] = [await openMongoStorage(dbUri), await openMongoStorage(dbUri)];
    const raw = new MongoClient(dbUri);
    try {
      const a = anAccount().id;
      const src = { accountId: a, id: 'old1', type: 'okta_event_hook' as const, name: 'okta', settings: {}, secretSealed: 'v1.x', createdAt: at('2026-01-01T00:00:00.000Z'), updatedAt: at('2026-01-01T00:00:00.000Z') };
      await mine.sources.insert(src);
      // Another instance's update is seen through this one's revision.
      const r0 = await mine.sources.revision(a, 'old1');
      await other.sources.update({ ...src, secretSealed: 'v1.y' });
      const r1 = await mine.sources.revision(a, 'old1');
      expect(r1).not.toBe(r0);
      // An older riskwire: no counter on the document, and its update sets updated_at only.
      const col = raw.db().collection('sources');
      await col.updateOne({ _id: `${a}:old1` as never }, { $unset: { revision: '' } });
      const r2 = await mine.sources.revision(a, 'old1');
      await col.updateOne({ _id: `${a}:old1` as never }, { $set: { secret_sealed: 'v1.z', updated_at: at('2026-01-02T00:00:00.000Z') } });
      expect(await mine.sources.revision(a, 'old1')).not.toBe(r2);
    } finally {
      await raw.close();
      await mine.close();
      await other.close();
    }
  });

  it('reconnecting re-creates indexes without error (start-up is idempotent)', async () => {
    const dbUri = freshDatabaseUri(uri!);
    created.push(dbUri);
    await (await openMongoStorage(dbUri)).close();
    await (await openMongoStorage(dbUri)).close();
  });
});

describe('MongoDB URI handling', () => {
  it('takes the database from the URI path, defaulting to riskwire', () => {
    expect(databaseName('mongodb://127.0.0.1:27017/prod?retryWrites=false')).toBe('prod');
    expect(databaseName('mongodb://u:p@h1,h2/?replicaSet=rs')).toBe('riskwire');
    expect(databaseName('mongodb+srv://cluster.example.net')).toBe('riskwire');
  });
});
