import { Controller, Delete, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiConsumes,
  ApiHeader,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ApiTokenGuard } from '#common';
import { ErrorBodyDto, IngestionAcceptedDto, RetractionDto } from './ingestion-accepted.dto.js';
import { RetractionService } from './retraction.service.js';
import { ACCEPTED_MEDIA_TYPES } from './upload-request.js';
import { UploadService } from './upload.service.js';

const codes = (list: Record<string, string>): string =>
  Object.entries(list)
    .map(([code, when]) => `\`${code}\`: ${when}`)
    .join('<br>');

@ApiTags('ingestions')
@Controller('api/v1/ingestions')
export class IngestionsHttpController {
  constructor(
    @Inject(UploadService) private readonly uploads: UploadService,
    @Inject(RetractionService) private readonly retractions: RetractionService,
  ) {}

  /** Raw request and response: the body is a stream the service reads at Kafka's pace, never parsed up front. */
  @Post()
  @HttpCode(202)
  // The token first: a client without it is refused without spending the address's allowance.
  @UseGuards(ApiTokenGuard, ThrottlerGuard)
  @ApiBearerAuth()
  @ApiUnauthorizedResponse({
    type: ErrorBodyDto,
    description: codes({
      unauthorized:
        'API_TOKEN is configured and the request lacks `Authorization: Bearer <API_TOKEN>` (or has another token)',
    }),
  })
  @ApiOperation({
    summary: 'Upload a trips CSV (streamed into Kafka)',
    description: [
      'Streams the CSV into Kafka in chunks of whole records without holding the file in memory, and answers **202 once the whole body is in Kafka**. ',
      'Bronze, silver and gold are built asynchronously (and start while the upload is still arriving); follow them at `statusUrl` or live over socket.io.',
      '\n\nThe header must contain `region,origin_coord,destination_coord,datetime,datasource` (any order, case-insensitive; extra columns are ignored and reported). ',
      'Quoted fields, CRLF line endings and a UTF-8 BOM are accepted. Gzip is accepted as `Content-Encoding: gzip` or as gzip bytes (a `.gz` file) in the body or the file part.',
      '\n\nTo watch the upload itself live, choose the id: generate a UUID, subscribe to it on the notifier, then upload with `X-Ingestion-Id`.',
      '\n\nA request rejected before the header is accepted leaves nothing behind (no ingestion, no Kafka message). ',
      'A failure after that (client abort, corrupt gzip, size limit, Kafka down) marks the ingestion `failed` with `error_stage = upload` and emits `ingestion.failed`.',
    ].join(''),
  })
  @ApiConsumes(...ACCEPTED_MEDIA_TYPES)
  @ApiHeader({
    name: 'X-Ingestion-Id',
    required: false,
    description: 'Client-chosen ingestion id (UUID), e.g. to subscribe to its events before uploading. Must be new.',
    schema: { type: 'string', format: 'uuid' },
  })
  @ApiHeader({
    name: 'X-File-Name',
    required: false,
    description:
      "File name recorded with a raw body (percent-encode non-ASCII names). Multipart uses the part's filename.",
  })
  @ApiHeader({
    name: 'Content-Encoding',
    required: false,
    description: '`gzip` to send a gzip-compressed body; `identity` or absent otherwise.',
    schema: { type: 'string', enum: ['gzip', 'identity'] },
  })
  @ApiAcceptedResponse({
    type: IngestionAcceptedDto,
    description: 'The whole upload is in Kafka; processing continues asynchronously.',
    headers: {
      Location: { description: 'The status URL (same as `statusUrl`)', schema: { type: 'string', format: 'uri' } },
    },
  })
  @ApiBadRequestResponse({
    type: ErrorBodyDto,
    description: codes({
      empty_body: 'the body is empty, or only a BOM / whitespace',
      not_csv:
        'the header is not UTF-8 text, contains NUL/control characters, is not a CSV record, or does not end within the first 64 KiB',
      bad_gzip: 'the gzip data is corrupt or truncated, or a gzip Content-Type was sent with non-gzip bytes',
      missing_file_field: 'a multipart form without a file field named `file`',
      bad_multipart: 'the multipart body is malformed (no boundary, truncated form)',
      invalid_ingestion_id: '`X-Ingestion-Id` is not a UUID',
      client_aborted:
        'the client closed the connection mid-upload (recorded on the ingestion; rarely seen by the client)',
    }),
  })
  @ApiConflictResponse({
    type: ErrorBodyDto,
    description: codes({ ingestion_exists: 'the `X-Ingestion-Id` is already used' }),
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorBodyDto,
    description: codes({
      payload_too_large:
        '`Content-Length`, or the decompressed bytes while streaming (gzip bombs), exceed `UPLOAD_MAX_BYTES`',
    }),
  })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorBodyDto,
    description: codes({
      unsupported_media_type: `Content-Type not one of ${ACCEPTED_MEDIA_TYPES.join(', ')}; \`application/octet-stream\` with non-gzip bytes; a Content-Encoding other than gzip`,
    }),
  })
  @ApiUnprocessableEntityResponse({
    type: ErrorBodyDto,
    description: codes({
      missing_columns: 'required columns are missing; `details.missing` (schema order) and `details.found`',
      duplicate_columns: 'a column name appears twice; `details.duplicates`',
      record_too_large:
        'a record (its line end included) is longer than `UPLOAD_MAX_RECORD_BYTES`; `details.line` (where it starts) and `details.limit`; the upload stops there and the ingestion is `failed`',
    }),
  })
  @ApiTooManyRequestsResponse({
    type: ErrorBodyDto,
    description: codes({
      too_many_requests:
        'more than `UPLOAD_RATE_LIMIT_PER_MINUTE` uploads a minute from this address; `Retry-After` says when to retry',
    }),
  })
  @ApiServiceUnavailableResponse({
    type: ErrorBodyDto,
    description: codes({
      too_many_uploads: 'the gateway streams `UPLOAD_MAX_CONCURRENT` uploads already; `Retry-After: 5`',
      kafka_unavailable: 'Kafka did not accept the data',
      database_unavailable: 'PostgreSQL is unreachable',
    }),
  })
  @ApiInternalServerErrorResponse({
    type: ErrorBodyDto,
    description: codes({ internal_error: 'an unexpected error (logged with context)' }),
  })
  async upload(@Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      const accepted = await this.uploads.upload(req);
      res.status(202).location(accepted.statusUrl).json(accepted);
    } catch (error) {
      // The client is gone (abort): the ingestion already records the failure; there is nobody to answer.
      if (res.headersSent || req.socket.destroyed) return;
      // Reading the unread rest of a rejected body is not worth it: answer and close.
      if (!req.complete) res.setHeader('Connection', 'close');
      throw error;
    }
  }

  @Delete(':id')
  @UseGuards(ApiTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Retract a completed ingestion',
    description: [
      'Takes every row of a completed ingestion out of silver, out of every gold table and so out of every answer, exactly: ',
      'the ingestion becomes `retracting` (202) and the transformer removes its rows in one transaction, then sets `retracted` ',
      'and publishes `ingestion.retracted`. Until then its rows still count; afterwards none does. Bronze (the raw upload) and ',
      'the rejected rows stay, as the record of what was uploaded. Sending DELETE again is harmless: 202 while it is pending, ',
      '200 once it is done. Only completed ingestions count, so only they can be retracted.',
    ].join(''),
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiAcceptedResponse({ type: RetractionDto, description: 'Retraction requested (`state: retracting`)' })
  @ApiOkResponse({ type: RetractionDto, description: 'Already retracted (`state: retracted`)' })
  @ApiBadRequestResponse({ type: ErrorBodyDto, description: codes({ invalid_ingestion_id: 'not a UUID' }) })
  @ApiUnauthorizedResponse({
    type: ErrorBodyDto,
    description: codes({ unauthorized: 'API_TOKEN is set and the request lacks it' }),
  })
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: codes({ ingestion_not_found: 'no ingestion has this id' }) })
  @ApiConflictResponse({
    type: ErrorBodyDto,
    description: codes({
      ingestion_in_progress: 'the ingestion is still uploading or processing; `details.state`',
      ingestion_failed: 'the ingestion failed: its rows never counted',
      retraction_unsupported: 'its rows were loaded before segments existed (migration 0013)',
    }),
  })
  @ApiServiceUnavailableResponse({
    type: ErrorBodyDto,
    description: codes({
      kafka_unavailable: 'the retraction is recorded but could not be sent; send the DELETE again',
      database_unavailable: 'PostgreSQL is unreachable',
    }),
  })
  async retract(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const answer = await this.retractions.retract(id);
    res.status(answer.state === 'retracted' ? 200 : 202).json(answer);
  }
}
