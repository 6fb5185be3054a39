import { ObjectId } from 'mongodb';

/**
 * A user's `_id`, derived rather than random so a redelivered chunk produces the same ids: the job's
 * creation second (ObjectId's usual timestamp prefix) followed by the 64-bit global sequence number.
 */
export function userIdFor(createdAtSeconds: number, seq: number): ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(createdAtSeconds >>> 0, 0);
  bytes.writeBigUInt64BE(BigInt(seq), 4);
  return new ObjectId(bytes);
}
