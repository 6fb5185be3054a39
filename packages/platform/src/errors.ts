/**
 * The one error type of userforge. `expected` errors (bad input, not found) are the caller's
 * problem and are not logged as failures; unexpected ones are logged with context and counted.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 500,
    readonly expected: boolean = status < 500,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static badRequest(message: string, details?: unknown, code = 'bad_request'): AppError {
    return new AppError(code, message, 400, true, details);
  }

  static notFound(message: string, code = 'not_found'): AppError {
    return new AppError(code, message, 404, true);
  }

  static unavailable(message: string, code = 'unavailable'): AppError {
    return new AppError(code, message, 503, false);
  }
}

/**
 * Not a failure of the work: something it depends on is not ready yet (say, figures being rebuilt).
 * Whoever runs the work holds it and tries again after `afterMs`, without counting an attempt.
 */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly afterMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * A server this process has not reached yet (it starts without waiting for them): unavailable, like
 * a driver's connection error, so callers retry, or go on without it where they can.
 */
export class ServerUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerUnavailable';
  }
}

/** Errors that mean "cannot reach MongoDB or Kafka right now": the drivers' and ServerUnavailable. */
const UNAVAILABLE = /^(ServerUnavailable|MongoServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoNotConnectedError|MongoTopologyClosedError|KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded|KafkaJSRequestTimeoutError|KafkaJSBrokerNotFound)$/;

/** Whether an error means a server (MongoDB, Kafka) cannot be reached right now, rather than a bug. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof Error && UNAVAILABLE.test(err.name);
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Maps anything thrown to the HTTP status and JSON body the API answers with. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; expected: boolean } {
  if (err instanceof AppError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.details !== undefined) body.error.details = err.details;
    return { status: err.status, body, expected: err.expected };
  }
  // body-parser and friends tag client errors with a 4xx status/type.
  const tagged = err as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof tagged?.status === 'number' && tagged.status >= 400 && tagged.status < 500) {
    const code = typeof tagged.type === 'string' ? tagged.type.replace(/\./g, '_') : 'bad_request';
    const message = typeof tagged.message === 'string' ? tagged.message : 'bad request';
    return { status: tagged.status, body: { error: { code, message } }, expected: true };
  }
  // A dependency that cannot be reached is the server's temporary problem, not a bug: 503, retry later.
  if (isUnavailable(err)) {
    return { status: 503, body: { error: { code: 'unavailable', message: 'a dependency (database or message broker) is unavailable; retry later' } }, expected: false };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal server error' } }, expected: false };
}
