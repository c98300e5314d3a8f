import { openMongoStorage } from '../../src/storage/mongo/index.js';
import { databaseName } from '../../src/storage/mongo/connect.js';
import { describeStorageContracts } from '../contracts/storage.contract.js';
import { anAccount } from '../helpers/factories.js';
import { dropDatabase, freshDatabaseUri, mongoTestUri } from '../helpers/mongo.js';

const uri = mongoTestUri();
const created: string[] = [];

async function freshMongo() {
  const dbUri = freshDatabaseUri(uri!);
  created.push(dbUri);
  return openMongoStorage(dbUri);
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
  describeStorageContracts('MongoDB', freshMongo);

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
