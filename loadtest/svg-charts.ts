/**
 * Small SVG chart drawing, so the report is one self-contained file with no library and no network.
 * Every chart is a complete <svg> element: inline in the HTML report, or saved as a .svg file.
 */

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
  /** Draw as a step function (cumulative counts). */
  step?: boolean;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Horizontal reference lines (a target, a capacity). */
  guides?: { y: number; label: string; color?: string }[];
  logY?: boolean;
  width?: number;
  height?: number;
}

export interface BarChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: string[];
  /** Stacked in order. */
  series: { name: string; color: string; values: number[] }[];
  /** One colour per category (single-series charts), instead of the series colour. */
  barColors?: string[];
  width?: number;
  height?: number;
}

/** Spreading a long array into Math.max overflows the stack; these fold instead. */
const maxOf = (values: readonly number[], floor: number) => values.reduce((max, value) => (value > max ? value : max), floor);
const minOf = (values: readonly number[]) => values.reduce((min, value) => (value < min ? value : min), Number.POSITIVE_INFINITY);

const MARGIN = { top: 44, right: 16, bottom: 46, left: 64 };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

export const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const fmt = (value: number): string => {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${+(value / 1e3).toFixed(1)}k`;
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 1) return String(+value.toFixed(1));
  return String(+value.toFixed(3));
};

/** Round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min, min + 1];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step, i = 0; v <= max + step * 1e-9 && i < 100; v += step, i++) ticks.push(+v.toFixed(10));
  if ((ticks[ticks.length - 1] ?? min) < max) ticks.push((ticks[ticks.length - 1] ?? min) + step);
  return ticks;
}

function frame(width: number, height: number, title: string, body: string, legend: { name: string; color: string }[]): string {
  // One row under the title, left to right.
  let x = MARGIN.left;
  const legendItems = legend
    .map((item) => {
      const at = x;
      x += 24 + item.name.length * 7;
      return `<rect x="${at}" y="26" width="10" height="10" fill="${item.color}"/><text x="${at + 14}" y="35" font-size="11" ${FONT}>${escapeXml(item.name)}</text>`;
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="${width}" height="${height}" fill="#fff"/>` +
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="600" ${FONT}>${escapeXml(title)}</text>` +
    legendItems +
    body +
    '</svg>'
  );
}

function axes(width: number, height: number, xLabel: string, yLabel: string, xTicks: { at: number; label: string }[], yTicks: { at: number; label: string }[]): string {
  const plotBottom = height - MARGIN.bottom;
  const parts: string[] = [];
  for (const tick of yTicks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${tick.at}" y2="${tick.at}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${tick.at + 4}" font-size="11" text-anchor="end" ${FONT}>${escapeXml(tick.label)}</text>`);
  }
  for (const tick of xTicks) {
    parts.push(`<line x1="${tick.at}" x2="${tick.at}" y1="${plotBottom}" y2="${plotBottom + 4}" stroke="#888"/>`);
    parts.push(`<text x="${tick.at}" y="${plotBottom + 16}" font-size="11" text-anchor="middle" ${FONT}>${escapeXml(tick.label)}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${plotBottom}" y2="${plotBottom}" stroke="#888"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${plotBottom}" stroke="#888"/>`);
  parts.push(`<text x="${(MARGIN.left + width - MARGIN.right) / 2}" y="${height - 8}" font-size="12" text-anchor="middle" ${FONT}>${escapeXml(xLabel)}</text>`);
  parts.push(`<text x="14" y="${(MARGIN.top + plotBottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${(MARGIN.top + plotBottom) / 2})" ${FONT}>${escapeXml(yLabel)}</text>`);
  return parts.join('');
}

