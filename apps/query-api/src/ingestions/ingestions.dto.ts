import { INGESTION_STATES } from '#contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class LayerCountsDto {
  @ApiProperty({ description: 'Records published by the upload-gateway so far.', example: 100 })
  upload: number;

  @ApiProperty({ description: 'Records landed in bronze (raw, untouched).', example: 100 })
  bronze: number;

  @ApiProperty({ description: 'Valid trips typed into silver.', example: 98 })
  silver: number;

  @ApiProperty({ description: 'Records rejected on the way to silver (see the rejections endpoint).', example: 2 })
  rejected: number;

  @ApiProperty({
    description:
      'Silver trips in gold so far. Silver and gold are built together, a segment at a time, so this equals the silver count.',
    example: 98,
  })
  gold: number;
}

export class ChunkCountsDto {
  @ApiProperty({
    description: 'Chunks of the upload; null until the upload has ended.',
    type: Number,
    nullable: true,
    example: 1,
  })
  total: number | null;

  @ApiProperty({ example: 1 })
  upload: number;

  @ApiProperty({ example: 1 })
  bronze: number;

  @ApiProperty({ example: 1 })
  silver: number;
}

export class TimestampsDto {
  @ApiProperty({ example: '2024-05-02T10:15:30.123Z' })
  acceptedAt: string;

  @ApiProperty({ type: String, nullable: true, example: '2024-05-02T10:15:30.456Z' })
  uploadCompletedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  bronzeCompletedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  silverCompletedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  goldCompletedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  completedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  failedAt: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'When DELETE asked for its retraction.' })
  retractionRequestedAt: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'When its rows left silver and gold.' })
  retractedAt: string | null;

  @ApiProperty({ example: '2024-05-02T10:15:31.002Z' })
  updatedAt: string;
}

export class TimingsDto {
  @ApiProperty({
    description: 'ms from acceptance until the whole body was in Kafka.',
    type: Number,
    nullable: true,
    example: 310,
  })
  uploadMs: number | null;

  @ApiProperty({
    description: 'ms from acceptance until every chunk was in bronze.',
    type: Number,
    nullable: true,
    example: 420,
  })
  bronzeMs: number | null;

  @ApiProperty({
    description: 'ms from acceptance until every row was in silver or rejected.',
    type: Number,
    nullable: true,
    example: 610,
  })
  silverMs: number | null;

  @ApiProperty({
    description: 'ms from acceptance until gold included every valid row.',
    type: Number,
    nullable: true,
    example: 612,
  })
  goldMs: number | null;

  @ApiProperty({
    description: 'ms from acceptance until completed (or failed).',
    type: Number,
    nullable: true,
    example: 615,
  })
  totalMs: number | null;
}

export class IngestionErrorDto {
  @ApiProperty({ enum: ['upload', 'bronze', 'silver', 'gold'], example: 'upload' })
  stage: string;

  @ApiProperty({ example: 'upload_aborted' })
  code: string;

  @ApiProperty({ example: 'the client closed the connection before the end of the body' })
  message: string;
}

export class IngestionLinksDto {
  @ApiProperty({ example: '/api/v1/ingestions/0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11' })
  self: string;

  @ApiProperty({ example: '/api/v1/ingestions/0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11/rejections' })
  rejections: string;
}

export class IngestionDto {
  @ApiProperty({ format: 'uuid', example: '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11' })
  ingestionId: string;

  @ApiProperty({
    enum: INGESTION_STATES,
    example: 'completed',
    description:
      'Only `completed` ingestions count in answers (and `retracting` ones, until their rows are out); `failed` and `retracted` never do.',
  })
  state: string;

  @ApiProperty({ type: String, nullable: true, example: 'trips.csv' })
  fileName: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'text/csv' })
  contentType: string | null;

  @ApiProperty({ example: false })
  gzip: boolean;

  @ApiProperty({
    type: [String],
    description: 'Header columns in file order.',
    example: ['region', 'origin_coord', 'destination_coord', 'datetime', 'datasource'],
  })
  columns: string[];

  @ApiProperty({
    type: [String],
    description: 'Header columns that are not part of the schema (ignored).',
    example: [],
  })
  ignoredColumns: string[];

  @ApiProperty({ description: 'Decompressed bytes received.', example: 12345 })
  bytes: number;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'SHA-256 of the decompressed CSV, once the upload is complete.',
  })
  sha256: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Records in the upload, once it is complete.',
    example: 100,
  })
  totalRows: number | null;

  @ApiProperty({ type: LayerCountsDto, description: 'Rows per layer.' })
  counts: LayerCountsDto;

  @ApiProperty({ type: ChunkCountsDto, description: 'Chunks per stage.' })
  chunks: ChunkCountsDto;

  @ApiProperty({ type: TimestampsDto, description: 'ISO-8601 UTC times each stage completed (null until it does).' })
  timestamps: TimestampsDto;

  @ApiProperty({
    type: TimingsDto,
    description:
      "Milliseconds from acceptance to each stage's completion. The stages run pipelined (bronze and silver work while the upload streams), so they overlap; null until a stage completes.",
  })
  timings: TimingsDto;

  @ApiPropertyOptional({
    type: IngestionErrorDto,
    nullable: true,
    description: 'Why the ingestion failed; null unless state = failed.',
  })
  error: IngestionErrorDto | null;

  @ApiProperty({ type: IngestionLinksDto })
  links: IngestionLinksDto;
}

export class IngestionsPageDto {
  @ApiProperty({ type: [IngestionDto], description: 'Newest first.' })
  items: IngestionDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor: string | null;
}

export class RejectedValuesDto {
  @ApiProperty({ type: String, nullable: true, example: 'Prague' })
  region: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'POINT (14.49 abc)' })
  originCoord: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'POINT (14.43 50.04)' })
  destinationCoord: string | null;

  @ApiProperty({ type: String, nullable: true, example: '2018-05-28 09:03:40' })
  datetime: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'funny_car' })
  datasource: string | null;
}

export class RejectionDto {
  @ApiProperty({ description: 'Source line number where the record starts (header = line 1).', example: 7 })
  line: number;

  @ApiProperty({ description: 'Reason code.', example: 'bad_origin' })
  reason: string;

  @ApiProperty({ description: 'The reason in words.', example: 'origin_coord is not a WKT POINT (lon lat)' })
  reasonText: string;

  @ApiProperty({
    type: RejectedValuesDto,
    description: 'The raw field values as uploaded (null when the record could not be split into fields).',
  })
  values: RejectedValuesDto;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The whole record as uploaded, when its field count did not match the header.',
    example: null,
  })
  rawRecord: string | null;
}

export class RejectionsPageDto {
  @ApiProperty({ format: 'uuid' })
  ingestionId: string;

  @ApiProperty({ type: [RejectionDto], description: 'In line order.' })
  items: RejectionDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor: string | null;
}
