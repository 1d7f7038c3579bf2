import { ApiProperty } from '@nestjs/swagger';

export class LatestTripDto {
  @ApiProperty({ example: 'Turin' })
  region: string;

  @ApiProperty({ description: 'Datasource of the most recent trip.', example: 'pt_search_app' })
  datasource: string;

  @ApiProperty({
    description: 'Local date and time of that trip (no zone), YYYY-MM-DDTHH:MM:SS.',
    example: '2018-05-31T06:20:59',
  })
  datetime: string;
}

export class RegionLatestDto {
  @ApiProperty({ example: 'Turin' })
  region: string;

  @ApiProperty({ description: 'Trips in the region (all time).', example: 38 })
  trips: number;

  @ApiProperty({ description: "Datasource of the region's most recent trip.", example: 'pt_search_app' })
  latestDatasource: string;

  @ApiProperty({ description: "Local date and time of the region's most recent trip.", example: '2018-05-31T06:20:59' })
  latestDatetime: string;
}

export class LatestDatasourceDto {
  @ApiProperty({ description: 'N: how many of the most common regions were considered.', example: 2 })
  topRegions: number;

  @ApiProperty({
    type: [RegionLatestDto],
    description:
      'The N most common regions (by trip count, ties by name), most common first, each with its own latest trip.',
  })
  regions: RegionLatestDto[];

  @ApiProperty({
    type: LatestTripDto,
    nullable: true,
    description: 'The most recent trip among those regions, and its datasource; null without data.',
  })
  latest: LatestTripDto | null;
}

export class DatasourceRegionDto {
  @ApiProperty({ example: 'Hamburg' })
  region: string;

  @ApiProperty({ description: 'Trips of the datasource in that region.', example: 10 })
  trips: number;
}

export class DatasourceRegionsDto {
  @ApiProperty({ example: 'cheap_mobile' })
  datasource: string;

  @ApiProperty({
    type: [DatasourceRegionDto],
    description: 'Regions where the datasource appeared, by region name; empty for an unknown datasource.',
  })
  regions: DatasourceRegionDto[];
}
