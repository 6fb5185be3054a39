import { MongoClient, type Db } from 'mongodb';
import type { Connection } from 'mongoose';

/**
 * One mongoose connection (and so one driver pool) per process. autoIndex is off: indexes are
 * created deliberately at start-up by each repository's `ensureIndexes`, not lazily per model.
 */
export async function connectMongo(url: string, opts: { maxPoolSize?: number; appName?: string } = {}): Promise<Connection> {
  // Required on first use, so a process that only needs the driver (connectMongoClient) never loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mongoose = require('mongoose') as typeof import('mongoose');
  const conn = mongoose.createConnection(url, {
    maxPoolSize: opts.maxPoolSize ?? 20,
    appName: opts.appName,
    autoIndex: false,
    autoCreate: false,
    serverSelectionTimeoutMS: 10_000,
  });
  try {
    await conn.asPromise();
  } catch (err) {
    await conn.close().catch(() => undefined); // a failed attempt leaves no pool or monitor behind
    throw err;
  }
  return conn;
}

export async function pingMongo(conn: Connection): Promise<void> {
  const db = conn.db;
  if (!db) throw new Error('mongo connection has no database');
  await db.admin().ping();
}

/** The MongoDB driver alone, for a process that needs nothing of mongoose (the operator keeps its memory small). */
export async function connectMongoClient(url: string, opts: { maxPoolSize?: number; appName?: string } = {}): Promise<{ db: Db; close(): Promise<void> }> {
  const client = new MongoClient(url, { maxPoolSize: opts.maxPoolSize ?? 10, appName: opts.appName, serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  return { db: client.db(), close: () => client.close() };
}

export async function pingDb(db: Db): Promise<void> {
  await db.admin().ping();
}
