import { dropDatabase, freshDatabaseUri, mongoTestUri } from './mongo.js';

/**
 * The stores a whole-app test should run against: the embedded SQLite store always, and MongoDB
 * when MONGODB_URI is set (always in CI). Each MongoDB run gets a fresh database; `cleanup`
 * drops it.
 */
export function testStores(): Array<{ name: string; env: () => Record<string, string>; cleanup: () => Promise<void> }> {
  const uri = mongoTestUri();
  const stores: ReturnType<typeof testStores> = [{ name: 'SQLite', env: () => ({}), cleanup: async () => {} }];
  if (uri) {
    const db = freshDatabaseUri(uri);
    stores.push({ name: 'MongoDB', env: () => ({ MONGODB_URI: db }), cleanup: () => dropDatabase(db) });
  }
  return stores;
}
