import { spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import Redis from 'ioredis';
import { MongoClient } from 'mongodb';

/** Each check talks the server's own protocol: "the port is open" is not "the server answers". */

export async function checkKafka(port: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'userforge-stack-health',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.controller === null || cluster.controller < 0) throw new Error('no active controller');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function checkMongo(port: number): Promise<void> {
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, {
    serverSelectionTimeoutMS: 1_500,
    connectTimeoutMS: 1_000,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function checkRedis(port: number): Promise<void> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${pong}`);
  } finally {
    redis.disconnect();
  }
}

export async function checkHttp(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1_500) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
}

/** Polls `url` until it answers 2xx; the error names `hint` (such as where the logs are) on timeout. */
export async function waitForHttp(url: string, timeoutMs: number, hint = ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await checkHttp(url).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms${hint ? ` (${hint})` : ''}`);
}

export async function checkPostgres(bin: string, port: number): Promise<void> {
  const r = spawnSync(`${bin}/pg_isready`, ['-h', '127.0.0.1', '-p', String(port), '-t', '1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stdout.trim() || 'not ready');
}
