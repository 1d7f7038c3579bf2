import { isTransientDbError } from './transient.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('isTransientDbError', () => {
  it.each([
    '57P01', // a restart terminates the session
    '57P03', // the server is starting up
    '08006', // connection failure
    '53100', // disk full: retry once space is freed
    '53300', // too many connections
    '57014', // query cancelled
    '40001',
    '40P01',
    'ECONNREFUSED',
    'ENOTFOUND', // DNS of a restarting container
    'EAI_AGAIN',
  ])('retries %s', (code) => {
    expect(isTransientDbError(withCode(code))).toBe(true);
  });

  it.each(['23505', '22P02', '42P01', '54000', '08P01'])('does not retry %s', (code) => {
    expect(isTransientDbError(withCode(code))).toBe(false);
  });

  it('retries a connection ended mid-query (no code, only the driver message)', () => {
    expect(isTransientDbError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientDbError(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
    expect(isTransientDbError(new Error('syntax error'))).toBe(false);
    expect(isTransientDbError(null)).toBe(false);
  });
});
