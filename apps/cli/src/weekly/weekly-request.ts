/** What `trips weekly` asks the query-api; the values go as given (the API validates them and says what is wrong). */
export interface WeeklyQuery {
  region?: string;
  bbox?: string;
  match?: string;
  from?: string;
  to?: string;
  datasource?: string;
  weeks?: string;
}

/** The order of the query string: the area first, as users write it. */
const KEYS: (keyof WeeklyQuery)[] = ['region', 'bbox', 'match', 'from', 'to', 'datasource', 'weeks'];

/** `GET /api/v1/trips/weekly-average?…` on the query-api at `base`, with only the parameters given. */
export function weeklyUrl(base: string, query: WeeklyQuery): URL {
  const url = new URL('/api/v1/trips/weekly-average', base);
  for (const key of KEYS) {
    const value = query[key];
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url;
}

/** Exactly one of --region / --bbox, and --match only with --bbox: the message of what is wrong, else undefined. */
export function areaError(query: WeeklyQuery): string | undefined {
  if (query.region !== undefined && query.bbox !== undefined) return 'give either --region or --bbox, not both';
  if (query.region === undefined && query.bbox === undefined)
    return 'give the area: --region NAME or --bbox minLon,minLat,maxLon,maxLat';
  if (query.region !== undefined && query.match !== undefined) return '--match applies to --bbox only';
  return undefined;
}
