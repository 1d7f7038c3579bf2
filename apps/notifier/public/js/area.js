// The area panel: a region or a box drawn on an SVG map of trip-group origin cells over country
// borders and coastlines (zoom with the wheel or the buttons, pan by dragging in pan mode or with
// Shift), and the weekly trips chart from the query-api's weekly-average endpoint.
import { CHAR_PX, degreeTicks, placeAvgLabel, unzoom, ZOOM_MIN, zoomAt } from './geo.js';
import { apiErrorText, fmt } from './progress.js';
import { loadWorld, outlinePath } from './world.js';

const SVG = 'http://www.w3.org/2000/svg';
const MAP_W = 600;
const MAP_H = 360;
const PAD = 24;
/** Room kept free of bars above the chart's plot: the average label's last resort. */
const CHART_TOP = 16;
const HOME = { k: 1, x: 0, y: 0 };
/** How many map widths the widest zoom shows: outlines are prepared that far around. */
const ZOOM_OUT = 1 / ZOOM_MIN;

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
    this.bounds = null;
    this.view = HOME;
    this.suggested = 0;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.show();
    });
    for (const radio of this.form.elements.mode) radio.addEventListener('change', () => this.syncMode());
    this.region.addEventListener('change', () => {
      this.setMode('region');
      void this.drawMap().then(() => this.show());
    });
    this.region.addEventListener('input', () => void this.suggest());
    this.setupDrag();
    this.setupZoom();
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
    if (!res.ok) throw new Error(apiErrorText(res.status, body));
    return body;
  }

  /** Region suggestions for what is typed so far (the query-api's known regions); a late answer is dropped. */
  async suggest() {
    const asked = ++this.suggested;
    try {
      const { items } = await this.get(`/api/v1/regions?limit=20&prefix=${encodeURIComponent(this.region.value)}`);
      if (asked !== this.suggested) return;
      this.regions.replaceChildren(...items.map((n) => Object.assign(document.createElement('option'), { value: n })));
    } catch {
      // Suggestions are a convenience: typing a name still works without them.
    }
  }

  /** Loads regions and draws the map; picks the largest region when none is chosen yet. Called again after each completed ingestion. */
  async refresh() {
    try {
      const page = await this.get('/api/v1/trip-groups?limit=1');
      if (!this.region.value && page.items.length) this.region.value = page.items[0].region;
      this.error.hidden = true;
    } catch (e) {
      this.fail(`Cannot load trip groups from the query-api (${e.message})`);
      return;
    }
    await this.suggest();
    await this.drawMap();
    if (this.mode === 'region' ? this.region.value : this.bbox.value) await this.show();
  }

  async drawMap() {
    const region = this.region.value.trim();
    let world;
    try {
      const page = await this.get(
        `/api/v1/trip-groups?limit=1000${region ? `&region=${encodeURIComponent(region)}` : ''}`,
      );
      this.groups = page.items;
      world = await loadWorld().catch((e) => {
        this.fail(`Cannot load the country outlines (${e.message})`);
        return null;
      });
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
    // Another area: start from its whole extent; the same one (new data): keep the user's zoom.
    if (String(bounds) !== String(this.bounds)) this.view = HOME;
    this.bounds = bounds;
    this.proj = projection(bounds);
    // Two layers move with the zoom: the outlines under the degree grid, the data over it.
    this.outlines = svg('g', { class: 'outlines' });
    this.viewLayer = svg('g', { class: 'view' });
    if (world) {
      // The outlines in sight at the widest zoom, with some room to pan there.
      const reach = [
        this.proj.lon(-MAP_W * ZOOM_OUT),
        this.proj.lat(MAP_H + MAP_H * ZOOM_OUT),
        this.proj.lon(MAP_W + MAP_W * ZOOM_OUT),
        this.proj.lat(-MAP_H * ZOOM_OUT),
      ];
      this.outlines.append(
        svg('path', { class: 'land', d: outlinePath(world.land, this.proj, reach, true) }),
        svg('path', { class: 'border', d: outlinePath(world.borders, this.proj, reach, false) }),
      );
    }
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
    this.viewLayer.append(this.selection, layer);
    // Grid lines between the outlines and the data, their labels over everything.
    this.gridLines = svg('g', { class: 'grid' });
    this.gridLabels = svg('g', { class: 'grid-labels' });
    this.measure = svg('text', { class: 'axis-label', visibility: 'hidden', x: 0, y: -20 });
    this.map.append(this.outlines, this.gridLines, this.viewLayer, this.gridLabels, this.measure);
    this.applyView();
    this.drawBboxSelection();
  }

  /** Width of an axis label as drawn (SVG user units), measured once per text. */
  labelWidth(text) {
    this.widths ??= new Map();
    let w = this.widths.get(text);
    if (w === undefined) {
      this.measure.textContent = text;
      w = this.measure.getComputedTextLength() || text.length * CHAR_PX;
      this.widths.set(text, w);
    }
    return w;
  }

  /** Moves the map to `this.view` and redraws the degree grid for what is now visible. */
  applyView() {
    if (!this.proj) return;
    const { k, x, y } = this.view;
    const transform = `translate(${x.toFixed(2)} ${y.toFixed(2)}) scale(${k})`;
    this.outlines.setAttribute('transform', transform);
    this.viewLayer.setAttribute('transform', transform);
    this.map.dataset.zoom = String(Number(k.toFixed(4)));
    const topLeft = unzoom(this.view, 0, 0);
    const bottomRight = unzoom(this.view, MAP_W, MAP_H);
    const lon0 = Math.max(-180, this.proj.lon(topLeft.x));
    const lon1 = Math.min(180, this.proj.lon(bottomRight.x));
    const lat0 = Math.max(-90, this.proj.lat(bottomRight.y));
    const lat1 = Math.min(90, this.proj.lat(topLeft.y));
    const sx = (lon) => this.proj.x(lon) * k + x;
    const sy = (lat) => this.proj.y(lat) * k + y;
    const lines = [];
    const labels = [];
    // x labels start 3 units right of their line and keep 6 units from the next line.
    for (const t of degreeTicks(lon0, lon1, sx(lon1) - sx(lon0), (l) => this.labelWidth(l) + 9)) {
      const at = sx(t.value);
      lines.push(svg('line', { class: 'grid-line', x1: at, x2: at, y1: 0, y2: MAP_H }));
      // A label the right edge would cut is left out.
      if (at + 3 + this.labelWidth(t.label) <= MAP_W)
        labels.push(svg('text', { class: 'axis-label axis-x', x: at + 3, y: MAP_H - 4 }, t.label));
    }
    // y labels are one text line high; the bottom band belongs to the x labels.
    for (const t of degreeTicks(lat0, lat1, sy(lat0) - sy(lat1), () => 26)) {
      const at = sy(t.value);
      lines.push(svg('line', { class: 'grid-line', x1: 0, x2: MAP_W, y1: at, y2: at }));
      if (at - 3 > 10 && at - 3 < MAP_H - 16)
        labels.push(svg('text', { class: 'axis-label axis-y', x: 4, y: at - 3 }, t.label));
    }
    this.gridLines.replaceChildren(...lines);
    this.gridLabels.replaceChildren(...labels);
  }

  setView(view) {
    this.view = view;
    this.applyView();
  }

  /** Wheel zooms about the pointer; the buttons about the centre; Reset shows the whole area again. */
  setupZoom() {
    this.map.addEventListener(
      'wheel',
      (e) => {
        if (!this.proj) return;
        e.preventDefault();
        const p = this.point(e);
        this.setView(zoomAt(this.view, Math.exp(-e.deltaY * 0.002), p.x, p.y));
      },
      { passive: false },
    );
    const button = (id, action) => document.getElementById(id).addEventListener('click', action);
    button('map-zoom-in', () => this.proj && this.setView(zoomAt(this.view, 2, MAP_W / 2, MAP_H / 2)));
    button('map-zoom-out', () => this.proj && this.setView(zoomAt(this.view, 0.5, MAP_W / 2, MAP_H / 2)));
    button('map-reset', () => this.proj && this.setView(HOME));
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

  /** The selection box, in base-map units (the zoom transform moves it with the map). */
  placeSelection(x0, y0, x1, y1) {
    this.selection.setAttribute('x', Math.min(x0, x1));
    this.selection.setAttribute('y', Math.min(y0, y1));
    this.selection.setAttribute('width', Math.abs(x1 - x0));
    this.selection.setAttribute('height', Math.abs(y1 - y0));
    this.selection.setAttribute('visibility', 'visible');
  }

  /** A pointer event's place on the map in SVG units (before the zoom), kept on the map. */
  point(e) {
    const m = this.map.getScreenCTM();
    if (!m) return { x: 0, y: 0 };
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: Math.max(0, Math.min(MAP_W, p.x)), y: Math.max(0, Math.min(MAP_H, p.y)) };
  }

  /**
   * Drag on the map to select a box (pointer events: mouse, pen and touch); in pan mode, or with
   * Shift held, a drag moves the map instead.
   */
  setupDrag() {
    let start = null;
    const base = (p) => unzoom(this.view, p.x, p.y);
    this.map.addEventListener('pointerdown', (e) => {
      if (!this.proj || e.button !== 0) return;
      // A drag would otherwise select the axis labels' text.
      e.preventDefault();
      const pan = e.shiftKey || document.querySelector('input[name="map-drag"]:checked')?.value === 'pan';
      start = { screen: this.point(e), view: this.view, pan };
      this.map.classList.toggle('panning', pan);
      this.map.setPointerCapture(e.pointerId);
    });
    this.map.addEventListener('pointermove', (e) => {
      if (!start) return;
      const p = this.point(e);
      if (start.pan) {
        this.setView({ ...start.view, x: start.view.x + p.x - start.screen.x, y: start.view.y + p.y - start.screen.y });
        return;
      }
      const [a, b] = [base(start.screen), base(p)];
      this.placeSelection(a.x, a.y, b.x, b.y);
    });
    this.map.addEventListener('pointerup', (e) => {
      if (!start) return;
      const p = this.point(e);
      const s = start;
      start = null;
      this.map.classList.remove('panning');
      if (s.pan || Math.abs(p.x - s.screen.x) < 4 || Math.abs(p.y - s.screen.y) < 4) return;
      const [a, b] = [base(s.screen), base(p)];
      const lons = [this.proj.lon(a.x), this.proj.lon(b.x)].sort((u, v) => u - v);
      const lats = [this.proj.lat(a.y), this.proj.lat(b.y)].sort((u, v) => u - v);
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
    const right = W - 4;
    const bottom = 24;
    const top = CHART_TOP;
    this.chart.replaceChildren();
    if (!r.series.length) {
      this.chart.append(
        svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'No trips in this area'),
      );
      return;
    }
    const max = Math.max(1, ...r.series.map((s) => s.trips));
    const plotH = H - top - bottom;
    const slot = (right - left - 4) / r.series.length;
    const barW = Math.max(1, Math.min(48, slot * 0.8));
    const y = (v) => top + plotH - (v / max) * plotH;
    for (const t of [0, max / 2, max]) {
      this.chart.append(svg('line', { class: 'axis', x1: left, x2: right, y1: y(t), y2: y(t) }));
      this.chart.append(
        svg('text', { class: 'tick', x: left - 6, y: y(t) + 3, 'text-anchor': 'end' }, fmt(Math.round(t))),
      );
    }
    const bars = [];
    r.series.forEach((s, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      const height = Math.max(0, top + plotH - y(s.trips));
      const rect = svg('rect', { class: 'bar-rect', x, y: y(s.trips), width: barW, height, rx: 2 });
      rect.append(svg('title', {}, `week of ${s.weekStart}: ${fmt(s.trips)} trips`));
      this.chart.append(rect);
      if (height > 0) bars.push({ x0: x, y0: y(s.trips), x1: x + barW, y1: top + plotH });
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
    this.chart.append(svg('line', { class: 'avg', x1: left, x2: right, y1: ay, y2: ay }));
    const label = svg(
      'text',
      { class: 'avg-label', 'text-anchor': 'start' },
      `avg ${r.weeklyAverage.toLocaleString('en-US', { maximumFractionDigits: 2 })}/week`,
    );
    this.chart.append(label);
    // Measured as drawn; the box is the text's height (10 px) plus its descenders.
    const width = label.getComputedTextLength() || label.textContent.length * CHAR_PX;
    const box = placeAvgLabel({
      lineY: ay,
      width: width + 2,
      height: 13,
      bars,
      plot: { x0: left, y0: top, x1: right, y1: top + plotH },
    });
    label.setAttribute('x', box.x0 + 1);
    label.setAttribute('y', box.y1 - 3);
  }
}
