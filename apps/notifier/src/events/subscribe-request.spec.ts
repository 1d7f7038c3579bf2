import { parseSubscribeRequest } from './subscribe-request.js';

const id = '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e';

describe('parseSubscribeRequest', () => {
  it('accepts one ingestion, with or without afterSeq', () => {
    expect(parseSubscribeRequest({ ingestionId: id })).toEqual({ kind: 'ingestion', ingestionId: id, afterSeq: 0 });
    expect(parseSubscribeRequest({ ingestionId: id, afterSeq: 12 })).toEqual({
      kind: 'ingestion',
      ingestionId: id,
      afterSeq: 12,
    });
  });

  it('normalises the ingestion id to lower case (as PostgreSQL prints uuids)', () => {
    expect(parseSubscribeRequest({ ingestionId: id.toUpperCase() })).toMatchObject({ ingestionId: id });
  });

  it('accepts the all-ingestions feed', () => {
    expect(parseSubscribeRequest({ all: true })).toEqual({ kind: 'all' });
  });

  it.each([
    [undefined, 'invalid_request'],
    [null, 'invalid_request'],
    ['x', 'invalid_request'],
    [42, 'invalid_request'],
    [[{ ingestionId: id }], 'invalid_request'],
    [{ all: false }, 'invalid_request'],
    [{ all: 'yes' }, 'invalid_request'],
    [{ all: true, ingestionId: id }, 'invalid_request'],
    [{ all: true, afterSeq: 3 }, 'invalid_request'],
    [{}, 'invalid_ingestion_id'],
    [{ ingestionId: 'abc' }, 'invalid_ingestion_id'],
    [{ ingestionId: 7 }, 'invalid_ingestion_id'],
    [{ ingestionId: `${id}x` }, 'invalid_ingestion_id'],
    [{ ingestionId: id, afterSeq: -1 }, 'invalid_after_seq'],
    [{ ingestionId: id, afterSeq: 1.5 }, 'invalid_after_seq'],
    [{ ingestionId: id, afterSeq: '3' }, 'invalid_after_seq'],
    [{ ingestionId: id, afterSeq: 2 ** 31 }, 'invalid_after_seq'],
  ])('refuses %j with %s', (body, code) => {
    expect(parseSubscribeRequest(body)).toMatchObject({ code, message: expect.any(String) });
  });
});
