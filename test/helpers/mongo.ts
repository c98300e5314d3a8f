import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';

/**
 * The MongoDB server for adapter tests, from MONGODB_URI. Without one the MongoDB tests skip
 * with a visible message — except in CI (CI=true), where a missing server is a failure: CI must
 * never silently skip them.
 */
export function mongoTestUri(): string | undefined {
  const uri = process.env.MONGODB_URI;
  if (!uri && process.env.CI === 'true') {
    throw new Error('CI=true but MONGODB_URI is not set: the MongoDB contract tests must run in CI');
  }
  return uri;
}

/** `uri` pointed at a new, randomly named database. */
export function freshDatabaseUri(uri: string): string {
  const name = `rwtest_${randomBytes(6).toString('hex')}`;
  const u = new URL(uri);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops the database a fresh URI points at (best effort: a test failure must stay visible). */
export async function dropDatabase(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3000 });
  try {
    await client.connect();
    await client.db(new URL(uri).pathname.slice(1)).dropDatabase();
  } finally {
    await client.close();
  }
}
