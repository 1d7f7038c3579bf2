import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { REJECT_REASONS } from '#contracts';
import { AppError } from '#common';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { ErrorDto, errorExample } from '../http/error.dto.js';
import { ingestionIdParam, limitParam, stringParam, type RawQuery } from '../http/params.js';
import { IngestionDto, IngestionsPageDto, RejectionsPageDto } from './ingestions.dto.js';
import { IngestionsRepository, type IngestionRow } from './ingestions.repository.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const since = (start: Date, end: Date | null): number | null => (end ? end.getTime() - start.getTime() : null);
/** An ingestion as the API shows it (OpenAPI example). */
const INGESTION_EXAMPLE = {
  ingestionId: '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11',
  state: 'completed',
  fileName: 'trips.csv',
  contentType: 'text/csv',
  gzip: false,
  columns: ['region', 'origin_coord', 'destination_coord', 'datetime', 'datasource'],
  ignoredColumns: [],
  bytes: 12839,
  sha256: '3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b',
  totalRows: 100,
  counts: { upload: 100, bronze: 100, silver: 98, rejected: 2, gold: 98 },
  chunks: { total: 1, upload: 1, bronze: 1, silver: 1 },
  timestamps: {
    acceptedAt: '2024-05-02T10:15:30.123Z',
    uploadCompletedAt: '2024-05-02T10:15:30.210Z',
    bronzeCompletedAt: '2024-05-02T10:15:30.290Z',
    silverCompletedAt: '2024-05-02T10:15:30.402Z',
    goldCompletedAt: '2024-05-02T10:15:30.402Z',
    completedAt: '2024-05-02T10:15:30.405Z',
    failedAt: null,
    updatedAt: '2024-05-02T10:15:30.405Z',
  },
  timings: { uploadMs: 87, bronzeMs: 167, silverMs: 279, goldMs: 279, totalMs: 282 },
  error: null,
  links: {
    self: '/api/v1/ingestions/0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11',
    rejections: '/api/v1/ingestions/0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11/rejections',
  },
};

const notFound = (id: string) => new AppError(404, 'ingestion_not_found', `no ingestion ${id}`, { ingestionId: id });

export function toIngestionDto(r: IngestionRow): IngestionDto {
  const base = `/api/v1/ingestions/${r.ingestion_id}`;
  return {
    ingestionId: r.ingestion_id,
    state: r.state,
    fileName: r.file_name,
    contentType: r.content_type,
    gzip: r.gzip,
    columns: r.columns,
    ignoredColumns: r.ignored_columns,
    bytes: Number(r.upload_bytes),
    sha256: r.upload_sha256,
    totalRows: r.total_rows === null ? null : Number(r.total_rows),
    counts: {
      upload: Number(r.upload_rows),
      bronze: Number(r.bronze_rows),
      silver: Number(r.silver_rows),
      rejected: Number(r.rejected_rows),
      gold: Number(r.gold_rows),
    },
    chunks: { total: r.total_chunks, upload: r.upload_chunks, bronze: r.bronze_chunks, silver: r.silver_chunks },
    timestamps: {
      acceptedAt: r.accepted_at.toISOString(),
      uploadCompletedAt: iso(r.upload_completed_at),
      bronzeCompletedAt: iso(r.bronze_completed_at),
      silverCompletedAt: iso(r.silver_completed_at),
      goldCompletedAt: iso(r.gold_completed_at),
      completedAt: iso(r.completed_at),
      failedAt: iso(r.failed_at),
      retractionRequestedAt: iso(r.retraction_requested_at),
      retractedAt: iso(r.retracted_at),
      updatedAt: r.updated_at.toISOString(),
    },
    timings: {
      uploadMs: since(r.accepted_at, r.upload_completed_at),
      bronzeMs: since(r.accepted_at, r.bronze_completed_at),
      silverMs: since(r.accepted_at, r.silver_completed_at),
      goldMs: since(r.accepted_at, r.gold_completed_at),
      totalMs: since(r.accepted_at, r.completed_at ?? r.failed_at),
    },
    error:
      r.state === 'failed' || r.error_code
        ? { stage: r.error_stage ?? 'unknown', code: r.error_code ?? 'unknown', message: r.error_message ?? '' }
        : null,
    links: { self: base, rejections: `${base}/rejections` },
  };
}

/** PostgreSQL refused a value taken from a cursor (e.g. a forged timestamp): the cursor is bad, not the server. */
function cursorRejected(error: unknown, cursor: string | undefined): never {
  const code = (error as { code?: string }).code;
  if (cursor !== undefined && typeof code === 'string' && code.startsWith('22')) {
    throw new AppError(400, 'invalid_cursor', 'cursor is not one this API returned; start again without it', {
      cursor,
    });
  }
  throw error;
}

/**
 * A rejections page stops once its values pass this many bytes (at least one row): a raw record may be
 * as long as UPLOAD_MAX_RECORD_BYTES (1 MiB by default), so 1000 of them would be a gigabyte.
 */
export const REJECTIONS_PAGE_MAX_BYTES = 4 * 1024 * 1024;

@ApiTags('ingestions')
@Controller('api/v1/ingestions')
export class IngestionsHttpController {
  constructor(private readonly repository: IngestionsRepository) {}

