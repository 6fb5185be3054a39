import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import type { Request, Response } from 'express';
import { acceptsGzip } from './negotiate';
import type { Reply } from './route';

/**
 * The source with its first chunk already read: a source that fails at once (the database gone)
 * fails here, while an ordinary JSON error can still be answered. Closing the result closes the source.
 */
async function started<T>(source: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = source[Symbol.asyncIterator]();
  let first: IteratorResult<T> | undefined = await iterator.next();
  return {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const result = first ?? (await iterator.next());
        first = undefined;
        return result;
      },
      return: async () => {
        first = undefined;
        await iterator.return?.();
        return { done: true, value: undefined };
      },
    }),
  };
}

/** The client went away: nothing to answer, nothing gone wrong here. */
const clientGone = (err: unknown) => (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';

/**
 * Sends a streamed body: pulled from its source only as fast as the client reads, gzipped (fast
 * level: throughput over ratio) when the client accepts gzip. A source that fails once the status is
 * sent destroys the response, so the client sees a cut body (never a clean end that reads as
 * complete), and the error goes on to the error handler to be logged and counted.
 */
export async function sendStream(req: Request, res: Response, reply: Reply & Required<Pick<Reply, 'stream'>>): Promise<void> {
  const source = req.method === 'HEAD' ? undefined : await started(reply.stream);
  // Headers only now: an error answered instead must not carry the body's (a file name, say).
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.vary('Accept-Encoding');
  res.status(reply.status);
  if (!source) {
    res.end();
    return;
  }
  // Chunks are large already (a few hundred kB): one read ahead keeps the source busy while the socket drains.
  const body = Readable.from(source, { highWaterMark: 1 });
  try {
    if (acceptsGzip(req.headers['accept-encoding'])) {
      res.setHeader('Content-Encoding', 'gzip');
      await pipeline(body, createGzip({ level: constants.Z_BEST_SPEED }), res);
    } else {
      await pipeline(body, res);
    }
  } catch (err) {
    if (!clientGone(err)) throw err;
  }
}
