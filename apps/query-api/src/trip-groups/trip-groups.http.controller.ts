import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { parseBbox } from '../area/area.js';
import { cellGeometry, centreRange } from '../area/grid.js';
import { DEFINITIONS } from '../definitions.js';
import type { Grid } from '#contracts';
import { GridSettingsService } from '../grid-settings.service.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { ErrorDto, errorExample } from '../http/error.dto.js';
import { limitParam, stringParam, timeOfDayParam, type RawQuery } from '../http/params.js';
import { TripGroupsPageDto, type TripGroupDto } from './trip-groups.dto.js';
import {
  groupKeyOf,
  TripGroupsRepository,
  type GroupFilter,
  type GroupKey,
  type GroupRow,
} from './trip-groups.repository.js';

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

@ApiTags('trip groups')
@Controller('api/v1/trip-groups')
export class TripGroupsHttpController {
  constructor(
    private readonly repository: TripGroupsRepository,
    private readonly grid: GridSettingsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Groups of similar trips, largest first',
    description: [
      DEFINITIONS.similarity,
      "Filters combine: `region` (case-insensitive), `bbox` (the group's origin cell CENTRE — as printed in `origin.centre` — lies in the box, bounds inclusive), `timeOfDay` (the bucket containing that local time).",
      'Pagination: pass `nextCursor` back as `cursor` (opaque) with the same filters; pages are stable while no new data arrives.',
    ].join('\n\n'),
  })
  // Bottom-up: @nestjs/swagger lists the parameter decorated last first.
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page.' })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'Groups per page, 1–1000 (default 50).',
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50, example: 50 },
  })
  @ApiQuery({
    name: 'timeOfDay',
    required: false,
    description: 'HH:MM (00:00–23:59): only groups of the bucket containing this local time.',
    example: '08:15',
  })
  @ApiQuery({
    name: 'bbox',
    required: false,
    description: `Origin cell centre inside this box. ${DEFINITIONS.bbox}`,
    example: '14.40,50.05,14.45,50.09',
  })
  @ApiQuery({ name: 'region', required: false, description: DEFINITIONS.region, example: 'Prague' })
  @ApiOkResponse({
    type: TripGroupsPageDto,
    description: 'One page of groups, largest first, and the grid they were built with.',
    example: {
      items: [
        {
          region: 'Prague',
          origin: { centre: { lon: 14.465, lat: 50.065 }, bounds: [14.46, 50.06, 14.47, 50.07] },
          destination: { centre: { lon: 14.405, lat: 50.085 }, bounds: [14.4, 50.08, 14.41, 50.09] },
          timeOfDay: { bucket: 33, start: '16:30', end: '17:00' },
          tripCount: 167,
          firstSeen: '2018-01-02T16:48:58',
          lastSeen: '2018-12-31T16:49:21',
          datasources: ['baba_car', 'cheap_mobile', 'funny_car'],
        },
      ],
      nextCursor: 'WzE2Nyw3LDg4MTcwOTE4MDY2MzAsODgxNzEwMDE5NTIzMiwzM10',
      grid: { cellDegrees: 0.01, bucketMinutes: 30 },
    },
  })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description:
      'Codes: `invalid_bbox`, `invalid_time_of_day`, `invalid_limit`, `invalid_cursor`, `invalid_parameter`.',
    example: errorExample(400, 'invalid_time_of_day', 'timeOfDay must be HH:MM between 00:00 and 23:59', {
      timeOfDay: '25:00',
    }),
  })
  async list(@Query() query: RawQuery): Promise<TripGroupsPageDto> {
    const grid = await this.grid.get();
    const g = grid.cellDegrees;
    const minutes = grid.bucketMinutes;
    const filter: GroupFilter = { limit: limitParam(query, 50, 1000) + 1 };
    filter.region = stringParam(query, 'region', 'invalid_parameter')?.trim();
    const bboxRaw = stringParam(query, 'bbox', 'invalid_bbox') ?? (query.bbox === undefined ? undefined : '');
    if (bboxRaw !== undefined) {
      const box = parseBbox(bboxRaw);
      filter.originCells = { x: centreRange(box.minLon, box.maxLon, g), y: centreRange(box.minLat, box.maxLat, g) };
    }
    const tod = timeOfDayParam(query);
    if (tod !== undefined) filter.todBucket = Math.floor(tod / minutes);
    // trip_count, region_id (integer), origin_cell, destination_cell, tod_bucket (smallint)
    filter.after = decodeCursor(stringParam(query, 'cursor', 'invalid_cursor'), [
      'posint',
      'int4',
      'posint',
      'posint',
      'int2',
    ]) as GroupKey | undefined;

    const rows = await this.repository.page(filter);
    const more = rows.length === filter.limit;
    const page = more ? rows.slice(0, -1) : rows;
    const last = page.at(-1);
    return {
      items: page.map((r) => toDto(r, grid)),
      nextCursor: more && last ? encodeCursor(groupKeyOf(last)) : null,
      grid,
    };
  }
}

function toDto(r: GroupRow, { cellDegrees: g, bucketMinutes: minutes }: Grid): TripGroupDto {
  return {
    region: r.region,
    origin: cellGeometry(Number(r.origin_cell), g),
    destination: cellGeometry(Number(r.destination_cell), g),
    timeOfDay: { bucket: r.tod_bucket, start: hhmm(r.tod_bucket * minutes), end: hhmm((r.tod_bucket + 1) * minutes) },
    tripCount: Number(r.trip_count),
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    datasources: r.datasources,
  };
}
