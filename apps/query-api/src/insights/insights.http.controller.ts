import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError } from '#common';
import { ErrorDto, errorExample } from '../http/error.dto.js';
import { intParam, stringParam, type RawQuery } from '../http/params.js';
import { DatasourceRegionsDto, LatestDatasourceDto, type RegionLatestDto } from './insights.dto.js';
import { InsightsRepository } from './insights.repository.js';

@ApiTags('insights')
@Controller('api/v1/insights')
export class InsightsHttpController {
  constructor(private readonly repository: InsightsRepository) {}

  @Get('latest-datasource')
  @ApiOperation({
    summary: 'Latest datasource among the most common regions',
    description:
      'Takes the N regions with the most trips (ties broken by region name), and answers the datasource of the most recent trip among them, with its region and local datetime. Also answers, for each of the N regions, its own most recent trip. Trips at the same second: the datasource name breaks the tie (alphabetical), then the region order.',
  })
  @ApiQuery({
    name: 'topRegions',
    required: false,
    description: 'N, 1–1000 (default 2).',
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 2, example: 2 },
  })
  @ApiOkResponse({
    type: LatestDatasourceDto,
    description: 'The N regions with their latest trips, and the latest among them.',
    example: {
      topRegions: 2,
      regions: [
        { region: 'Turin', trips: 38, latestDatasource: 'pt_search_app', latestDatetime: '2018-05-31T06:20:59' },
        { region: 'Prague', trips: 34, latestDatasource: 'cheap_mobile', latestDatetime: '2018-05-29T12:44:02' },
      ],
      latest: { region: 'Turin', datasource: 'pt_search_app', datetime: '2018-05-31T06:20:59' },
    },
  })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: '`invalid_top_regions`.',
    example: errorExample(400, 'invalid_top_regions', 'topRegions must be an integer between 1 and 1000', {
      topRegions: '0',
    }),
  })
  async latestDatasource(@Query() query: RawQuery): Promise<LatestDatasourceDto> {
    const top = intParam(query, 'topRegions', 'invalid_top_regions', 2, 1, 1000);
    const rows = await this.repository.topRegionsLatest(top);
    const regions: RegionLatestDto[] = rows
      .filter((r) => r.occurred_at !== null && r.datasource !== null)
      .map((r) => ({
        region: r.region,
        trips: Number(r.trips),
        latestDatasource: r.datasource!,
        latestDatetime: r.occurred_at!,
      }));
    // Rows come most common first, so on a tie in time the more common region wins.
    let latest: LatestDatasourceDto['latest'] = null;
    for (const r of regions) {
      if (
        !latest ||
        r.latestDatetime > latest.datetime ||
        (r.latestDatetime === latest.datetime && r.latestDatasource < latest.datasource)
      ) {
        latest = { region: r.region, datasource: r.latestDatasource, datetime: r.latestDatetime };
      }
    }
    return { topRegions: top, regions, latest };
  }

  @Get('datasource-regions')
  @ApiOperation({
    summary: 'Regions where a datasource appeared',
    description:
      'Every region with at least one trip of the datasource (exact name), with the count, sorted by region name. An unknown datasource answers 200 with no regions.',
  })
  @ApiQuery({ name: 'datasource', required: true, description: 'The datasource name.', example: 'cheap_mobile' })
  @ApiOkResponse({
    type: DatasourceRegionsDto,
    description: "Regions by name, with the datasource's trip count in each.",
    example: {
      datasource: 'cheap_mobile',
      regions: [
        { region: 'Hamburg', trips: 10 },
        { region: 'Prague', trips: 13 },
        { region: 'Turin', trips: 10 },
      ],
    },
  })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: '`missing_datasource`.',
    example: errorExample(400, 'missing_datasource', 'give the datasource: datasource=<name>'),
  })
  async datasourceRegions(@Query() query: RawQuery): Promise<DatasourceRegionsDto> {
    const datasource = stringParam(query, 'datasource', 'missing_datasource')?.trim();
    if (!datasource) throw new AppError(400, 'missing_datasource', 'give the datasource: datasource=<name>');
    const rows = await this.repository.datasourceRegions(datasource);
    return { datasource, regions: rows.map((r) => ({ region: r.region, trips: Number(r.trips) })) };
  }
}
