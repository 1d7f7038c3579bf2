// Country borders and coastlines for the map: Natural Earth 1:50m outlines (world-atlas, TopoJSON)
// decoded by topojson-client, both served by the notifier from node_modules (/vendor/…).
import { feature, mesh } from '/vendor/topojson-client/index.js';

const WORLD_URL = '/vendor/world-atlas/countries-50m.json';

/** A line of [lon, lat] points with its bounds, so lines far off the map are skipped. */
const withBounds = (points) => {
  let [a, b, c, d] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lon, lat] of points) {
    a = Math.min(a, lon);
    b = Math.min(b, lat);
    c = Math.max(c, lon);
    d = Math.max(d, lat);
  }
  return { points, bounds: [a, b, c, d] };
};

let world;

/**
 * `{ land, borders }`: the rings of every land polygon (their outline is the coastline) and every
 * border between two countries, each border once. Fetched once per page.
 */
export function loadWorld() {
  world ??= fetch(WORLD_URL)
    .then((res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${WORLD_URL}`);
      return res.json();
    })
    .then((topo) => {
      const land = feature(topo, topo.objects.land);
      const polygons = land.type === 'Feature' ? [land.geometry] : land.features.map((f) => f.geometry);
      const rings = polygons.flatMap((g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates)).flat();
      const borders = mesh(topo, topo.objects.countries, (a, b) => a !== b).coordinates;
      return { land: rings.map(withBounds), borders: borders.map(withBounds) };
    });
  return world;
}

/**
 * An SVG path of the `lines` that touch `bounds` ([minLon, minLat, maxLon, maxLat]), projected by
 * `proj`; `closed` closes each one (land rings).
 */
export function outlinePath(lines, proj, bounds, closed) {
  const [minLon, minLat, maxLon, maxLat] = bounds;
  const parts = [];
  for (const {
    points,
    bounds: [a, b, c, d],
  } of lines) {
    if (c < minLon || a > maxLon || d < minLat || b > maxLat) continue;
    const xy = points.map(([lon, lat]) => `${proj.x(lon).toFixed(2)} ${proj.y(lat).toFixed(2)}`);
    parts.push(`M${xy.join('L')}${closed ? 'Z' : ''}`);
  }
  return parts.join('');
}