  @Get()
  @ApiOperation({
    summary: 'Ingestions, newest first',
    description: 'Paged with an opaque cursor: pass `nextCursor` back as `cursor`.',
  })
  // Bottom-up: @nestjs/swagger lists the parameter decorated last first.
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page.' })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'Ingestions per page, 1–1000 (default 50).',
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50, example: 50 },
  })
  @ApiOkResponse({
    type: IngestionsPageDto,
    description: 'One page of ingestions, newest first.',
    example: { items: [INGESTION_EXAMPLE], nextCursor: null },
  })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: 'Codes: `invalid_limit`, `invalid_cursor`.',
    example: errorExample(400, 'invalid_cursor', 'cursor is not one this API returned; start again without it', {
      cursor: 'abc',
    }),
  })
  async list(@Query() query: RawQuery): Promise<IngestionsPageDto> {
    const limit = limitParam(query, 50, 1000);
    const cursor = stringParam(query, 'cursor', 'invalid_cursor');
    const key = decodeCursor(cursor, ['timestamp', 'posint']) as [string, number] | undefined;
    const rows = await this.repository
      .page(limit + 1, key && { acceptedAt: key[0], ingestionNo: key[1] })
      .catch((e: unknown) => cursorRejected(e, cursor));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toIngestionDto),
      nextCursor: rows.length > limit && last ? encodeCursor([last.accepted_key, last.ingestion_no]) : null,
    };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'State of one ingestion',
    description:
      'State, rows per layer (upload / bronze / silver / rejected), chunks, ISO timestamps and ms timings per stage, and the error if it failed.',
  })
  @ApiParam({
    name: 'id',
    description: 'The ingestion id (UUID) the upload answered with.',
    example: '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11',
  })
  @ApiOkResponse({ type: IngestionDto, description: 'The ingestion.', example: INGESTION_EXAMPLE })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: '`invalid_ingestion_id`: not a UUID.',
    example: errorExample(400, 'invalid_ingestion_id', 'the ingestion id must be a UUID', { ingestionId: 'abc' }),
  })
  @ApiNotFoundResponse({
    type: ErrorDto,
    description: '`ingestion_not_found`.',
    example: {
      statusCode: 404,
      error: {
        code: 'ingestion_not_found',
        message: 'no ingestion 0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11',
        details: { ingestionId: '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11' },
      },
    },
  })
  async get(@Param('id') id: string): Promise<IngestionDto> {
    const ingestionId = ingestionIdParam(id);
    const row = await this.repository.byId(ingestionId);
    if (!row) throw notFound(ingestionId);
    return toIngestionDto(row);
  }

  @Get(':id/rejections')
  @ApiOperation({
    summary: 'Rejected rows of an ingestion, in line order',
    description: 'Each with its source line, reason code and text, and the raw values as uploaded.',
  })
  // Bottom-up: @nestjs/swagger lists the parameter decorated last first.
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page.' })
  @ApiQuery({
    name: 'limit',
    required: false,
    description:
      'Rows per page, 1–1000 (default 50); a page also ends once its values pass 4 MiB (it holds at least one row).',
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50, example: 50 },
  })
  @ApiParam({ name: 'id', description: 'The ingestion id (UUID).', example: '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11' })
  @ApiOkResponse({
    type: RejectionsPageDto,
    description: 'One page of rejected rows, in line order.',
    example: {
      ingestionId: '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11',
      items: [
        {
          line: 7,
          reason: 'bad_origin',
          reasonText: 'origin_coord is not a WKT POINT (lon lat)',
          values: {
            region: 'Prague',
            originCoord: 'POINT (14.4 abc)',
            destinationCoord: 'POINT (14.43 50.04)',
            datetime: '2018-05-28 09:03:40',
            datasource: 'funny_car',
          },
          rawRecord: null,
        },
      ],
      nextCursor: null,
    },
  })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: 'Codes: `invalid_ingestion_id`, `invalid_limit`, `invalid_cursor`.',
    example: errorExample(400, 'invalid_limit', 'limit must be an integer between 1 and 1000', { limit: '0' }),
  })
  @ApiNotFoundResponse({
    type: ErrorDto,
    description: '`ingestion_not_found`.',
    example: {
      statusCode: 404,
      error: {
        code: 'ingestion_not_found',
        message: 'no ingestion 0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11',
        details: { ingestionId: '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11' },
      },
    },
  })
  async rejections(@Param('id') id: string, @Query() query: RawQuery): Promise<RejectionsPageDto> {
    const ingestionId = ingestionIdParam(id);
    const limit = limitParam(query, 50, 1000);
    const key = decodeCursor(stringParam(query, 'cursor', 'invalid_cursor'), ['posint']) as [number] | undefined;
    const ingestion = await this.repository.byId(ingestionId);
    if (!ingestion) throw notFound(ingestionId);
    const { rows: page, more } = await this.repository.rejections(
      ingestion.ingestion_no,
      limit,
      key?.[0] ?? 0,
      REJECTIONS_PAGE_MAX_BYTES,
    );
    return {
      ingestionId,
      items: page.map((r) => ({
        line: Number(r.line_no),
        reason: r.reason,
        reasonText: (REJECT_REASONS as Record<string, string>)[r.reason] ?? r.reason,
        values: {
          region: r.region,
          originCoord: r.origin_coord,
          destinationCoord: r.destination_coord,
          datetime: r.datetime,
          datasource: r.datasource,
        },
        rawRecord: r.raw_record,
      })),
      nextCursor: more ? encodeCursor([Number(page.at(-1)!.line_no)]) : null,
    };
  }
}
