import { formatHttpFailure, parseErrorBody, uploadHeaders } from './upload-request.js';

const ID = '8f2d1c3e-0000-4000-8000-000000000001';

describe('upload request and error answers', () => {
  it('sends CSV with the chosen id and the percent-encoded file name', () => {
    expect(uploadHeaders('/data/trips ü.csv', ID, 123)).toEqual({
      'content-type': 'text/csv',
      'x-ingestion-id': ID,
      'x-file-name': 'trips%20%C3%BC.csv',
      'content-length': '123',
    });
  });

  it('sends a .gz file gzip-encoded', () => {
    expect(uploadHeaders('trips.csv.gz', ID)['content-encoding']).toBe('gzip');
    expect(uploadHeaders('trips.csv', ID)['content-encoding']).toBeUndefined();
  });

  it("reads the platform's error body", () => {
    const body = JSON.stringify({
      statusCode: 422,
      error: { code: 'missing_columns', message: 'lacks datasource', details: { missing: ['datasource'] } },
    });
    const f = parseErrorBody(422, body);
    expect(f).toEqual({
      status: 422,
      code: 'missing_columns',
      message: 'lacks datasource',
      details: { missing: ['datasource'] },
    });
    expect(formatHttpFailure(f)).toEqual([
      'Upload rejected: HTTP 422 missing_columns: lacks datasource',
      '  details: {"missing":["datasource"]}',
    ]);
  });

  it('still yields a code for an answer of another shape', () => {
    expect(parseErrorBody(502, '<html>Bad gateway</html>')).toEqual({
      status: 502,
      code: 'http_502',
      message: '<html>Bad gateway</html>',
    });
    expect(parseErrorBody(500, '')).toMatchObject({ code: 'http_500', message: 'the gateway answered HTTP 500' });
  });
});
