import type { IncomingMessage } from 'node:http';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import busboy from 'busboy';
import { AppError } from '#common';
import type { UploadRequest } from './upload-request.js';

/*
 * The body is handled as a chain of async iterables pulled by the upload loop, so the loop's pace
 * (Kafka acks) is the pace at which the socket is read: TCP does the backpressure.
 *
 * The request itself is never destroyed here: a destroyed request takes its socket with it, and a
 * rejected upload still has to be answered. Everything downstream of it may be.
 */

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** The request's bytes, read without destroying the request when the reader stops early. */
export function requestBytes(req: IncomingMessage): AsyncIterable<Buffer> {
  return req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
}

/** Gunzips a byte stream; zlib errors (`Z_*` codes) surface when iterating the result. */
export function gunzip(source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const gz = createGunzip();
  // pipeline destroys gz with any upstream error (e.g. a client abort), so the reader sees it.
  pipeline(Readable.from(source, { objectMode: false }), gz, () => undefined);
  return gz;
}

/** True for errors raised by zlib on malformed or truncated gzip data. */
export const isZlibError = (error: unknown): boolean =>
  /^Z_/.test(String((error as { code?: string | number } | null)?.code ?? ''));

export interface Decoded {
  /** The body started with the gzip magic bytes and is being gunzipped. */
  gzip: boolean;
  bytes: AsyncIterable<Buffer>;
}

/** Looks at the first two bytes and gunzips when they are the gzip magic number (covers `.gz` files). */
export async function sniffGzip(source: AsyncIterable<Buffer>): Promise<Decoded> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  while (size < 2) {
    const r = await it.next();
    if (r.done) break;
    head.push(r.value);
    size += r.value.length;
  }
  const first = Buffer.concat(head);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (first.length) yield first;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }
  const gzip = first.length >= 2 && first[0] === GZIP_MAGIC_0 && first[1] === GZIP_MAGIC_1;
  return { gzip, bytes: gzip ? gunzip(replay()) : replay() };
}

export interface MultipartFile {
  bytes: AsyncIterable<Buffer>;
  fileName: string | null;
}

/**
 * Streams a `multipart/form-data` body and resolves with the first part named `file` as soon as its
 * headers arrive (other fields and files are skipped). Rejects with `missing_file_field` when the
 * form ends without one, `bad_multipart` when the form is malformed.
 */
export function multipartFile(req: IncomingMessage, body: AsyncIterable<Buffer>): Promise<MultipartFile> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fields: 1000, parts: 1000, fieldSize: 1024 * 1024 },
      });
    } catch (error) {
      reject(new AppError(400, 'bad_multipart', `Malformed multipart/form-data request: ${(error as Error).message}`));
      return;
    }
    let found = false;
    bb.on('file', (name, stream, info) => {
      if (found || name !== 'file') {
        stream.resume();
        return;
      }
      found = true;
      // Errors reach the reader through the iterator; this listener only keeps a late one from crashing the process.
      stream.on('error', () => undefined);
      resolve({ bytes: stream, fileName: info.filename?.trim() || null });
    });
    bb.on('close', () => {
      if (!found) reject(new AppError(400, 'missing_file_field', 'The multipart form has no file field named "file"'));
    });
    bb.on('error', () => undefined);
    // Once the file part is found, errors reach its reader through the file stream instead.
    pipeline(Readable.from(body, { objectMode: false }), bb, (error) => {
      if (error && !found) reject(error);
    });
  });
}

/** Malformed-form errors raised by busboy (the upload service answers them with `bad_multipart`). */
export const isBusboyError = (error: unknown): boolean =>
  /^(Unexpected end of (form|file)|Malformed (part )?header|Multipart: )/i.test(
    String((error as Error | null)?.message ?? ''),
  );

/** The upload's decompressed bytes, its file name and whether it was gzipped, ready for the header scan. */
export interface UploadBody {
  bytes: AsyncIterable<Buffer>;
  fileName: string | null;
  gzip: boolean;
}

/** Opens the request body per its headers: Content-Encoding, multipart framing, gzip magic bytes. */
export async function openUploadBody(req: IncomingMessage, request: UploadRequest): Promise<UploadBody> {
  let bytes = requestBytes(req);
  if (request.contentEncodingGzip) bytes = gunzip(bytes);
  let fileName = request.fileName;
  if (request.form === 'multipart') {
    const file = await multipartFile(req, bytes);
    bytes = file.bytes;
    fileName = file.fileName;
  }
  const decoded = await sniffGzip(bytes);
  if (!decoded.gzip && request.gzipExpectation === 'declared') {
    throw new AppError(400, 'bad_gzip', `Content-Type ${request.mediaType} was sent but the body is not gzip data`);
  }
  if (!decoded.gzip && request.gzipExpectation === 'required') {
    throw new AppError(
      415,
      'unsupported_media_type',
      `Content-Type ${request.mediaType} is accepted only for gzip data; send CSV as text/csv`,
      {
        accepted: ['text/csv', 'application/csv', 'text/plain', 'application/gzip', 'multipart/form-data'],
      },
    );
  }
  return { bytes: decoded.bytes, fileName, gzip: decoded.gzip || request.contentEncodingGzip };
}
