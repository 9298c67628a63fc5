/**
 * A hand-written SVG line chart: axes with round ticks, one polyline per series (gaps where a value is
 * null), horizontal reference lines (budget, OOM limit), point markers (OOM kills), vertical markers
 * (all clients synced), a legend and a title. Plain SVG 1.1 with inline styles, so it renders on GitHub.
 */

export interface ChartSeries {
  name: string;
  color: string;
  /** [x, y]; y null for a gap. */
  points: ReadonlyArray<readonly [number, number | null]>;
  /** x positions to mark on this series with a cross (e.g. OOM kills), labelled in the legend. */
  markers?: { xs: readonly number[]; label: string };
}

export interface ChartLine {
  value: number;
  label: string;
  color: string;
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  hlines?: readonly ChartLine[];
  vlines?: readonly ChartLine[];
  width?: number;
  height?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (n: number): string => (Math.abs(n) >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(n < 1 ? 2 : 1));

/** 1, 2 or 5 × 10^k, so that about `count` ticks span `max`. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / mag;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * mag;
}

export function renderLineChart(chart: LineChart): string {
  const W = chart.width ?? 900;
  const H = chart.height ?? 480;
  const m = { left: 70, right: 20, top: 48, bottom: 96 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...chart.series.flatMap((s) => s.points.map((p) => p[1] ?? 0)), ...(chart.hlines ?? []).map((l) => l.value)];
  const xStep = niceStep(Math.max(1e-9, ...xs));
  const yStep = niceStep(Math.max(1e-9, ...ys) * 1.05);
  const xMax = Math.ceil(Math.max(1e-9, ...xs) / xStep) * xStep;
  const yMax = Math.ceil((Math.max(1e-9, ...ys) * 1.05) / yStep) * yStep;
  const X = (x: number): number => m.left + (x / xMax) * pw;
  const Y = (y: number): number => m.top + ph - (y / yMax) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>`);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    out.push(`<line x1="${m.left}" y1="${Y(y).toFixed(1)}" x2="${m.left + pw}" y2="${Y(y).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 8}" y="${(Y(y) + 4).toFixed(1)}" text-anchor="end">${fmt(y)}</text>`);
  }
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(`<line x1="${X(x).toFixed(1)}" y1="${m.top + ph}" x2="${X(x).toFixed(1)}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${X(x).toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(x)}</text>`);
  }
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 36}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`);
  for (const l of chart.hlines ?? []) {
    out.push(`<line x1="${m.left}" y1="${Y(l.value).toFixed(1)}" x2="${m.left + pw}" y2="${Y(l.value).toFixed(1)}" stroke="${l.color}" stroke-width="1.5"${l.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${m.left + pw - 4}" y="${(Y(l.value) - 5).toFixed(1)}" text-anchor="end" fill="${l.color}">${esc(l.label)}</text>`);
  }
  let vlineRow = 0;
  for (const l of chart.vlines ?? []) {
    out.push(`<line x1="${X(l.value).toFixed(1)}" y1="${m.top}" x2="${X(l.value).toFixed(1)}" y2="${m.top + ph}" stroke="${l.color}" stroke-width="1"${l.dashed ? ' stroke-dasharray="3 3"' : ''}/>`);
    // Labels near the right edge go to the left of their line.
    const right = X(l.value) > m.left + pw * 0.7;
    out.push(`<text x="${(X(l.value) + (right ? -4 : 4)).toFixed(1)}" y="${m.top + 12 + 14 * vlineRow++}"${right ? ' text-anchor="end"' : ''} fill="${l.color}">${esc(l.label)}</text>`);
  }
  for (const s of chart.series) {
    let path = '';
    let pen = false;
    for (const [x, y] of s.points) {
      if (y === null) {
        pen = false;
        continue;
      }
      path += `${pen ? 'L' : 'M'}${X(x).toFixed(1)} ${Y(y).toFixed(1)} `;
      pen = true;
    }
    out.push(`<path d="${path.trim()}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"/>`);
    for (const x of s.markers?.xs ?? []) {
      const cx = X(x);
      const cy = m.top + ph - 8;
      out.push(`<path d="M${(cx - 5).toFixed(1)} ${(cy - 5).toFixed(1)} L${(cx + 5).toFixed(1)} ${(cy + 5).toFixed(1)} M${(cx - 5).toFixed(1)} ${(cy + 5).toFixed(1)} L${(cx + 5).toFixed(1)} ${(cy - 5).toFixed(1)}" stroke="${s.color}" stroke-width="2.5"/>`);
    }
  }
  // Legend, below the x-axis label.
  let lx = m.left;
  let ly = H - 44;
  const entries: Array<{ label: string; color: string; kind: 'line' | 'dash' | 'cross' }> = [
    ...chart.series.map((s) => ({ label: s.name, color: s.color, kind: 'line' as const })),
    ...chart.series.filter((s) => s.markers && s.markers.xs.length > 0).map((s) => ({ label: s.markers!.label, color: s.color, kind: 'cross' as const })),
    ...(chart.hlines ?? []).map((l) => ({ label: l.label, color: l.color, kind: l.dashed ? ('dash' as const) : ('line' as const) })),
  ];
  for (const e of entries) {
    const width = 40 + e.label.length * 6.5;
    if (lx + width > W - m.right && lx > m.left) {
      lx = m.left;
      ly += 20;
    }
    if (e.kind === 'cross') out.push(`<path d="M${lx + 6} ${ly - 5} L${lx + 16} ${ly + 5} M${lx + 6} ${ly + 5} L${lx + 16} ${ly - 5}" stroke="${e.color}" stroke-width="2.5"/>`);
    else out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${e.color}" stroke-width="2"${e.kind === 'dash' ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${lx + 28}" y="${ly + 4}">${esc(e.label)}</text>`);
    lx += width;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
