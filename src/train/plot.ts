// Minimal SVG charts: line charts (the paper's Fig. 6: loss and accuracy against epoch, train and
// test) and scatter plots with a Pareto front (explore show).
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** shown on hover */
  title: string;
  id: string;
  front: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const M = { l: 56, r: 16, t: 32, b: 44 };

/** Tick values at 1, 2 or 5 x 10^k steps inside [a, b] (about 4-8 of them), as a person would label an axis. */
export function niceTicks(a: number, b: number): number[] {
  const raw = (b - a) / 5, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => (b - a) / st <= 7) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(a / step - 1e-9) * step; t <= b + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

/** Axes, grid, labels; returns the opening elements and the data-to-pixel maps. */
function frame(title: string, xLabel: string, yLabel: string, xs: number[], ys: number[], width: number, height: number, xFromZero: boolean) {
  let x0 = xFromZero ? Math.min(0, ...xs) : Math.min(...xs), x1 = Math.max(xFromZero ? 1 : -Infinity, ...xs);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (!ys.length) { y0 = 0; y1 = 1; }
  if (!xs.length) { x0 = 0; x1 = 1; }
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  if (x1 - x0 < 1e-9) { x0 -= 0.5; x1 += 0.5; }
  if (!xFromZero) { const pad = (x1 - x0) * 0.05; x0 -= pad; x1 += pad; const padY = (y1 - y0) * 0.05; y0 -= padY; y1 += padY; }
  const px = (x: number) => M.l + ((x - x0) / (x1 - x0)) * (width - M.l - M.r);
  const py = (y: number) => height - M.b - ((y - y0) / (y1 - y0)) * (height - M.t - M.b);
  const ticks = niceTicks;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${M.l}" y="18" font-size="13">${esc(title)}</text>`];
  for (const t of ticks(y0, y1)) {
    out.push(`<line x1="${M.l}" x2="${width - M.r}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${M.l - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${Number(t.toPrecision(6))}</text>`);
  }
  for (const t of ticks(x0, x1)) out.push(`<text x="${px(t).toFixed(1)}" y="${height - M.b + 16}" text-anchor="middle">${Number(t.toPrecision(6))}</text>`);
  out.push(`<text x="${width / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${height / 2}" text-anchor="middle" transform="rotate(-90 14 ${height / 2})">${esc(yLabel)}</text>`);
  return { out, px, py };
}

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], width = 560, height = 340): string {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const { out, px, py } = frame(title, xLabel, yLabel, all.map((p) => p[0]), all.map((p) => p[1]), width, height, true);
  // The legend sits in the top margin, right-aligned on the title's line, so it never covers a curve.
  let legendX = width - M.r;
  for (const s of [...series].reverse()) {
    out.push(`<text x="${legendX}" y="18" text-anchor="end" fill="${s.color}">${esc(s.name)}</text>`);
    legendX -= 7 * s.name.length + 14;
  }
  for (const s of series) {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    // Markers while there are few points: a one-epoch run's curve is one point, which a line cannot show.
    if (pts.length <= 30) for (const [x, y] of pts) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(s.name)}: ${Number(y.toPrecision(4))} at ${x}</title></circle>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Every point as a dot (grey; the front red and joined by a staircase, higher y is better, lower x is better). */
export function scatterChart(title: string, xLabel: string, yLabel: string, points: ScatterPoint[], width = 560, height = 340): string {
  const { out, px, py } = frame(title, xLabel, yLabel, points.map((p) => p.x), points.map((p) => p.y), width, height, false);
  const front = points.filter((p) => p.front).sort((a, b) => a.x - b.x);
  if (front.length > 1) {
    const steps = front.flatMap((p, i) => (i === 0 ? [[p.x, p.y]] : [[p.x, front[i - 1].y], [p.x, p.y]]));
    out.push(`<polyline class="front" fill="none" stroke="#d62728" stroke-width="1.5" points="${steps.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
  }
  for (const p of [...points.filter((q) => !q.front), ...front]) {
    out.push(`<circle class="point${p.front ? ' front' : ''}" data-id="${esc(p.id)}" cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="${p.front ? 4.5 : 3.5}" fill="${p.front ? '#d62728' : '#9a9a9a'}" fill-opacity="0.85"><title>${esc(p.title)}</title></circle>`);
  }
  for (const p of front) out.push(`<text class="label" x="${(px(p.x) + 6).toFixed(1)}" y="${(py(p.y) - 6).toFixed(1)}" fill="#d62728">#${esc(p.id)}</text>`);
  out.push(`<text x="${width - M.r - 120}" y="${M.t + 14}" fill="#d62728">Pareto front (${front.length})</text>`,
    `<text x="${width - M.r - 120}" y="${M.t + 28}" fill="#9a9a9a">other trials (${points.length - front.length})</text>`, '</svg>');
  return out.join('\n');
}