export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 300;
  const all = spec.series.flatMap((series) => series.points);
  const guides = spec.guides ?? [];
  const xMax = maxOf(all.map(([x]) => x), 1e-9);
  const yValues = [...all.map(([, y]) => y), ...guides.map((guide) => guide.y)];
  const positive = yValues.filter((y) => y > 0);
  const logY = spec.logY === true && positive.length > 0;
  const yMin = logY ? 10 ** Math.floor(Math.log10(minOf(positive))) : 0;
  const yTop = logY ? 10 ** Math.ceil(Math.log10(maxOf(positive, 1))) : maxOf(yValues, 1);
  const xTicksValues = niceTicks(0, xMax, 8);
  const yTickValues = logY ? Array.from({ length: Math.round(Math.log10(yTop / yMin)) + 1 }, (_, i) => yMin * 10 ** i) : niceTicks(0, yTop, 5);
  const yMaxShown = logY ? yTop : (yTickValues[yTickValues.length - 1] ?? yTop);
  const xMaxShown = xTicksValues[xTicksValues.length - 1] ?? xMax;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + (x / xMaxShown) * plotW;
  const py = (y: number) => {
    const share = logY ? (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMaxShown) - Math.log10(yMin)) : y / yMaxShown;
    return MARGIN.top + plotH - share * plotH;
  };
  const body: string[] = [
    axes(
      width,
      height,
      spec.xLabel,
      spec.yLabel,
      xTicksValues.map((x) => ({ at: px(x), label: fmt(x) })),
      yTickValues.map((y) => ({ at: py(y), label: fmt(y) })),
    ),
  ];
  for (const guide of guides) {
    const color = guide.color ?? '#c00';
    body.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${py(guide.y)}" y2="${py(guide.y)}" stroke="${color}" stroke-dasharray="6 4"/>`);
    body.push(`<text x="${width - MARGIN.right - 4}" y="${py(guide.y) - 4}" font-size="11" text-anchor="end" fill="${color}" ${FONT}>${escapeXml(guide.label)}</text>`);
  }
  for (const series of spec.series) {
    if (series.points.length === 0) continue;
    const coords: string[] = [];
    let previous: readonly [number, number] | undefined;
    for (const point of series.points) {
      if (series.step && previous) coords.push(`${px(point[0]).toFixed(1)},${py(previous[1]).toFixed(1)}`);
      coords.push(`${px(point[0]).toFixed(1)},${py(point[1]).toFixed(1)}`);
      previous = point;
    }
    body.push(`<polyline fill="none" stroke="${series.color}" stroke-width="1.8" points="${coords.join(' ')}"/>`);
  }
  return frame(width, height, spec.title, body.join(''), spec.series.map((series) => ({ name: series.name, color: series.color })));
}

export function barChart(spec: BarChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 300;
  const totals = spec.categories.map((_, i) => spec.series.reduce((sum, series) => sum + (series.values[i] ?? 0), 0));
  const yTicks = niceTicks(0, maxOf(totals, 1), 5);
  const yMax = yTicks[yTicks.length - 1] ?? 1;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const slot = plotW / Math.max(1, spec.categories.length);
  const py = (y: number) => MARGIN.top + plotH - (y / yMax) * plotH;
  const labelEvery = Math.max(1, Math.ceil(spec.categories.length / 16));
  const body: string[] = [
    axes(
      width,
      height,
      spec.xLabel,
      spec.yLabel,
      spec.categories.map((label, i) => ({ at: MARGIN.left + slot * (i + 0.5), label: i % labelEvery === 0 ? label : '' })),
      yTicks.map((y) => ({ at: py(y), label: fmt(y) })),
    ),
  ];
  spec.categories.forEach((category, i) => {
    let base = 0;
    for (const series of spec.series) {
      const value = series.values[i] ?? 0;
      if (value <= 0) continue;
      const x = MARGIN.left + slot * i + slot * 0.1;
      const color = spec.barColors?.[i] ?? series.color;
      body.push(`<rect x="${x.toFixed(1)}" y="${py(base + value).toFixed(1)}" width="${(slot * 0.8).toFixed(1)}" height="${(py(base) - py(base + value)).toFixed(1)}" fill="${color}"><title>${escapeXml(`${category} ${series.name}: ${value}`)}</title></rect>`);
      base += value;
    }
    if (totals[i]) body.push(`<text x="${(MARGIN.left + slot * (i + 0.5)).toFixed(1)}" y="${(py(base) - 3).toFixed(1)}" font-size="10" text-anchor="middle" ${FONT}>${fmt(totals[i] ?? 0)}</text>`);
  });
  return frame(width, height, spec.title, body.join(''), spec.series.length > 1 && !spec.barColors ? spec.series : []);
}
