import Negotiator from 'negotiator';

/**
 * The offered media type the `Accept` header prefers (q-values, then the client's order); the first
 * offered when the header is absent or accepts anything, undefined when it accepts none of them.
 */
export function preferredMediaType(accept: string | undefined, offered: readonly string[]): string | undefined {
  if (!accept?.trim()) return offered[0];
  return new Negotiator({ headers: { accept } }).mediaType([...offered]);
}

/** Whether `Accept-Encoding` prefers gzip to sending the body as it is. */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return new Negotiator({ headers: { 'accept-encoding': acceptEncoding } }).encoding(['gzip', 'identity']) === 'gzip';
}
