// Pure geometry of the area panel (no DOM): axis ticks that never collide, the chart's average label
// placed clear of the bars, and the map's zoom. Unit-tested in apps/notifier/test/geo.spec.ts.

/** Pixels one character of a 10 px axis label takes at most (digits, '.', '-', '°' are narrower). */
export const CHAR_PX = 6.2;

/** The nice steps (1, 2, 5 × 10ⁿ) from just below `raw` upwards. */
function* niceSteps(raw) {
  let p = 10 ** Math.floor(Math.log10(raw > 0 ? raw : 1));
  for (;;) {
    for (const m of [1, 2, 5]) if (m * p >= raw * 0.999) yield m * p;
    p *= 10;
  }
}

/** A degree value printed with the decimals its step needs (`8.55°`, `8.6°`, `-0.5°`). */
export function degreeLabel(value, step) {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return `${Number(value.toFixed(decimals)) + 0}°`;
}

/**
 * Ticks for the degrees `min`..`max` shown on `pixels` pixels: the finest nice step whose labels,
 * `need(label)` pixels each, fit between neighbouring ticks. `{ value, label }` in increasing order.
 */
export function degreeTicks(min, max, pixels, need) {
  const span = max - min;
  if (!(span > 0) || !(pixels > 0)) return [];
  const perDegree = pixels / span;
  let finer = [];
  for (const step of niceSteps(span / 50)) {
    const ticks = [];
    for (let i = Math.ceil(min / step); i * step <= max + step * 1e-9; i++) {
      const value = i * step;
      ticks.push({ value, label: degreeLabel(value, step) });
    }
    // A step so coarse that no multiple of it falls in the range: one tick of the finer step.
    if (ticks.length === 0) return finer.length ? [finer[Math.floor(finer.length / 2)]] : [];
    const widest = Math.max(...ticks.map((t) => need(t.label)));
    if (step * perDegree >= widest || ticks.length === 1) return ticks;
    finer = ticks;
  }
  return [];
}

/** Whether two boxes `{ x0, y0, x1, y1 }` overlap (touching edges do not). */
export const overlaps = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/**
 * Where the "avg … /week" label goes: a `width` × `height` box, beside the average line at `lineY`
 * (just above it, else just below it), as far right as it fits without touching a bar (`{ x0, y0,
 * x1, y1 }`) or leaving the plot; else in the free band above the plot (`plot.y0` must leave
 * `height` pixels there). Returns the box.
 */
export function placeAvgLabel({ lineY, width, height, bars, plot, gap = 3 }) {
  const fits = (box) =>
    box.x0 >= plot.x0 && box.x1 <= plot.x1 && box.y0 >= 0 && box.y1 <= plot.y1 && !bars.some((b) => overlaps(box, b));
  for (let x1 = plot.x1; x1 - width >= plot.x0; x1 -= 8) {
    for (const y0 of [lineY - gap - height, lineY + gap]) {
      const box = { x0: x1 - width, y0, x1, y1: y0 + height };
      if (fits(box)) return box;
    }
  }
  return { x0: plot.x1 - width, y0: Math.max(0, plot.y0 - height - 1), x1: plot.x1, y1: Math.max(height, plot.y0 - 1) };
}

/** Zoom limits of the map: from a view of 8× the data's surroundings to 256× into it. */
export const ZOOM_MIN = 1 / 8;
export const ZOOM_MAX = 256;

/**
 * The view `{ k, x, y }` (screen = base × k + (x, y)) scaled by `factor` about the screen point
 * `(px, py)`, which stays where it is; k is kept within [ZOOM_MIN, ZOOM_MAX].
 */
export function zoomAt(view, factor, px, py) {
  const k = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, view.k * factor));
  const r = k / view.k;
  return { k, x: px - (px - view.x) * r, y: py - (py - view.y) * r };
}

/** The base-map point shown at screen point `(px, py)`. */
export const unzoom = (view, px, py) => ({ x: (px - view.x) / view.k, y: (py - view.y) / view.k });
