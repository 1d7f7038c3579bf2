import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError } from '#common';
import { ErrorDto, errorExample } from '../http/error.dto.js';
import { limitParam, stringParam, type RawQuery } from '../http/params.js';
import { RegionsDto } from './regions.dto.js';
import { RegionsRepository } from './regions.repository.js';

/** Longer than any region name worth suggesting; bounds the work a request can ask for. */
export const REGION_PREFIX_MAX_LENGTH = 200;

@ApiTags('regions')
@Controller('api/v1/regions')
export class RegionsHttpController {
  constructor(private readonly repository: RegionsRepository) {}

  @Get()
  @ApiOperation({
    summary: 'Known region names, for suggestions',
    description:
      'Names of the regions with counted trips (those of completed ingestions, less retractions), ordered by their lower-case form (code point order); `prefix` keeps those starting with it. A region whose trips were all retracted, or which only an ingestion still running or failed holds, is not listed.',
  })
  // Bottom-up: @nestjs/swagger lists the parameter decorated last first.
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'Names at most, 1–100 (default 20).',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 20, example: 20 },
  })
  @ApiQuery({
    name: 'prefix',
    required: false,
    description: `Case-insensitive start of the name (at most ${REGION_PREFIX_MAX_LENGTH} characters); every name when absent.`,
    example: 'pr',
  })
  @ApiOkResponse({ type: RegionsDto, description: 'Matching names.', example: { items: ['Prague'] } })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: 'Codes: `invalid_limit`, `invalid_prefix`.',
    example: errorExample(400, 'invalid_limit', 'limit must be an integer between 1 and 100', { limit: '0' }),
  })
  async list(@Query() query: RawQuery): Promise<RegionsDto> {
    const limit = limitParam(query, 20, 100);
    const prefix = stringParam(query, 'prefix', 'invalid_prefix') ?? '';
    if (prefix.length > REGION_PREFIX_MAX_LENGTH) {
      throw new AppError(400, 'invalid_prefix', `prefix must be at most ${REGION_PREFIX_MAX_LENGTH} characters`, {
        prefix: prefix.slice(0, 50),
      });
    }
    return { items: await this.repository.names(prefix, limit) };
  }
}
