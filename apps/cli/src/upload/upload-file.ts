import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { parseErrorBody, uploadHeaders, type HttpFailure } from './upload-request.js';

/** The gateway's 202 body (the fields the CLI uses). */
export interface UploadAccepted {
  ingestionId: string;
  statusUrl: string;
  upload?: { bytes: number; rows: number; chunks: number; sha256: string };
}

export type UploadOutcome = { ok: true; status: number; body: UploadAccepted } | { ok: false; failure: HttpFailure };

export interface UploadOptions {
  gatewayUrl: string;
  filePath: string;
  ingestionId: string;
  token?: string;
  /** Called as file bytes are handed to the connection. */
  onBytes?: (sent: number, total: number) => void;
}

/**
 * Streams the file to the gateway (never reading it whole): a file stream, counted on its way to
 * fetch's streaming request body. The gateway reads at Kafka's pace, so backpressure reaches the disk.
 */
export async function uploadFile(options: UploadOptions): Promise<UploadOutcome> {
  const { size } = await stat(options.filePath);
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      options.onBytes?.(sent, size);
      done(null, chunk);
    },
  });
  const body = Readable.toWeb(createReadStream(options.filePath).pipe(counter)) as ReadableStream<Uint8Array>;
  const url = new URL('/api/v1/ingestions', options.gatewayUrl);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: uploadHeaders(options.filePath, options.ingestionId, size, options.token),
      body,
      duplex: 'half',
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    return {
      ok: false,
      failure: {
        status: 0,
        code: 'gateway_unreachable',
        message: `cannot upload to ${url.href}: ${cause?.message ?? (error as Error).message}`,
      },
    };
  }
  const text = await res.text();
  if (res.status !== 202) return { ok: false, failure: parseErrorBody(res.status, text) };
  return { ok: true, status: res.status, body: JSON.parse(text) as UploadAccepted };
}
