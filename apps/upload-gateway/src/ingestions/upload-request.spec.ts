import { AppError } from '#common';
import { parseUploadRequest } from './upload-request.js';

const MAX = 1000;
const code = (headers: Record<string, string>): string => {
  try {
    parseUploadRequest(headers, MAX);
  } catch (error) {
    if (error instanceof AppError) return `${error.status} ${error.code}`;
    throw error;
  }
  return 'ok';
};

describe('parseUploadRequest', () => {
  it.each([
    ['text/csv; charset=utf-8', 'raw', 'sniff'],
    ['application/csv', 'raw', 'sniff'],
    ['Text/Plain', 'raw', 'sniff'],
    ['application/gzip', 'raw', 'declared'],
    ['application/x-gzip', 'raw', 'declared'],
    ['application/octet-stream', 'raw', 'required'],
    ['multipart/form-data; boundary=x', 'multipart', 'sniff'],
  ])('accepts %s', (contentType, form, gzipExpectation) => {
    expect(parseUploadRequest({ 'content-type': contentType }, MAX)).toMatchObject({
      form,
      gzipExpectation,
      contentEncodingGzip: false,
    });
  });

  it.each<Record<string, string>>([{}, { 'content-type': 'application/json' }, { 'content-type': 'image/png' }])(
    'answers 415 to %j',
    (headers) => {
      expect(code(headers)).toBe('415 unsupported_media_type');
    },
  );

  it('takes Content-Encoding gzip and refuses other encodings', () => {
    expect(
      parseUploadRequest({ 'content-type': 'text/csv', 'content-encoding': 'gzip' }, MAX).contentEncodingGzip,
    ).toBe(true);
    expect(code({ 'content-type': 'text/csv', 'content-encoding': 'br' })).toBe('415 unsupported_media_type');
  });

  it('answers 413 when Content-Length exceeds the limit, before any byte is read', () => {
    expect(code({ 'content-type': 'text/csv', 'content-length': String(MAX) })).toBe('ok');
    expect(code({ 'content-type': 'text/csv', 'content-length': String(MAX + 1) })).toBe('413 payload_too_large');
  });

  it('validates X-Ingestion-Id as a UUID and lower-cases it', () => {
    const id = '6F1C2B9E-0D4A-4C1B-9A55-3E2F1D0C9B8A';
    expect(parseUploadRequest({ 'content-type': 'text/csv', 'x-ingestion-id': id }, MAX).ingestionId).toBe(
      id.toLowerCase(),
    );
    expect(code({ 'content-type': 'text/csv', 'x-ingestion-id': 'not-a-uuid' })).toBe('400 invalid_ingestion_id');
  });

  it('reads X-File-Name for raw bodies (percent-decoded) and ignores it for multipart', () => {
    expect(
      parseUploadRequest({ 'content-type': 'text/csv', 'x-file-name': 'trips%20m%C3%A4rz.csv' }, MAX).fileName,
    ).toBe('trips märz.csv');
    expect(
      parseUploadRequest({ 'content-type': 'multipart/form-data; boundary=x', 'x-file-name': 'a.csv' }, MAX).fileName,
    ).toBeNull();
  });
});
