import { AppError, toErrorResponse } from '../src/errors';

describe('toErrorResponse', () => {
  it('maps an AppError to its status and JSON body', () => {
    expect(toErrorResponse(AppError.badRequest('count must be an integer', { field: 'count' }))).toEqual({
      status: 400,
      expected: true,
      body: { error: { code: 'bad_request', message: 'count must be an integer', details: { field: 'count' } } },
    });
    expect(toErrorResponse(AppError.notFound('no such user'))).toMatchObject({ status: 404, expected: true });
    expect(toErrorResponse(AppError.unavailable('db down'))).toMatchObject({ status: 503, expected: false });
  });

  it("keeps a client error's status from middleware such as the JSON body parser", () => {
    const parserError = Object.assign(new SyntaxError('Unexpected token'), { status: 400, type: 'entity.parse.failed' });
    expect(toErrorResponse(parserError)).toEqual({
      status: 400,
      expected: true,
      body: { error: { code: 'entity_parse_failed', message: 'Unexpected token' } },
    });
  });

  it('hides the details of unexpected errors', () => {
    expect(toErrorResponse(new Error('connection string with password'))).toEqual({
      status: 500,
      expected: false,
      body: { error: { code: 'internal', message: 'internal server error' } },
    });
  });
});

describe('unreachable dependencies', () => {
  it('are 503 unavailable, not 500', () => {
    for (const name of ['MongoServerSelectionError', 'MongoNetworkError', 'KafkaJSConnectionError', 'KafkaJSNumberOfRetriesExceeded']) {
      const err = new Error('down');
      err.name = name;
      expect([name, toErrorResponse(err).status, toErrorResponse(err).body.error.code]).toEqual([name, 503, 'unavailable']);
    }
    expect(toErrorResponse(new Error('bug')).status).toBe(500);
  });
});
