import { MongoBulkWriteError, MongoServerError } from 'mongodb';

const DUPLICATE_KEY = 11000;

/**
 * A unique-index violation. FerretDB reports one raised by an update as InternalError (code 1)
 * naming PostgreSQL's error, so that form counts too.
 */
export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && (err.code === DUPLICATE_KEY || (err.code === 1 && /duplicate key|unique constraint/i.test(err.message)));
}

/** An unordered bulk insert whose every failure was a duplicate key (the rest were inserted). */
export function isOnlyDuplicates(err: unknown): err is MongoBulkWriteError {
  if (!(err instanceof MongoBulkWriteError)) return false;
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  return errors.length > 0 && errors.every((e) => e.code === DUPLICATE_KEY);
}
