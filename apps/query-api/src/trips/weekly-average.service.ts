import { Injectable } from '@nestjs/common';
import type { Area } from '../area/area.js';
import { GridSettingsService } from '../grid-settings.service.js';
import { averageOf, DEFAULT_WEEKS_MODE, type WeeksMode } from './averaging.js';
import { formatDate, parseDate, periodEnd, resolvePeriod, weeksOf, type Period } from './period.js';
import { countScope } from './count-sql.js';
import { WeeklyAverageRepository, type WeeklyCounts } from './weekly-average.repository.js';
import type { WeeklyAverageDto } from './weekly-average.dto.js';

export interface WeeklyAverageQuery {
  area: Area;
  from?: string;
  to?: string;
  datasource?: string;
  /** What the average divides by (default `period`). */
  weeks?: WeeksMode;
}

/** The weekly average of trips in an area: period resolution, counting, zero-filled series. */
@Injectable()
export class WeeklyAverageService {
  constructor(
    private readonly repository: WeeklyAverageRepository,
    private readonly grid: GridSettingsService,
  ) {}

  async weeklyAverage(query: WeeklyAverageQuery): Promise<WeeklyAverageDto> {
    const data = await this.repository.dataWeeks();
    const dataWeeks: Period | undefined = data && {
      firstWeek: parseDate(data.firstWeek)!,
      lastWeek: parseDate(data.lastWeek)!,
    };
    const period = resolvePeriod(query.from, query.to, dataWeeks);
    const filter = this.filterOf(query);
    const weeksMode = query.weeks ?? DEFAULT_WEEKS_MODE;
    if (!period) return { filter, from: null, to: null, weeksMode, ...averageOf([], weeksMode), series: [] };

    const counts = await this.count(query, period, dataWeeks);
    const series = weeksOf(period).map((weekStart) => ({ weekStart, trips: counts.get(weekStart) ?? 0 }));
    const { weeks, activeWeeks, totalTrips, weeklyAverage } = averageOf(series, weeksMode);
    return {
      filter,
      from: formatDate(period.firstWeek),
      to: periodEnd(period),
      weeksMode,
      weeks,
      activeWeeks,
      totalTrips,
      weeklyAverage,
      series,
    };
  }

  private async count(query: WeeklyAverageQuery, period: Period, dataWeeks: Period | undefined): Promise<WeeklyCounts> {
    let datasourceId: number | undefined;
    if (query.datasource !== undefined) {
      datasourceId = await this.repository.datasourceId(query.datasource);
      // An unknown datasource has no trips: zero everywhere, not an error.
      if (datasourceId === undefined) return new Map();
    }
    const scope = countScope(period, dataWeeks, datasourceId);
    const { area } = query;
    if (area.kind === 'region') {
      const regionId = await this.repository.regionId(area.region);
      return regionId === undefined ? new Map() : this.repository.regionWeekly(regionId, scope);
    }
    const { cellDegrees } = await this.grid.get();
    return this.repository.bboxWeekly(area.bbox, cellDegrees, area.match, scope);
  }

  private filterOf(query: WeeklyAverageQuery): WeeklyAverageDto['filter'] {
    const { area } = query;
    const base =
      area.kind === 'region'
        ? { region: area.region }
        : {
            bbox: [area.bbox.minLon, area.bbox.minLat, area.bbox.maxLon, area.bbox.maxLat] as [
              number,
              number,
              number,
              number,
            ],
            match: area.match,
          };
    return query.datasource === undefined ? base : { ...base, datasource: query.datasource.trim() };
  }
}
