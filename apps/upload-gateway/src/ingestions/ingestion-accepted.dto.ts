import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { INGESTION_STATES, type IngestionState } from '#contracts';

export class UploadSummaryDto {
  @ApiProperty({ description: 'Bytes of the (decompressed) CSV, header included', example: 12839 })
  bytes: number;

  @ApiProperty({ description: 'Data records (header and blank lines excluded)', example: 100 })
  rows: number;

  @ApiProperty({ description: 'Chunks published to Kafka (each a run of whole records)', example: 1 })
  chunks: number;

  @ApiProperty({
    description: 'SHA-256 (hex) of the decompressed CSV, to compare with `sha256sum`',
    example: 'c0ffee…',
  })
  sha256: string;
}

export class SocketInfoDto {
  @ApiProperty({ description: 'socket.io server (the notifier)', example: 'http://localhost:3002' })
  url: string;

  @ApiProperty({ example: '/ingestions' })
  namespace: string;

  @ApiProperty({
    description: "The ingestion's room; `subscribe` with `{ ingestionId }` to join it",
    example: 'ingestion:6f1c…',
  })
  room: string;

  @ApiProperty({ description: 'Event name every update arrives under', example: 'ingestion.event' })
  event: string;
}

/** Body of the 202 answer: the whole upload is in Kafka; processing continues asynchronously. */
export class IngestionAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  ingestionId: string;

  @ApiProperty({
    enum: INGESTION_STATES,
    description:
      'Normally `processing`: bronze/silver/gold are being built (they may already have started during the upload)',
    example: 'processing',
  })
  state: IngestionState;

  @ApiProperty({
    description: 'GET it for the ingestion status (query-api); also in the Location header',
    example: 'http://localhost:3001/api/v1/ingestions/6f1c…',
  })
  statusUrl: string;

  @ApiProperty({ type: SocketInfoDto, description: 'Where to follow the ingestion live' })
  socket: SocketInfoDto;

  @ApiProperty({ type: UploadSummaryDto })
  upload: UploadSummaryDto;
}

/** Body of DELETE /api/v1/ingestions/:id. */
export class RetractionDto {
  @ApiProperty({ format: 'uuid' })
  ingestionId: string;

  @ApiProperty({
    enum: ['retracting', 'retracted'],
    description:
      '`retracting` (202): its rows still count until the transformer has taken them out and published `ingestion.retracted`; `retracted` (200): done',
    example: 'retracting',
  })
  state: 'retracting' | 'retracted';

  @ApiProperty({
    description: 'GET it for the ingestion status (query-api); `state` becomes `retracted`',
    example: 'http://localhost:3001/api/v1/ingestions/6f1c…',
  })
  statusUrl: string;
}

export class ErrorDto {
  @ApiProperty({ description: 'Stable machine-readable code', example: 'missing_columns' })
  code: string;

  @ApiProperty({ example: 'The header lacks required column(s): datasource' })
  message: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { missing: ['datasource'], found: ['region', 'origin_coord', 'destination_coord', 'datetime'] },
  })
  details?: Record<string, unknown>;
}

/** The one error format of the platform (AppExceptionFilter). */
export class ErrorBodyDto {
  @ApiProperty({ example: 422 })
  statusCode: number;

  @ApiProperty({ type: ErrorDto })
  error: ErrorDto;
}
