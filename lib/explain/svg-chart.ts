// A line chart as inline SVG (axes, ticks, legend), enough for training curves without any charting library.

import { escapeHtml, formatNumber } from './html';

export interface Series {
  name: string;
  /** [x, y]; non-finite y values are skipped */
  points: [number, number][];
  color: string;
  markers?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
}

// An axis that fits its data: round ticks (1, 2, 5 × 10^k) from one at or below `lo` to one at or above `hi`, so
// the lowest and highest values lie between labelled ticks instead of past the last label.
export function axisTicks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  const first = Math.floor(lo / step + 1e-9) * step;
  for (let k = 0; out.length === 0 || out[out.length - 1] < hi - step * 1e-9; k++) out.push(Number((first + k * step).toPrecision(12)));
  return out;
}

export function lineChart(series: readonly Series[], o: LineChartOptions): string {
  const width = o.width ?? 520;
  const height = o.height ?? 280;
  const m = { left: 56, right: 16, top: 30, bottom: 44 };
  const pts = series.flatMap((s) => s.points.filter(([, y]) => Number.isFinite(y)));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`;
  const titleEl = `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${escapeHtml(o.title)}</text>`;
  if (pts.length === 0) {
    return `${head}${titleEl}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#57606a">no data</text></svg>`;
  }
  let x0 = Math.min(...pts.map((p) => p[0]));
  let x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = o.yMin ?? Math.min(...pts.map((p) => p[1]));
  let y1 = o.yMax ?? Math.max(...pts.map((p) => p[1]));
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - Math.abs(y0 || 1) * 0.1, y1 + Math.abs(y1 || 1) * 0.1];
  const yTicks = axisTicks(y0, y1);
  [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0)) * (height - m.top - m.bottom);

  let svg = head + titleEl;
  svg += `<rect x="${m.left}" y="${m.top}" width="${width - m.left - m.right}" height="${height - m.top - m.bottom}" fill="none" stroke="#d0d7de"/>`;
  for (const t of yTicks) {
    svg += `<line x1="${m.left}" x2="${width - m.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eaeef2"/>`;
    svg += `<text x="${m.left - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11" fill="#57606a">${formatNumber(t, 3)}</text>`;
  }
  for (const t of axisTicks(x0, x1).filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9)) {
    svg += `<text x="${sx(t)}" y="${height - m.bottom + 16}" text-anchor="middle" font-size="11" fill="#57606a">${formatNumber(t, 2)}</text>`;
  }
  svg += `<text x="${(m.left + width - m.right) / 2}" y="${height - 8}" text-anchor="middle" font-size="12" fill="#57606a">${escapeHtml(o.xLabel)}</text>`;
  series.forEach((s, i) => {
    const p = s.points.filter(([, y]) => Number.isFinite(y));
    if (p.length > 1) {
      const d = p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      svg += `<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`;
    }
    if (s.markers || p.length === 1) for (const [x, y] of p) svg += `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.2" fill="${s.color}"/>`;
    const ly = m.top + 14 + i * 16;
    svg += `<rect x="${width - m.right - 130}" y="${ly - 9}" width="10" height="10" fill="${s.color}"/>`;
    svg += `<text x="${width - m.right - 115}" y="${ly}" font-size="11">${escapeHtml(s.name)}</text>`;
  });
  return svg + '</svg>';
}
