import { createHash, randomUUID, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError } from '#common';
import { CONFIG, type Env } from '#config';
import { encodeRawChunkHeaders, ingestionRoom, makeEvent, SOCKET_NAMESPACE, type IngestionState } from '#contracts';
import { RecordChunker, RecordTooLargeError, type Chunk } from '#csv';
import { isTransientDbError, retryTransient } from '#db';
import { isTransientKafkaError, Publisher, topic } from '#kafka';
import { BoundedSender } from './bounded-sender.js';
import { CsvHeaderScanner, parseCsvHeader, type CsvHeader, type HeaderFound } from './csv-header.js';
import type { IngestionAcceptedDto } from './ingestion-accepted.dto.js';
import { IngestionsRepository, type UploadCounters } from './ingestions.repository.js';
import { isBusboyError, isZlibError, openUploadBody } from './upload-body.js';
import { parseUploadRequest, type UploadRequest } from './upload-request.js';

/**
 * Where to cut chunks so that a whole Kafka message (records + key, headers and protocol framing)
 * stays within UPLOAD_CHUNK_BYTES. Beyond the limit it is about cost: kafkajs encodes a message into
 * power-of-two buffers at three levels, so a 512 KiB chunk plus a few hundred bytes of framing would
 * allocate, zero and copy 1 MiB buffers each time (a bare kafkajs producer needed ~20% more CPU and
 * RSS for 512 KiB values than for 510 KiB ones).
 */
export function chunkTargetBytes(messageBytes: number, columns: string[], topicName: string): number {
  const header = JSON.stringify({
    kind: 'chunk',
    ingestionId: '00000000-0000-0000-0000-000000000000',
    seq: 2 ** 31,
    firstLine: 2 ** 53,
    columns,
  });
  // Key, varints, record batch header (61 B) and produce request framing fit in 512 B with room to spare.
  const framing = 512 + Buffer.byteLength(header) + 2 * Buffer.byteLength(topicName);
  return Math.max(messageBytes - framing, Math.ceil(messageBytes / 2));
}

const payloadTooLarge = (limit: number) =>
  new AppError(413, 'payload_too_large', `The upload is larger than the limit of ${limit} bytes (decompressed)`, {
    limit,
  });

/** Pulls the decompressed body while counting, hashing and enforcing the size limit on every byte. */
class MeteredBody {
  bytes = 0;
  readonly hash: Hash = createHash('sha256');
  private readonly it: AsyncIterator<Buffer>;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly limit: number,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  async next(): Promise<Buffer | undefined> {
    const r = await this.it.next();
    if (r.done) return undefined;
    this.bytes += r.value.length;
    // A gzip bomb is stopped here, after at most one zlib output buffer past the limit.
    if (this.bytes > this.limit) throw payloadTooLarge(this.limit);
    this.hash.update(r.value);
    return r.value;
  }

  /** Releases the decoders when the upload stops early (the request itself stays open to be answered). */
  close(): void {
    this.it.return?.().catch(() => undefined);
  }
}

interface Upload {
  ingestionId: string;
  request: UploadRequest;
  fileName: string | null;
  gzip: boolean;
  header: CsvHeader;
  found: HeaderFound;
  body: MeteredBody;
  /** Published so far (what progress reports); bytes start with everything before the first record (BOM, header). */
  acked: UploadCounters;
  progress?: ProgressReporter;
  startedAt: number;
}

/**
 * Streams one CSV upload into Kafka: header validation before anything is created, then chunks of
 * whole records on the raw topic with bounded sends in flight, throttled progress, and the
 * completion protocol (total_chunks in PostgreSQL, then the `end` marker, then `upload.completed`).
 */
