// Types of geo.js for its unit spec (the page itself loads geo.js as a plain ES module).
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
export interface View {
  k: number;
  x: number;
  y: number;
}
export const CHAR_PX: number;
export function degreeLabel(value: number, step: number): string;
export function degreeTicks(
  min: number,
  max: number,
  pixels: number,
  need: (label: string) => number,
): { value: number; label: string }[];
export function overlaps(a: Box, b: Box): boolean;
export function placeAvgLabel(options: {
  lineY: number;
  width: number;
  height: number;
  bars: Box[];
  plot: Box;
  gap?: number;
}): Box;
export const ZOOM_MIN: number;
export const ZOOM_MAX: number;
export function zoomAt(view: View, factor: number, px: number, py: number): View;
export function unzoom(view: View, px: number, py: number): { x: number; y: number };
