import { ApiProperty } from '@nestjs/swagger';

export class PointDto {
  @ApiProperty({ example: 14.435 })
  lon: number;

  @ApiProperty({ example: 50.075 })
  lat: number;
}

export class CellDto {
  @ApiProperty({ description: 'Centre of the grid cell (degrees, 9 decimals).', type: PointDto })
  centre: PointDto;

  @ApiProperty({
    description: 'The cell: [minLon, minLat, maxLon, maxLat] in degrees.',
    type: [Number],
    example: [14.43, 50.07, 14.44, 50.08],
  })
  bounds: [number, number, number, number];
}

export class TimeOfDayDto {
  @ApiProperty({
    description: 'Bucket number: minutes since midnight ÷ TIME_BUCKET_MINUTES, rounded down.',
    example: 18,
  })
  bucket: number;

  @ApiProperty({ description: 'Start of the bucket (local time, inclusive), HH:MM.', example: '09:00' })
  start: string;

  @ApiProperty({
    description: 'End of the bucket (exclusive), HH:MM; the last bucket of the day ends at 24:00.',
    example: '09:30',
  })
  end: string;
}

export class TripGroupDto {
  @ApiProperty({ example: 'Prague' })
  region: string;

  @ApiProperty({ type: CellDto, description: 'The grid cell all origins of the group lie in.' })
  origin: CellDto;

  @ApiProperty({ type: CellDto, description: 'The grid cell all destinations of the group lie in.' })
  destination: CellDto;

  @ApiProperty({ type: TimeOfDayDto })
  timeOfDay: TimeOfDayDto;

  @ApiProperty({ description: 'Trips in the group.', example: 3 })
  tripCount: number;

  @ApiProperty({
    description: 'Earliest trip (local time, no zone), YYYY-MM-DDTHH:MM:SS.',
    example: '2018-05-02T09:12:40',
  })
  firstSeen: string;

  @ApiProperty({ description: 'Latest trip (local time, no zone).', example: '2018-05-30T09:20:01' })
  lastSeen: string;

  @ApiProperty({
    description: "Datasources of the group's trips, by name.",
    type: [String],
    example: ['cheap_mobile', 'funny_car'],
  })
  datasources: string[];
}

export class GridDto {
  @ApiProperty({ description: 'GRID_CELL_DEGREES: side of a cell in degrees.', example: 0.01 })
  cellDegrees: number;

  @ApiProperty({ description: 'TIME_BUCKET_MINUTES: length of a time-of-day bucket.', example: 30 })
  bucketMinutes: number;
}

export class TripGroupsPageDto {
  @ApiProperty({
    type: [TripGroupDto],
    description: 'Largest groups first (tripCount descending, then region, origin cell, destination cell, bucket).',
  })
  items: TripGroupDto[];

  @ApiProperty({
    description: 'Pass as `cursor` for the next page; null on the last page.',
    type: String,
    nullable: true,
    example: 'WzMsMSwxODY3...',
  })
  nextCursor: string | null;

  @ApiProperty({ type: GridDto })
  grid: GridDto;
}
