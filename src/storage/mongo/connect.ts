import { MongoClient, type Db } from 'mongodb';

/**
 * Connects to MongoDB and selects the database named in the URI path (default `riskwire`).
 * Fails fast (5 s) when the server is unreachable so start-up reports it instead of hanging.
 */
export async function connectMongo(uri: string): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5000,
    // Writes must be acknowledged by the journal: a change riskwire reports stored is stored.
    writeConcern: { w: 'majority', j: true },
    // Every read from the primary, whatever the URI says: riskwire reads what it just wrote
    // (compare-and-set, revisions kept by the intake) and a lagging secondary would hand back an
    // older secret or subscription under a newer revision.
    readPreference: 'primary',
    appName: 'riskwire',
  });
  await client.connect();
  const db = client.db(databaseName(uri));
  return { client, db };
}

/** The database in the URI path, or `riskwire`. */
export function databaseName(uri: string): string {
  const afterHosts = uri.replace(/^mongodb(\+srv)?:\/\/[^/]*/, '');
  const name = decodeURIComponent(afterHosts.replace(/^\//, '').split('?')[0] ?? '');
  return name || 'riskwire';
}
