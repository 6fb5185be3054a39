import { ObjectId } from 'mongodb';

/** A new unique id in MongoDB's ObjectId form (24 hex characters), for domain code that must not hold driver types. */
export function newObjectIdHex(): string {
  return new ObjectId().toHexString();
}
