// The area panel: a region or a box drawn on an SVG map of trip-group origin cells, and the weekly
// trips chart from the query-api's weekly-average endpoint.
import { fmt } from './progress.js';

const SVG = 'http://www.w3.org/2000/svg';
const MAP_W = 600;
const MAP_H = 360;
const PAD = 24;

const svg = (tag, attrs = {}, text) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
};

const round = (v) => Number(v.toFixed(4));

/** An equirectangular projection of `bounds` into the map, longitudes shrunk by cos(latitude). */
export function projection(bounds) {
  const [minLon, minLat, maxLon, maxLat] = bounds;
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const w = Math.max((maxLon - minLon) * k, 1e-6);
  const h = Math.max(maxLat - minLat, 1e-6);
  const scale = Math.min((MAP_W - 2 * PAD) / w, (MAP_H - 2 * PAD) / h);
  const ox = (MAP_W - w * scale) / 2;
  const oy = (MAP_H - h * scale) / 2;
  return {
    x: (lon) => ox + (lon - minLon) * k * scale,
    y: (lat) => MAP_H - oy - (lat - minLat) * scale,
    lon: (x) => minLon + (x - ox) / (k * scale),
    lat: (y) => minLat + (MAP_H - oy - y) / scale,
  };
}

/** Bounds around a set of cells, padded by 10 % (at least one cell). */
export function cellsBounds(groups) {
  let [a, b, c, d] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const g of groups) {
    const [x0, y0, x1, y1] = g.origin.bounds;
    a = Math.min(a, x0);
    b = Math.min(b, y0);
    c = Math.max(c, x1);
    d = Math.max(d, y1);
  }
  const px = Math.max((c - a) * 0.1, 0.01);
  const py = Math.max((d - b) * 0.1, 0.01);
  return [a - px, b - py, c + px, d + py];
}

