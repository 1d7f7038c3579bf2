import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '#common';
import { isUuid } from '#contracts';

/** How the body is framed: the CSV itself, or a `multipart/form-data` form with a `file` part. */
export type BodyForm = 'raw' | 'multipart';

/** What the declared media type says about gzip. */
export type GzipExpectation =
  /** CSV types: gunzip when the bytes start with the gzip magic number. */
  | 'sniff'
  /** `application/gzip`, `application/x-gzip`: the bytes must be gzip, else `bad_gzip`. */
  | 'declared'
  /** `application/octet-stream`: accepted only when the bytes are gzip, else `unsupported_media_type`. */
  | 'required';

/** Media types accepted for a raw body, and what each implies about gzip. */
export const RAW_MEDIA_TYPES: Record<string, GzipExpectation> = {
  'text/csv': 'sniff',
  'application/csv': 'sniff',
  'text/plain': 'sniff',
  'application/gzip': 'declared',
  'application/x-gzip': 'declared',
  'application/octet-stream': 'required',
};
export const MULTIPART = 'multipart/form-data';
export const ACCEPTED_MEDIA_TYPES = [...Object.keys(RAW_MEDIA_TYPES), MULTIPART];

/** Everything the request's headers tell us, checked before a byte of the body is read. */
export interface UploadRequest {
  mediaType: string;
  form: BodyForm;
  gzipExpectation: GzipExpectation;
  /** `Content-Encoding: gzip`: the whole body is gunzipped first. */
  contentEncodingGzip: boolean;
  /** The client-chosen id (lower-cased), if any. */
  ingestionId: string | undefined;
  /** `X-File-Name` (raw bodies; multipart uses the part's filename). */
  fileName: string | null;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Validates the request line's headers: media type (415), declared size (413), content encoding (415),
 * client-chosen ingestion id (400). Pure, so every rule is unit-tested without a server.
 */
export function parseUploadRequest(headers: IncomingHttpHeaders, maxBytes: number): UploadRequest {
  const mediaType = (header(headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  const form: BodyForm | undefined =
    mediaType === MULTIPART ? 'multipart' : mediaType in RAW_MEDIA_TYPES ? 'raw' : undefined;
  if (!form) {
    throw new AppError(415, 'unsupported_media_type', `Content-Type ${mediaType || '(none)'} is not accepted`, {
      accepted: ACCEPTED_MEDIA_TYPES,
    });
  }

  const encoding = (header(headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
  if (!['identity', 'gzip', 'x-gzip'].includes(encoding)) {
    throw new AppError(
      415,
      'unsupported_media_type',
      `Content-Encoding ${encoding} is not supported (use gzip or none)`,
      {
        acceptedEncodings: ['gzip', 'identity'],
      },
    );
  }

  const length = header(headers, 'content-length');
  if (length !== undefined && Number(length) > maxBytes) {
    throw new AppError(413, 'payload_too_large', `The upload is larger than the limit of ${maxBytes} bytes`, {
      limit: maxBytes,
      contentLength: Number(length),
    });
  }

  const id = header(headers, 'x-ingestion-id')?.trim();
  if (id !== undefined && !isUuid(id)) {
    throw new AppError(400, 'invalid_ingestion_id', 'X-Ingestion-Id must be a UUID', { ingestionId: id });
  }

  return {
    mediaType,
    form,
    gzipExpectation: form === 'raw' ? RAW_MEDIA_TYPES[mediaType] : 'sniff',
    contentEncodingGzip: encoding !== 'identity',
    ingestionId: id?.toLowerCase(),
    fileName: form === 'raw' ? decodeFileName(header(headers, 'x-file-name')) : null,
  };
}

/** Header values are Latin-1 on the wire; clients percent-encode other names (as `encodeURIComponent` does). */
function decodeFileName(value: string | undefined): string | null {
  const v = value?.trim();
  if (!v) return null;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
