import { acceptsGzip, preferredMediaType } from '../src/http/contract/negotiate';
import { exportFormat } from '../src/http/job-users.routes';

describe("a job's users export: format and encoding negotiation (pure)", () => {
  it('takes the format the query names, whatever Accept says', () => {
    expect(exportFormat('csv', 'application/x-ndjson')).toBe('csv');
    expect(exportFormat('ndjson', 'text/csv')).toBe('ndjson');
    expect(exportFormat('csv', 'application/json')).toBe('csv');
  });

  it('without a format, takes the one Accept prefers; NDJSON when Accept says nothing or anything', () => {
    expect(exportFormat(undefined, undefined)).toBe('ndjson');
    expect(exportFormat(undefined, '')).toBe('ndjson');
    expect(exportFormat(undefined, '*/*')).toBe('ndjson');
    expect(exportFormat(undefined, 'text/html,application/xhtml+xml,*/*;q=0.8')).toBe('ndjson');
    expect(exportFormat(undefined, 'text/csv')).toBe('csv');
    expect(exportFormat(undefined, 'text/*')).toBe('csv');
    expect(exportFormat(undefined, 'text/csv;q=0.5, application/x-ndjson')).toBe('ndjson');
    expect(exportFormat(undefined, 'application/x-ndjson;q=0.2, text/csv;q=0.9')).toBe('csv');
  });

  it('refuses with 406 an Accept that allows neither', () => {
    for (const accept of ['application/json', 'text/html', 'application/x-ndjson;q=0', 'garbage']) {
      expect(() => exportFormat(undefined, accept)).toThrow(expect.objectContaining({ status: 406, code: 'not_acceptable' }));
    }
  });

  it('gzips only when Accept-Encoding prefers gzip to identity', () => {
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('br')).toBe(false);
    expect(acceptsGzip('gzip;q=0, deflate')).toBe(false);
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
  });

  it('offers the first media type to a client that states no preference', () => {
    expect(preferredMediaType(undefined, ['a/b', 'c/d'])).toBe('a/b');
    expect(preferredMediaType('c/*', ['a/b', 'c/d'])).toBe('c/d');
  });
});
