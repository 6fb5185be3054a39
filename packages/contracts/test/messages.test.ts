import {
  ContractError,
  MAX_CHUNK_SIZE,
  Topics,
  createJobRequestSchema,
  decodeMessage,
  encodeMessage,
  topicSpecs,
  type DeadLetter,
  type GenerateChunk,
} from '../src';

const topic = Topics.userCreateBulk;

function aChunk(overrides: Partial<GenerateChunk> = {}): GenerateChunk {
  return {
    v: 1,
    jobId: '0123456789abcdef01234567',
    chunkIndex: 2,
    chunksTotal: 3,
    seed: 42,
    seqStart: 1_020_000,
    jobSeqStart: 20_000,
    count: 10_000,
    locale: 'de',
    createdAt: '2025-03-04T05:06:07.089Z',
    ...overrides,
  };
}

describe('encodeMessage', () => {
  it('serialises a valid message', () => {
    expect(JSON.parse(encodeMessage(topic, aChunk()))).toEqual(aChunk());
  });

  it.each<[string, unknown, string]>([
    ['a bad jobId', aChunk({ jobId: 'not-an-object-id' }), 'jobId'],
    ['chunkIndex >= chunksTotal', aChunk({ chunkIndex: 3 }), 'chunkIndex must be below chunksTotal'],
    ['an unknown field', { ...aChunk(), extra: true }, 'extra'],
    ['count over MAX_CHUNK_SIZE', aChunk({ count: MAX_CHUNK_SIZE + 1 }), 'count'],
    ['an unknown locale', { ...aChunk(), locale: 'xx' }, 'locale'],
  ])('throws a ContractError for %s', (_, message, problem) => {
    const encode = () => encodeMessage(topic, message as GenerateChunk);
    expect(encode).toThrow(ContractError);
    expect(encode).toThrow(problem);
  });

  it('accepts a chunk of exactly MAX_CHUNK_SIZE users', () => {
    expect(() => encodeMessage(topic, aChunk({ count: MAX_CHUNK_SIZE }))).not.toThrow();
  });
});

describe('decodeMessage', () => {
  it('round-trips an encoded message, from a string or a Buffer', () => {
    const encoded = encodeMessage(topic, aChunk());
    expect(decodeMessage(topic, encoded)).toEqual({ ok: true, message: aChunk() });
    expect(decodeMessage(topic, Buffer.from(encoded))).toEqual({ ok: true, message: aChunk() });
  });

  it('reports an empty message, non-JSON and contract violations without throwing', () => {
    expect(decodeMessage(topic, null)).toEqual({ ok: false, reason: 'empty message' });
    expect(decodeMessage(topic, '{"v":1,')).toEqual({ ok: false, reason: 'not JSON' });
    const violation = decodeMessage(topic, JSON.stringify({ ...aChunk(), seed: -1 }));
    expect(violation.ok).toBe(false);
    expect(!violation.ok && violation.reason).toMatch(/^contract violation: seed: /);
    expect(decodeMessage(topic, JSON.stringify({ ...aChunk(), v: 2 })).ok).toBe(false);
  });
});

describe('createJobRequestSchema', () => {
  const schema = createJobRequestSchema(1_000);

  it('accepts valid bodies', () => {
    expect(schema.safeParse({ count: 1 }).success).toBe(true);
    expect(schema.parse({ count: 1_000, seed: 0xffff_ffff, chunkSize: 100, locale: 'pt_BR' })).toEqual({
      count: 1_000,
      seed: 0xffff_ffff,
      chunkSize: 100,
      locale: 'pt_BR',
    });
  });

  it.each<[string, unknown]>([
    ['count 0', { count: 0 }],
    ['count 1.5', { count: 1.5 }],
    ['count as a string', { count: '10' }],
    ['count over maxCount', { count: 1_001 }],
    ['no count', {}],
    ['an unknown field', { count: 10, priority: 'high' }],
    ['seed over 2^32-1', { count: 10, seed: 2 ** 32 }],
    ['a negative seed', { count: 10, seed: -1 }],
    ['chunkSize under 100', { count: 10, chunkSize: 99 }],
    ['chunkSize over MAX_CHUNK_SIZE', { count: 10, chunkSize: MAX_CHUNK_SIZE + 1 }],
    ['an unknown locale', { count: 10, locale: 'xx' }],
  ])('rejects %s', (_, body) => {
    expect(schema.safeParse(body).success).toBe(false);
  });
});

describe('the user events dead-letter topic', () => {
  const letter: DeadLetter = {
    v: 1,
    reason: 'contract violation: userId: must be 24 hex characters',
    error: 'contract violation: userId: must be 24 hex characters',
    source: { topic: Topics.userActivityCreate, partition: 2, offset: '41', key: 'u1' },
    value: '{"v":1,"userId":"u1"}',
    failedAt: '2025-03-04T05:06:07.089Z',
  };

  it('carries the same DeadLetter contract as the chunks\' dead-letter topic', () => {
    const encoded = encodeMessage(Topics.userEventsDlq, letter);
    expect(encoded).toBe(encodeMessage(Topics.userCreateBulkDlq, letter));
    expect(decodeMessage(Topics.userEventsDlq, encoded)).toEqual({ ok: true, message: letter });
    expect(() => encodeMessage(Topics.userEventsDlq, { ...letter, failedAt: 'yesterday' })).toThrow(ContractError);
    expect(decodeMessage(Topics.userEventsDlq, JSON.stringify({ ...letter, source: undefined })).ok).toBe(false);
  });

  it('is its own topic, created with one partition', () => {
    expect(Topics.userEventsDlq).toBe('user.events.dlq');
    expect(topicSpecs(6)).toContainEqual({ topic: 'user.events.dlq', numPartitions: 1 });
  });
});