@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);
  /** Uploads streaming now (UPLOAD_MAX_CONCURRENT). */
  private active = 0;
  /** Ingestions this instance is streaming, stamped alive by UploadLiveness. */
  readonly streaming = new Set<string>();

  constructor(
    @Inject(CONFIG) private readonly env: Env,
    @Inject(IngestionsRepository) private readonly repo: IngestionsRepository,
    @Inject(Publisher) private readonly publisher: Publisher,
  ) {}

  async upload(req: IncomingMessage): Promise<IngestionAcceptedDto> {
    if (this.active >= this.env.UPLOAD_MAX_CONCURRENT) {
      throw new AppError(
        503,
        'too_many_uploads',
        `This gateway is streaming its maximum of ${this.env.UPLOAD_MAX_CONCURRENT} uploads; retry shortly`,
        { limit: this.env.UPLOAD_MAX_CONCURRENT },
        { 'Retry-After': '5' },
      );
    }
    this.active++;
    try {
      return await this.uploadOne(req);
    } finally {
      this.active--;
    }
  }

  private async uploadOne(req: IncomingMessage): Promise<IngestionAcceptedDto> {
    const upload = await this.accept(req);
    this.streaming.add(upload.ingestionId);
    try {
      return await this.stream(upload);
    } catch (error) {
      const appError = this.toAppError(error, req, upload.ingestionId);
      upload.body.close();
      // A progress event still in flight must not land after ingestion.failed.
      await upload.progress?.settle().catch(() => undefined);
      await this.fail(upload, appError);
      throw appError;
    } finally {
      this.streaming.delete(upload.ingestionId);
    }
  }

  /** Everything up to the header check, then the row: a rejection here leaves no row and no message. */
  private async accept(req: IncomingMessage): Promise<Upload> {
    let body: MeteredBody | undefined;
    try {
      const request = parseUploadRequest(req.headers, this.env.UPLOAD_MAX_BYTES);
      const ingestionId = request.ingestionId ?? randomUUID();
      if (request.ingestionId && (await this.repo.exists(ingestionId))) throw ingestionExists(ingestionId);
      const opened = await openUploadBody(req, request);
      body = new MeteredBody(opened.bytes, this.env.UPLOAD_MAX_BYTES);
      const found = await readHeader(body);
      const header = parseCsvHeader(found.header);
      // Kafka down: answer 503 now, before a row exists that could never progress.
      await this.publisher.connect();
      const created = await this.repo.create({
        ingestionId,
        fileName: opened.fileName,
        contentType: request.mediaType,
        gzip: opened.gzip,
        columns: header.columns,
        ignoredColumns: header.ignoredColumns,
      });
      // Lost a race with a concurrent upload using the same id: that row is not ours to fail.
      if (!created) throw ingestionExists(ingestionId);
      const acked: UploadCounters = { bytes: body.bytes - found.rest.length, rows: 0, chunks: 0 };
      return {
        ingestionId,
        request,
        fileName: opened.fileName,
        gzip: opened.gzip,
        header,
        found,
        body,
        acked,
        startedAt: Date.now(),
      };
    } catch (error) {
      body?.close();
      throw this.toAppError(error, req);
    }
  }

  private async stream(u: Upload): Promise<IngestionAcceptedDto> {
    const { ingestionId: id, header, body, acked } = u;
    await this.patiently(() =>
      this.publisher.publishEvent(
        makeEvent('ingestion.accepted', id, {
          fileName: u.fileName,
          contentType: u.request.mediaType,
          gzip: u.gzip,
          columns: header.columns,
          ignoredColumns: header.ignoredColumns,
        }),
      ),
    );
    this.logger.log(
      { ingestionId: id, fileName: u.fileName, gzip: u.gzip, columns: header.columns },
      'upload accepted',
    );

    const chunker = new RecordChunker(
      chunkTargetBytes(this.env.UPLOAD_CHUNK_BYTES, header.columns, topic(this.env, 'rawChunks')),
      u.found.nextLine,
      this.env.UPLOAD_MAX_RECORD_BYTES,
    );
    const sender = new BoundedSender(this.env.UPLOAD_SENDS_IN_FLIGHT);
    const progress = new ProgressReporter(this.env.PROGRESS_INTERVAL_MS, async (c) => {
      await this.repo.recordProgress(id, c);
      await this.patiently(() => this.publisher.publishEvent(makeEvent('upload.progress', id, c, c.chunks)));
    });
    u.progress = progress;
    let seq = 0;
    let rows = 0;
    const publish = async (chunks: Chunk[]): Promise<void> => {
      for (const chunk of chunks) {
        const chunkSeq = seq++;
        rows += chunk.records;
        await sender.run(async () => {
          await this.patiently(() =>
            this.publisher.send('rawChunks', [
              {
                key: `${id}:${chunkSeq}`,
                value: chunk.data,
                headers: encodeRawChunkHeaders({
                  kind: 'chunk',
                  ingestionId: id,
                  seq: chunkSeq,
                  firstLine: chunk.firstLine,
                  columns: header.columns,
                }),
              },
            ]),
          );
          acked.chunks++;
          acked.rows += chunk.records;
          acked.bytes += chunk.data.length;
        });
      }
    };

    await publish(chunker.push(u.found.rest));
    progress.maybeReport(acked);
    for (;;) {
      const piece = await body.next();
      if (!piece) break;
      await publish(chunker.push(piece));
      progress.maybeReport(acked);
    }
    await publish(chunker.end());
    await sender.drain();
    await progress.settle();

    const totals = { bytes: body.bytes, rows, chunks: seq, sha256: body.hash.digest('hex') };
    const state = await this.repo.completeUpload(id, totals);
    await this.patiently(() =>
      this.publisher.send('rawChunks', [
        {
          key: `${id}:end`,
          value: Buffer.alloc(0),
          headers: encodeRawChunkHeaders({
            kind: 'end',
            ingestionId: id,
            totalChunks: totals.chunks,
            totalRows: totals.rows,
          }),
        },
      ]),
    );
    await this.patiently(() => this.publisher.publishEvent(makeEvent('upload.completed', id, totals)));
    const seconds = Math.max(1, Date.now() - u.startedAt) / 1000;
    this.logger.log(
      {
        ingestionId: id,
        ...totals,
        seconds,
        mbPerSecond: +(totals.bytes / 1e6 / seconds).toFixed(1),
        rowsPerSecond: Math.round(totals.rows / seconds),
      },
      'upload completed',
    );
    return this.accepted(id, state, totals);
  }

  /**
   * Runs a Kafka send again while Kafka is unavailable, for up to UPLOAD_KAFKA_PATIENCE_MS: a broker
   * restart stalls an upload (its client waits, backpressure holds the socket) instead of failing it.
   * A send that failed may still have landed; the retry then duplicates it, which every consumer
   * already treats as a no-op (chunk markers, deterministic event ids).
   */
  private patiently(send: () => Promise<void>): Promise<void> {
    return retryTransient(send, this.env.UPLOAD_KAFKA_PATIENCE_MS, isTransientKafkaError, (error) =>
      this.logger.warn({ err: error }, 'Kafka unavailable during an upload; retrying'),
    );
  }

  private accepted(id: string, state: IngestionState, upload: IngestionAcceptedDto['upload']): IngestionAcceptedDto {
    return {
      ingestionId: id,
      state,
      statusUrl: this.statusUrl(id),
      socket: {
        url: this.env.NOTIFIER_PUBLIC_URL,
        namespace: SOCKET_NAMESPACE,
        room: ingestionRoom(id),
        event: 'ingestion.event',
      },
      upload,
    };
  }

  statusUrl(id: string): string {
    return `${this.env.QUERY_API_PUBLIC_URL.replace(/\/+$/, '')}/api/v1/ingestions/${id}`;
  }

  /**
   * Records the failure and tells subscribers. Chunks already published stay: bronze keeps what
   * arrived (raw lineage) and the `failed` state says the ingestion is incomplete.
   */
  private async fail(u: Upload, error: AppError): Promise<void> {
    const id = u.ingestionId;
    this.logger.warn(
      { ingestionId: id, code: error.code, bytesRead: u.body.bytes, published: u.acked },
      `upload failed: ${error.message}`,
    );
    let changed = false;
    try {
      changed = await this.repo.failUpload(id, error.code, error.message, u.acked);
    } catch (dbError) {
      this.logger.error({ ingestionId: id, err: dbError }, 'could not record the upload failure');
    }
    if (!changed) return;
    const event = this.publisher
      .publishEvent(makeEvent('ingestion.failed', id, { stage: 'upload', code: error.code, message: error.message }))
      .catch((kafkaError: unknown) =>
        this.logger.error({ ingestionId: id, err: kafkaError }, 'could not publish ingestion.failed'),
      );
    // With Kafka down the event would only time out: answer the client first.
    if (error.code !== 'kafka_unavailable') await event;
  }

  /** Maps whatever stopped an upload to the error the client gets (and the ingestion records). */
  private toAppError(error: unknown, req: IncomingMessage, ingestionId?: string): AppError {
    if (error instanceof AppError) return error;
    if (error instanceof RecordTooLargeError) {
      return new AppError(
        422,
        'record_too_large',
        `Line ${error.line}: the record is longer than ${error.limit} bytes (UPLOAD_MAX_RECORD_BYTES); the upload stopped there`,
        { line: error.line, limit: error.limit },
      );
    }
    if (req.destroyed && !req.complete) {
      return new AppError(400, 'client_aborted', 'The client closed the connection before the upload was complete');
    }
    if (isZlibError(error)) {
      return new AppError(400, 'bad_gzip', `The gzip data is corrupt or truncated: ${(error as Error).message}`);
    }
    if (isBusboyError(error)) {
      return new AppError(400, 'bad_multipart', `Malformed multipart/form-data request: ${(error as Error).message}`);
    }
    if (isTransientKafkaError(error)) {
      this.logger.error({ ingestionId, err: error }, 'Kafka unavailable during an upload');
      return new AppError(503, 'kafka_unavailable', 'Kafka is unavailable; retry the upload later');
    }
    if (isTransientDbError(error)) {
      this.logger.error({ ingestionId, err: error }, 'PostgreSQL unavailable during an upload');
      return new AppError(503, 'database_unavailable', 'The database is unavailable; retry the upload later');
    }
    this.logger.error({ ingestionId, err: error }, 'upload failed unexpectedly');
    return new AppError(500, 'internal_error', 'Internal server error');
  }
}

