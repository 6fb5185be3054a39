import mongoose, { type Connection } from 'mongoose';

/**
 * One mongoose connection (and so one driver pool) per process. autoIndex is off: indexes are
 * created deliberately at start-up by each repository's `ensureIndexes`, not lazily per model.
 */
export async function connectMongo(url: string, opts: { maxPoolSize?: number; appName?: string } = {}): Promise<Connection> {
  const conn = mongoose.createConnection(url, {
    maxPoolSize: opts.maxPoolSize ?? 20,
    appName: opts.appName,
    autoIndex: false,
    autoCreate: false,
    serverSelectionTimeoutMS: 10_000,
  });
  await conn.asPromise();
  return conn;
}

export async function pingMongo(conn: Connection): Promise<void> {
  const db = conn.db;
  if (!db) throw new Error('mongo connection has no database');
  await db.admin().ping();
}
