import { z } from 'zod';
import { MAX_CHUNK_SIZE, MAX_SEED } from './limits';
import { LOCALES } from './locales';
import { OBJECT_ID_HEX } from './object-id';
import { Topics } from './topics';

/**
 * Versioned message contracts, the "schema registry" of userforge: producers encode through it and
 * consumers decode through it, so a malformed message cannot enter (or silently pass through) the
 * system. A new incompatible shape gets a new `v`, and consumers accept every version they know.
 */
export const generateChunkV1 = z
  .object({
    v: z.literal(1),
    jobId: z.string().regex(OBJECT_ID_HEX, 'jobId must be 24 hex characters'),
    chunkIndex: z.number().int().min(0),
    chunksTotal: z.number().int().min(1),
    seed: z.number().int().min(0).max(MAX_SEED),
    /** Global sequence number of the chunk's first user (unique across all jobs). */
    seqStart: z.number().int().min(0),
    /** Position of the chunk's first user within its job. */
    jobSeqStart: z.number().int().min(0),
    count: z.number().int().min(1).max(MAX_CHUNK_SIZE),
    locale: z.enum(LOCALES),
    /** The job's creation time; generated users carry it so a redelivered chunk is identical. */
    createdAt: z.iso.datetime(),
  })
  .strict()
  .refine((m) => m.chunkIndex < m.chunksTotal, { message: 'chunkIndex must be below chunksTotal', path: ['chunkIndex'] });
export type GenerateChunk = z.infer<typeof generateChunkV1>;

/** What a dead-letter topic carries: why a message can never succeed, and the message itself. */
export const deadLetterV1 = z.object({
  v: z.literal(1),
  reason: z.string(),
  error: z.string(),
  source: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string(), key: z.string().nullable() }),
  /** The original message as received (UTF-8), for inspection and replay. */
  value: z.string(),
  failedAt: z.iso.datetime(),
});
export type DeadLetter = z.infer<typeof deadLetterV1>;

const hexId = z.string().regex(OBJECT_ID_HEX, 'must be 24 hex characters');

/** `user.activate.create`: one activity of a user; the id makes redelivery harmless. */
export const userActivityV1 = z
  .object({
    v: z.literal(1),
    activityId: hexId,
    userId: hexId,
    type: z.string().min(1).max(40),
    at: z.iso.datetime(),
    userAgent: z.string().max(1000),
  })
  .strict();
export type UserActivityMessage = z.infer<typeof userActivityV1>;

/** `user.created.single` / `user.updated.single`: what changed, for anyone who listens. */
export const userChangedV1 = z
  .object({
    v: z.literal(1),
    userId: hexId,
    fields: z.array(z.string()).max(20),
    at: z.iso.datetime(),
  })
  .strict();
export type UserChangedMessage = z.infer<typeof userChangedV1>;

/** `user.deleted.single`: the consumer removes the user's activity and its statistics. */
export const userDeletedV1 = z
  .object({ v: z.literal(1), userId: hexId, at: z.iso.datetime() })
  .strict();
export type UserDeletedMessage = z.infer<typeof userDeletedV1>;

const registry = {
  [Topics.userCreateBulk]: generateChunkV1,
  [Topics.userCreateBulkDlq]: deadLetterV1,
  [Topics.userEventsDlq]: deadLetterV1,
  [Topics.userActivityCreate]: userActivityV1,
  [Topics.userCreatedSingle]: userChangedV1,
  [Topics.userUpdatedSingle]: userChangedV1,
  [Topics.userDeletedSingle]: userDeletedV1,
} as const;
type Registry = typeof registry;
export type ContractTopic = keyof Registry;
export type MessageOf<T extends ContractTopic> = z.infer<Registry[T]>;

export class ContractError extends Error {
  constructor(
    readonly topic: string,
    readonly problems: string,
  ) {
    super(`message does not match the ${topic} contract: ${problems}`);
    this.name = 'ContractError';
  }
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates and serialises a message; throws ContractError instead of sending a bad one. */
export function encodeMessage<T extends ContractTopic>(topic: T, message: MessageOf<T>): string {
  const result = registry[topic].safeParse(message);
  if (!result.success) throw new ContractError(topic, describe(result.error));
  return JSON.stringify(result.data);
}

export type Decoded<T extends ContractTopic> = { ok: true; message: MessageOf<T> } | { ok: false; reason: string };

/** Parses and validates a received message. Never throws: a bad message is a value to dead-letter. */
export function decodeMessage<T extends ContractTopic>(topic: T, raw: Buffer | string | null): Decoded<T> {
  if (raw === null) return { ok: false, reason: 'empty message' };
  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const result = registry[topic].safeParse(json);
  if (!result.success) return { ok: false, reason: `contract violation: ${describe(result.error)}` };
  return { ok: true, message: result.data as MessageOf<T> };
}
