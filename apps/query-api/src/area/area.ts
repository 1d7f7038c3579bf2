import { AppError } from '#common';
import { stringParam, type RawQuery } from '../http/params.js';
import type { Bbox } from './grid.js';

/**
 * Which end of a trip must lie inside a bounding box. Default `both`: a trip "in the box" starts and
 * ends there. `any` = origin or destination inside.
 */
export const MATCH_MODES = ['origin', 'destination', 'both', 'any'] as const;
export type MatchMode = (typeof MATCH_MODES)[number];
export const DEFAULT_MATCH: MatchMode = 'both';

export type Area = { kind: 'region'; region: string } | { kind: 'bbox'; bbox: Bbox; match: MatchMode };

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const invalidBbox = (message: string, bbox: string) =>
  new AppError(
    400,
    'invalid_bbox',
    `bbox ${message}; expected minLon,minLat,maxLon,maxLat in degrees (e.g. 14.40,50.05,14.45,50.09)`,
    { bbox },
  );

/** `minLon,minLat,maxLon,maxLat`: four decimal numbers, longitudes within ±180, latitudes within ±90, min ≤ max. */
export function parseBbox(raw: string): Bbox {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length !== 4) throw invalidBbox(`needs 4 numbers, got ${parts.length}`, raw);
  if (!parts.every((p) => NUMBER.test(p))) throw invalidBbox('contains something that is not a decimal number', raw);
  const [minLon, minLat, maxLon, maxLat] = parts.map(Number);
  if (Math.abs(minLon) > 180 || Math.abs(maxLon) > 180) throw invalidBbox('has a longitude outside ±180', raw);
  if (Math.abs(minLat) > 90 || Math.abs(maxLat) > 90) throw invalidBbox('has a latitude outside ±90', raw);
  if (minLon > maxLon) throw invalidBbox('has minLon > maxLon (boxes across the antimeridian are not supported)', raw);
  if (minLat > maxLat) throw invalidBbox('has minLat > maxLat', raw);
  // Normalise -0 so that the filter echoed back prints as 0.
  return { minLon: minLon + 0, minLat: minLat + 0, maxLon: maxLon + 0, maxLat: maxLat + 0 };
}

export function parseMatch(raw: string | undefined): MatchMode {
  if (raw === undefined) return DEFAULT_MATCH;
  const m = raw.trim().toLowerCase();
  if (!(MATCH_MODES as readonly string[]).includes(m)) {
    throw new AppError(400, 'invalid_match', `match must be one of ${MATCH_MODES.join(', ')}`, { match: raw });
  }
  return m as MatchMode;
}

/** The area of a weekly-average query: exactly one of `region` or `bbox`. */
export function parseArea(query: RawQuery): Area {
  const region = stringParam(query, 'region', 'ambiguous_area');
  // An empty bbox is a partial one (invalid_bbox), not a missing one.
  const bboxRaw = stringParam(query, 'bbox', 'invalid_bbox') ?? (query.bbox === undefined ? undefined : '');
  const match = parseMatch(stringParam(query, 'match', 'invalid_match'));
  if (region !== undefined && bboxRaw !== undefined) {
    throw new AppError(400, 'ambiguous_area', 'give either region or bbox, not both', { region, bbox: bboxRaw });
  }
  if (region !== undefined) return { kind: 'region', region: region.trim() };
  if (bboxRaw !== undefined) return { kind: 'bbox', bbox: parseBbox(bboxRaw), match };
  throw new AppError(400, 'missing_area', 'give the area: region=<name> or bbox=minLon,minLat,maxLon,maxLat');
}
