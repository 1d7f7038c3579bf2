import { basename } from 'node:path';

/** Request headers of a raw upload: CSV, gzip-encoded for `.gz`, with the client-chosen ingestion id (and the API token). */
export function uploadHeaders(
  filePath: string,
  ingestionId: string,
  size?: number,
  token?: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'text/csv',
    'x-ingestion-id': ingestionId,
    // Header values are Latin-1 on the wire; the gateway decodes a percent-encoded name.
    'x-file-name': encodeURIComponent(basename(filePath)),
  };
  if (/\.gz$/i.test(filePath)) headers['content-encoding'] = 'gzip';
  if (size !== undefined) headers['content-length'] = String(size);
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

/** The platform's error body, or what we can make of any other answer. */
export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

/** Reads `{ statusCode, error: { code, message, details } }`; a body of another shape (a proxy's page) still yields a code. */
export function parseErrorBody(status: number, text: string): HttpFailure {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: string; details?: unknown } };
    if (body.error && typeof body.error.code === 'string') {
      return { status, code: body.error.code, message: String(body.error.message ?? ''), details: body.error.details };
    }
  } catch {
    // not JSON: fall through
  }
  const snippet = text.trim().slice(0, 200);
  return { status, code: `http_${status}`, message: snippet || `the gateway answered HTTP ${status}` };
}

export function formatHttpFailure(f: HttpFailure): string[] {
  // Status 0: no HTTP answer at all (connection refused, reset).
  const lines = [
    f.status === 0
      ? `Upload failed: ${f.code}: ${f.message}`
      : `Upload rejected: HTTP ${f.status} ${f.code}: ${f.message}`,
  ];
  if (f.details !== undefined) lines.push(`  details: ${JSON.stringify(f.details)}`);
  return lines;
}