export class AreaPanel {
  constructor(queryApiUrl) {
    this.api = queryApiUrl;
    this.form = document.getElementById('area-form');
    this.region = document.getElementById('area-region');
    this.bbox = document.getElementById('area-bbox');
    this.match = document.getElementById('area-match');
    this.regions = document.getElementById('regions');
    this.map = document.getElementById('map');
    this.chart = document.getElementById('chart');
    this.stats = document.getElementById('area-stats');
    this.error = document.getElementById('area-error');
    this.groups = [];
    this.proj = null;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.show();
    });
    for (const radio of this.form.elements.mode) radio.addEventListener('change', () => this.syncMode());
    this.region.addEventListener('change', () => {
      this.setMode('region');
      void this.drawMap().then(() => this.show());
    });
    this.setupDrag();
    this.syncMode();
  }

  get mode() {
    return this.form.elements.mode.value;
  }

  setMode(mode) {
    this.form.elements.mode.value = mode;
    this.syncMode();
  }

  syncMode() {
    for (const field of this.form.querySelectorAll('[data-mode]')) {
      const on = field.dataset.mode === this.mode;
      field.hidden = !on;
      for (const input of field.querySelectorAll('input, select')) input.disabled = !on;
    }
  }

  async get(path) {
    const res = await fetch(new URL(path, this.api));
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
    return body;
  }

  /** Loads regions and draws the map; picks the largest region when none is chosen yet. Called again after each completed ingestion. */
  async refresh() {
    try {
      const page = await this.get('/api/v1/trip-groups?limit=1000');
      const names = [...new Set(page.items.map((g) => g.region))].sort();
      this.regions.replaceChildren(...names.map((n) => Object.assign(document.createElement('option'), { value: n })));
      if (!this.region.value && page.items.length) this.region.value = page.items[0].region;
      this.error.hidden = true;
    } catch (e) {
      this.fail(`Cannot load trip groups from the query-api (${e.message})`);
      return;
    }
    await this.drawMap();
    if (this.mode === 'region' ? this.region.value : this.bbox.value) await this.show();
  }

  async drawMap() {
    const region = this.region.value.trim();
    try {
      const page = await this.get(
        `/api/v1/trip-groups?limit=1000${region ? `&region=${encodeURIComponent(region)}` : ''}`,
      );
      this.groups = page.items;
    } catch (e) {
      this.fail(`Cannot load trip groups (${e.message})`);
      return;
    }
    this.map.replaceChildren();
    if (!this.groups.length) {
      this.proj = null;
      this.map.append(
        svg(
          'text',
          { x: MAP_W / 2, y: MAP_H / 2, 'text-anchor': 'middle', class: 'empty' },
          region ? `No trip groups in ${region}` : 'No data yet',
        ),
      );
      return;
    }
    const bounds = cellsBounds(this.groups);
    this.proj = projection(bounds);
    this.drawGraticule(bounds);
    const max = Math.max(...this.groups.map((g) => g.tripCount));
    // Several groups share an origin cell (other destinations or times): add their trips up.
    const cells = new Map();
    for (const g of this.groups) {
      const key = g.origin.bounds.join(',');
      const c = cells.get(key) ?? { bounds: g.origin.bounds, trips: 0, region: g.region };
      c.trips += g.tripCount;
      cells.set(key, c);
    }
    const cellMax = Math.max(...[...cells.values()].map((c) => c.trips), max);
    const layer = svg('g');
    for (const c of cells.values()) {
      const [x0, y0, x1, y1] = c.bounds;
      const x = this.proj.x(x0);
      const y = this.proj.y(y1);
      const rect = svg('rect', {
        class: 'cell',
        x,
        y,
        width: Math.max(this.proj.x(x1) - x, 2),
        height: Math.max(this.proj.y(y0) - y, 2),
        'fill-opacity': (0.25 + 0.75 * (c.trips / cellMax)).toFixed(2),
      });
      rect.append(svg('title', {}, `${c.region}: ${fmt(c.trips)} trips start in ${c.bounds.map(round).join(', ')}`));
      layer.append(rect);
    }
    // Under the cells, so the cells inside a selected box keep their colour.
    this.selection = svg('rect', { class: 'selection', visibility: 'hidden' });
    this.map.append(this.selection, layer);
    this.drawBboxSelection();
  }

  drawGraticule(bounds) {
    const [minLon, minLat, maxLon, maxLat] = bounds;
    const step = niceStep(Math.max(maxLon - minLon, maxLat - minLat) / 4);
    const g = svg('g');
    for (let lon = Math.ceil(minLon / step) * step; lon <= maxLon; lon += step) {
      const x = this.proj.x(lon);
      g.append(svg('line', { class: 'grid-line', x1: x, x2: x, y1: 0, y2: MAP_H }));
      g.append(svg('text', { class: 'axis-label', x: x + 3, y: MAP_H - 4 }, `${round(lon)}°`));
    }
    for (let lat = Math.ceil(minLat / step) * step; lat <= maxLat; lat += step) {
      const y = this.proj.y(lat);
      g.append(svg('line', { class: 'grid-line', x1: 0, x2: MAP_W, y1: y, y2: y }));
      g.append(svg('text', { class: 'axis-label', x: 4, y: y - 3 }, `${round(lat)}°`));
    }
    this.map.append(g);
  }

  /** Shows the box typed or drawn, if it is on the current map. */
  drawBboxSelection() {
    if (!this.proj || !this.selection) return;
    const parts = this.bbox.value.split(',').map(Number);
    if (this.mode !== 'bbox' || parts.length !== 4 || parts.some(Number.isNaN)) {
      this.selection.setAttribute('visibility', 'hidden');
      return;
    }
    const [a, b, c, d] = parts;
    this.placeSelection(this.proj.x(a), this.proj.y(d), this.proj.x(c), this.proj.y(b));
  }

  placeSelection(x0, y0, x1, y1) {
    this.selection.setAttribute('x', Math.min(x0, x1));
    this.selection.setAttribute('y', Math.min(y0, y1));
    this.selection.setAttribute('width', Math.abs(x1 - x0));
    this.selection.setAttribute('height', Math.abs(y1 - y0));
    this.selection.setAttribute('visibility', 'visible');
  }

  /** Drag on the map to select a box (pointer events: mouse, pen and touch). */
  setupDrag() {
    let start = null;
    const point = (e) => {
      const m = this.map.getScreenCTM();
      if (!m) return { x: 0, y: 0 };
      const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
      return { x: Math.max(0, Math.min(MAP_W, p.x)), y: Math.max(0, Math.min(MAP_H, p.y)) };
    };
    this.map.addEventListener('pointerdown', (e) => {
      if (!this.proj) return;
      // A drag would otherwise select the axis labels' text.
      e.preventDefault();
      start = point(e);
      this.map.setPointerCapture(e.pointerId);
    });
    this.map.addEventListener('pointermove', (e) => {
      if (!start) return;
      const p = point(e);
      this.placeSelection(start.x, start.y, p.x, p.y);
    });
    this.map.addEventListener('pointerup', (e) => {
      if (!start) return;
      const p = point(e);
      const s = start;
      start = null;
      if (Math.abs(p.x - s.x) < 4 || Math.abs(p.y - s.y) < 4) return;
      const lons = [this.proj.lon(s.x), this.proj.lon(p.x)].sort((a, b) => a - b);
      const lats = [this.proj.lat(s.y), this.proj.lat(p.y)].sort((a, b) => a - b);
      this.bbox.value = [lons[0], lats[0], lons[1], lats[1]].map(round).join(',');
      this.setMode('bbox');
      void this.show();
    });
  }

  async show() {
    let query;
    if (this.mode === 'region') {
      const region = this.region.value.trim();
      if (!region) return;
      query = `region=${encodeURIComponent(region)}`;
    } else {
      const bbox = this.bbox.value.trim();
      if (!bbox) return;
      query = `bbox=${encodeURIComponent(bbox)}&match=${this.match.value}`;
      this.drawBboxSelection();
    }
    try {
      const result = await this.get(`/api/v1/trips/weekly-average?${query}`);
      this.error.hidden = true;
      this.drawStats(result);
      this.drawChart(result);
    } catch (e) {
      this.fail(e.message);
    }
  }

  fail(message) {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  drawStats(r) {
    const item = (label, value) => {
      const div = document.createElement('div');
      div.append(
        Object.assign(document.createElement('dt'), { textContent: label }),
        Object.assign(document.createElement('dd'), { textContent: value }),
      );
      return div;
    };
    const avg = r.weeklyAverage.toLocaleString('en-US', { maximumFractionDigits: 2 });
    this.stats.replaceChildren(
      item('Weekly average', avg),
      item('Total trips', fmt(r.totalTrips)),
      item('Weeks', fmt(r.weeks)),
      item('Period', r.from ? `${r.from} → ${r.to}` : '—'),
    );
    this.stats.lastChild.querySelector('dd').style.fontSize = '0.8rem';
  }

  drawChart(r) {
    const W = 600;
    const H = 220;
    const left = 40;
    const bottom = 24;
    const top = 12;
    this.chart.replaceChildren();
    if (!r.series.length) {
      this.chart.append(
        svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'No trips in this area'),
      );
      return;
    }
    const max = Math.max(1, ...r.series.map((s) => s.trips));
    const plotH = H - top - bottom;
    const slot = (W - left - 8) / r.series.length;
    const barW = Math.max(1, Math.min(48, slot * 0.8));
    const y = (v) => top + plotH - (v / max) * plotH;
    for (const t of [0, max / 2, max]) {
      this.chart.append(svg('line', { class: 'axis', x1: left, x2: W - 4, y1: y(t), y2: y(t) }));
      this.chart.append(
        svg('text', { class: 'tick', x: left - 6, y: y(t) + 3, 'text-anchor': 'end' }, fmt(Math.round(t))),
      );
    }
    r.series.forEach((s, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      const rect = svg('rect', {
        class: 'bar-rect',
        x,
        y: y(s.trips),
        width: barW,
        height: Math.max(0, top + plotH - y(s.trips)),
        rx: 2,
      });
      rect.append(svg('title', {}, `week of ${s.weekStart}: ${fmt(s.trips)} trips`));
      this.chart.append(rect);
    });
    const labelEvery = Math.ceil(r.series.length / 8);
    r.series.forEach((s, i) => {
      if (i % labelEvery) return;
      this.chart.append(
        svg(
          'text',
          { class: 'tick', x: left + i * slot + slot / 2, y: H - 8, 'text-anchor': 'middle' },
          s.weekStart.slice(5),
        ),
      );
    });
    const ay = y(r.weeklyAverage);
    this.chart.append(svg('line', { class: 'avg', x1: left, x2: W - 4, y1: ay, y2: ay }));
    this.chart.append(
      svg(
        'text',
        { class: 'avg-label', x: W - 6, y: ay - 4, 'text-anchor': 'end' },
        `avg ${r.weeklyAverage.toLocaleString('en-US', { maximumFractionDigits: 2 })}/week`,
      ),
    );
  }
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  const m = raw / p;
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}
