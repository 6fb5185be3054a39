import { ObjectId } from 'mongodb';

/** ObjectId copies its 12 bytes out of the array it is given, so one scratch array serves every id. */
const scratch = new Uint8Array(12);
const view = new DataView(scratch.buffer);

/**
 * A user's `_id`, derived rather than random so a redelivered chunk produces the same ids: the job's
 * creation second (ObjectId's usual timestamp prefix) followed by the 64-bit global sequence number.
 */
export function userIdFor(createdAtSeconds: number, seq: number): ObjectId {
  view.setUint32(0, createdAtSeconds >>> 0);
  view.setUint32(4, Math.floor(seq / 0x1_0000_0000));
  view.setUint32(8, seq >>> 0);
  return new ObjectId(scratch);
}
