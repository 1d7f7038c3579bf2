// The requests of `npm run load` (scripts/bench/load.ts): a mix of what clients ask query-api, built
// from what the database holds (its regions, datasources, weeks, ingestions, and boxes around trips it
// holds), so every request finds data. Pure: the facts in, the request list out, seeded.
import { rng } from './generate.js';

/** What the load run reads from the database before it builds its requests. */
export interface DataFacts {
  /** Regions with at least one trip. */
  regions: string[];
  datasources: string[];
  /** First and last week (Mondays, YYYY-MM-DD) with trips. */
  firstWeek: string;
  lastWeek: string;
  /** Trip ends (lon, lat) sampled from silver: the centres of the boxes. */
  points: [number, number][];
  /** Ingestion ids, newest first. */
  ingestionIds: string[];
  /** `nextCursor`s of consecutive pages of the unfiltered trip groups (limit 50). */
  groupCursors: string[];
}

export type LoadKind =
  'region' | 'bbox origin' | 'bbox destination' | 'bbox both' | 'bbox any' | 'trip-groups' | 'insights' | 'ingestions';

export interface LoadRequest {
  kind: LoadKind;
  /** Path and query string. */
  path: string;
}

/**
 * Share of each kind of request in the mix, in percent: weekly averages are what the API is for (two
 * thirds of the requests, by box three times as often as by region, the box's match mode chosen in
 * turn); trip groups, insights and the ingestions' list and status pages make up the rest.
 */
export const LOAD_MIX: Readonly<Record<MixKind, number>> = {
  region: 15,
  bbox: 45,
  'trip-groups': 15,
  insights: 10,
  ingestions: 15,
};
export type MixKind = 'region' | 'bbox' | 'trip-groups' | 'insights' | 'ingestions';

/** `--mix region=15,bbox=45,…`: the mix with the named shares replaced (a share of 0 leaves the kind out). */
export function parseMix(text: string | undefined): Record<MixKind, number> {
  const mix = { ...LOAD_MIX };
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const [kind, share] = part.split('=');
    if (!(kind in mix) || !/^\d+(\.\d+)?$/.test(share ?? ''))
      throw new Error(`--mix: "${part}" is not <kind>=<share> with a kind of ${Object.keys(LOAD_MIX).join(', ')}`);
    mix[kind as MixKind] = Number(share);
  }
  if (Object.values(mix).every((v) => v === 0)) throw new Error('--mix leaves no request');
  return mix;
}

const MATCHES = ['origin', 'destination', 'both', 'any'] as const;
/** Box widths in degrees, drawn log-uniform: a street (≈ 100 m) to a city (≈ 35 km). */
const BOX_MIN_DEGREES = 0.001;
const BOX_MAX_DEGREES = 0.5;
const DAY_MS = 86_400_000;

/** `n` requests drawn from `facts` in the proportions of `mix`, the same for the same seed. */
export function loadRequests(
  facts: DataFacts,
  n: number,
  seed = 1,
  mix: Readonly<Record<MixKind, number>> = LOAD_MIX,
): LoadRequest[] {
  if (facts.regions.length === 0 || facts.points.length === 0) throw new Error('the database holds no trips');
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const round = (v: number) => Number(v.toFixed(6));
  const q = (params: Record<string, string | number>) =>
    new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const first = Date.parse(`${facts.firstWeek}T00:00:00Z`);
  const weeks = Math.round((Date.parse(`${facts.lastWeek}T00:00:00Z`) - first) / (7 * DAY_MS)) + 1;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  /** Half of the weekly averages ask for a period (1–26 weeks within the data); one in five for a datasource. */
  const filters = (): Record<string, string> => {
    const out: Record<string, string> = {};
    if (rand() < 0.5) {
      const start = first + Math.floor(rand() * weeks) * 7 * DAY_MS;
      out.from = day(start);
      out.to = day(start + (Math.floor(rand() * 26) + 1) * 7 * DAY_MS - DAY_MS);
    }
    if (rand() < 0.2 && facts.datasources.length > 0) out.datasource = pick(facts.datasources);
    return out;
  };
  const box = (minDegrees: number, maxDegrees: number): string => {
    const [lon, lat] = pick(facts.points);
    const w = Math.exp(Math.log(minDegrees) + rand() * (Math.log(maxDegrees) - Math.log(minDegrees)));
    const h = w * (0.5 + rand());
    // The trip end lies somewhere in the box, not always at its centre.
    const x0 = Math.max(-180, lon - w * rand());
    const y0 = Math.max(-90, lat - h * rand());
    return [x0, y0, Math.min(180, x0 + w), Math.min(90, y0 + h)].map(round).join(',');
  };

  let bboxes = 0;
  const byKind: Record<MixKind, () => LoadRequest> = {
    region: () => ({
      kind: 'region',
      path: `/api/v1/trips/weekly-average?${q({ region: pick(facts.regions), ...filters() })}`,
    }),
    bbox: () => {
      const match = MATCHES[bboxes++ % MATCHES.length];
      return {
        kind: `bbox ${match}`,
        path: `/api/v1/trips/weekly-average?${q({ bbox: box(BOX_MIN_DEGREES, BOX_MAX_DEGREES), match, ...filters() })}`,
      };
    },
    'trip-groups': () => {
      const limit = pick([10, 50, 100]);
      const variants = [
        () => q({ limit }),
        () => q({ region: pick(facts.regions), limit }),
        () => q({ bbox: box(0.01, 0.1), limit }),
        () => {
          const minutes = Math.floor(rand() * 1440);
          return q({
            timeOfDay: `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`,
          });
        },
        // A later page: the cursor goes with the filters of the page that gave it (none, limit 50).
        () => (facts.groupCursors.length ? q({ limit: 50, cursor: pick(facts.groupCursors) }) : q({ limit })),
      ];
      return { kind: 'trip-groups', path: `/api/v1/trip-groups?${pick(variants)()}` };
    },
    insights: () => ({
      kind: 'insights',
      path:
        rand() < 0.5 || facts.datasources.length === 0
          ? `/api/v1/insights/latest-datasource?${q({ topRegions: 1 + Math.floor(rand() * 5) })}`
          : `/api/v1/insights/datasource-regions?${q({ datasource: pick(facts.datasources) })}`,
    }),
    ingestions: () => {
      const r = rand();
      const id = facts.ingestionIds.length ? pick(facts.ingestionIds) : undefined;
      const path =
        id === undefined || r < 0.4
          ? `/api/v1/ingestions?${q({ limit: pick([10, 50]) })}`
          : r < 0.8
            ? `/api/v1/ingestions/${id}`
            : `/api/v1/ingestions/${id}/rejections?${q({ limit: 50 })}`;
      return { kind: 'ingestions', path };
    },
  };
  const kinds = (Object.keys(mix) as MixKind[]).filter((k) => mix[k] > 0);
  const total = kinds.reduce((sum, k) => sum + mix[k], 0);
  const requests: LoadRequest[] = [];
  for (let i = 0; i < n; i++) {
    let r = rand() * total;
    const kind = kinds.find((k) => (r -= mix[k]) < 0) ?? kinds[kinds.length - 1];
    requests.push(byKind[kind]());
  }
  return requests;
}