const ingestionExists = (id: string) =>
  new AppError(409, 'ingestion_exists', `Ingestion ${id} already exists; choose a new X-Ingestion-Id`, {
    ingestionId: id,
  });

/** Reads until the header record is complete (or the body ends). */
async function readHeader(body: MeteredBody): Promise<HeaderFound> {
  const scanner = new CsvHeaderScanner();
  for (;;) {
    const piece = await body.next();
    if (!piece) return scanner.end();
    const found = scanner.push(piece);
    if (found) return found;
  }
}

/**
 * At most one progress report every `intervalMs`, one at a time, only when the chunk count moved
 * (the chunk count is the event id's discriminator, so it must not repeat). A failed report fails
 * the upload at the next check.
 */
class ProgressReporter {
  private last = Date.now();
  private lastChunks = 0;
  private pending: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly report: (c: UploadCounters) => Promise<void>,
  ) {}

  maybeReport(c: UploadCounters): void {
    if (this.failure) throw this.failure.error;
    const now = Date.now();
    if (this.pending || c.chunks === this.lastChunks || now - this.last < this.intervalMs) return;
    this.last = now;
    this.lastChunks = c.chunks;
    this.pending = this.report({ ...c }).then(
      () => {
        this.pending = undefined;
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.pending = undefined;
      },
    );
  }

  /** Waits for the report in flight, so every progress event precedes `upload.completed`. */
  async settle(): Promise<void> {
    await this.pending;
    if (this.failure) throw this.failure.error;
  }
}
