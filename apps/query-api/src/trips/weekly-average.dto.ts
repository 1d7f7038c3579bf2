import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MATCH_MODES, type MatchMode } from '../area/area.js';
import { WEEKS_MODES, type WeeksMode } from './averaging.js';

export class AreaFilterDto {
  @ApiPropertyOptional({
    description: 'The region asked for (matched case-insensitively, surrounding spaces ignored).',
    example: 'Prague',
  })
  region?: string;

  @ApiPropertyOptional({
    description: 'The bounding box asked for: [minLon, minLat, maxLon, maxLat] in degrees, bounds inclusive.',
    type: [Number],
    example: [14.4, 50.05, 14.45, 50.09],
  })
  bbox?: [number, number, number, number];

  @ApiPropertyOptional({
    description: 'Which end of a trip must lie inside the box (bbox queries only).',
    enum: MATCH_MODES,
    example: 'both',
  })
  match?: MatchMode;

  @ApiPropertyOptional({
    description: 'The datasource the count was restricted to, when one was given.',
    example: 'cheap_mobile',
  })
  datasource?: string;
}

export class WeekCountDto {
  @ApiProperty({ description: 'Monday of the ISO week (local date of the trips), YYYY-MM-DD.', example: '2018-04-30' })
  weekStart: string;

  @ApiProperty({ description: 'Trips in the area during that week (0 when none).', example: 10 })
  trips: number;
}

export class WeeklyAverageDto {
  @ApiProperty({ description: 'The filter that was applied, as understood by the API.', type: AreaFilterDto })
  filter: AreaFilterDto;

  @ApiProperty({
    description:
      'First day of the period: the Monday of its first ISO week. null when there is no data and no from/to was given.',
    example: '2018-04-30',
    type: String,
    nullable: true,
  })
  from: string | null;

  @ApiProperty({
    description: 'Last day of the period: the Sunday of its last ISO week (inclusive).',
    example: '2018-06-03',
    type: String,
    nullable: true,
  })
  to: string | null;

  @ApiProperty({
    description:
      'What weeklyAverage divides by, as asked with `weeks` (default `period`): `period` = every week of the period (`weeks`), `active` = the weeks with trips (`activeWeeks`).',
    enum: WEEKS_MODES,
    example: 'period',
  })
  weeksMode: WeeksMode;

  @ApiProperty({
    description: 'Number of ISO weeks in the period (weeks without trips included), whatever weeksMode is.',
    example: 5,
  })
  weeks: number;

  @ApiProperty({
    description: 'Number of weeks of the period with at least one trip in the filter (≤ weeks), whatever weeksMode is.',
    example: 5,
  })
  activeWeeks: number;

  @ApiProperty({ description: 'Trips in the area over the whole period.', example: 34 })
  totalTrips: number;

  @ApiProperty({
    description:
      'totalTrips / weeks (weeksMode `period`) or totalTrips / activeWeeks (weeksMode `active`); 0 when that number of weeks is 0. Not rounded.',
    example: 6.8,
  })
  weeklyAverage: number;

  @ApiProperty({ description: 'One entry per week of the period, in order, zeros included.', type: [WeekCountDto] })
  series: WeekCountDto[];
}
