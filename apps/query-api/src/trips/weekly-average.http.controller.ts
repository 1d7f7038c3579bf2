import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { parseArea, MATCH_MODES } from '../area/area.js';
import { DEFINITIONS } from '../definitions.js';
import { ErrorDto, errorExample } from '../http/error.dto.js';
import { stringParam, type RawQuery } from '../http/params.js';
import { parseWeeksMode, WEEKS_MODES } from './averaging.js';
import { WeeklyAverageDto } from './weekly-average.dto.js';
import { WeeklyAverageService } from './weekly-average.service.js';

/** The sample's box of the README and the issue (3 trips, both ends inside, in 2 of the data's 5 weeks). */
const SAMPLE_BOX_ANSWER = (weeksMode: 'period' | 'active', weeklyAverage: number) => ({
  filter: { bbox: [7.5415091, 45.091605, 10.0588964, 53.4948642], match: 'both' },
  from: '2018-04-30',
  to: '2018-06-03',
  weeksMode,
  weeks: 5,
  activeWeeks: 2,
  totalTrips: 3,
  weeklyAverage,
  series: [
    { weekStart: '2018-04-30', trips: 2 },
    { weekStart: '2018-05-07', trips: 0 },
    { weekStart: '2018-05-14', trips: 0 },
    { weekStart: '2018-05-21', trips: 1 },
    { weekStart: '2018-05-28', trips: 0 },
  ],
});

@ApiTags('trips')
@Controller('api/v1/trips')
export class WeeklyAverageHttpController {
  constructor(private readonly service: WeeklyAverageService) {}

  @Get('weekly-average')
  @ApiOperation({
    summary: 'Weekly average number of trips in an area (a region or a bounding box)',
    description: [
      'Give exactly one of `region` or `bbox`.',
      DEFINITIONS.week,
      DEFINITIONS.period,
      DEFINITIONS.weeklyAverage,
      DEFINITIONS.weeks,
      DEFINITIONS.region,
      DEFINITIONS.bbox,
      DEFINITIONS.match,
      DEFINITIONS.datasource,
    ].join('\n\n'),
  })
  // Bottom-up: @nestjs/swagger lists the parameter decorated last first.
  @ApiQuery({
    name: 'weeks',
    required: false,
    enum: WEEKS_MODES,
    description: DEFINITIONS.weeks,
    schema: { type: 'string', enum: [...WEEKS_MODES], default: 'period', example: 'active' },
  })
  @ApiQuery({ name: 'datasource', required: false, description: DEFINITIONS.datasource, example: 'cheap_mobile' })
  @ApiQuery({
    name: 'to',
    required: false,
    description: 'Last day (YYYY-MM-DD), inclusive; not before from.',
    example: '2018-05-31',
  })
  @ApiQuery({
    name: 'from',
    required: false,
    description: `First day (YYYY-MM-DD), inclusive. ${DEFINITIONS.period}`,
    example: '2018-05-01',
  })
  @ApiQuery({
    name: 'match',
    required: false,
    enum: MATCH_MODES,
    description: `${DEFINITIONS.match} Ignored with region.`,
    schema: { type: 'string', enum: [...MATCH_MODES], default: 'both', example: 'both' },
  })
  @ApiQuery({ name: 'bbox', required: false, description: DEFINITIONS.bbox, example: '14.40,50.05,14.45,50.09' })
  @ApiQuery({ name: 'region', required: false, description: DEFINITIONS.region, example: 'Prague' })
  @ApiOkResponse({
    type: WeeklyAverageDto,
    description:
      'The average, the total, the number of weeks (of the period, and with trips), which of them the average divides by, and the per-week series.',
    examples: {
      region: {
        summary: 'region=Prague (the 100-row sample): trips in all 5 weeks, 6.8 a week in either mode',
        value: {
          filter: { region: 'Prague' },
          from: '2018-04-30',
          to: '2018-06-03',
          weeksMode: 'period',
          weeks: 5,
          activeWeeks: 5,
          totalTrips: 34,
          weeklyAverage: 6.8,
          series: [
            { weekStart: '2018-04-30', trips: 10 },
            { weekStart: '2018-05-07', trips: 8 },
            { weekStart: '2018-05-14', trips: 8 },
            { weekStart: '2018-05-21', trips: 5 },
            { weekStart: '2018-05-28', trips: 3 },
          ],
        },
      },
      bboxPeriod: {
        summary: 'bbox=7.5415091,45.091605,10.0588964,53.4948642&match=both (the sample): 3 trips ÷ 5 weeks = 0.6',
        value: SAMPLE_BOX_ANSWER('period', 0.6),
      },
      bboxActive: {
        summary: 'the same box with weeks=active: 3 trips ÷ 2 weeks with trips = 1.5',
        value: SAMPLE_BOX_ANSWER('active', 1.5),
      },
    },
  })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description:
      'Bad input. Codes: `missing_area` (neither region nor bbox), `ambiguous_area` (both, or a parameter repeated), `invalid_bbox` (not 4 numbers, out of range, min > max), `invalid_match`, `invalid_weeks` (not period or active), `invalid_date` (not YYYY-MM-DD, from > to, period longer than 10436 weeks), `invalid_parameter`.',
    example: {
      statusCode: 400,
      error: {
        code: 'invalid_bbox',
        message:
          'bbox has minLon > maxLon (boxes across the antimeridian are not supported); expected minLon,minLat,maxLon,maxLat in degrees (e.g. 14.40,50.05,14.45,50.09)',
        details: { bbox: '14.5,50,14.4,50.1' },
      },
    },
  })
  @ApiServiceUnavailableResponse({
    type: ErrorDto,
    description:
      '`query_timeout`: the count took longer than QUERY_API_STATEMENT_TIMEOUT_MS (default 30 s) — possible for match=both/any over very large boxes. `database_busy` (`Retry-After: 1`): every database connection of the API stayed busy for 5 s (too many slow requests at once). `database_unavailable` (`Retry-After: 5`): PostgreSQL is unreachable or restarting.',
    example: errorExample(
      503,
      'query_timeout',
      'the query took longer than the server allows (QUERY_API_STATEMENT_TIMEOUT_MS); narrow the area or the period',
    ),
  })
  weeklyAverage(@Query() query: RawQuery): Promise<WeeklyAverageDto> {
    return this.service.weeklyAverage({
      area: parseArea(query),
      from: stringParam(query, 'from', 'invalid_date'),
      to: stringParam(query, 'to', 'invalid_date'),
      datasource: stringParam(query, 'datasource', 'invalid_parameter'),
      weeks: parseWeeksMode(stringParam(query, 'weeks', 'invalid_weeks')),
    });
  }
}
