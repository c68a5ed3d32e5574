// Minimal SVG line charts (the paper's Fig. 6: loss and accuracy against epoch, train and test).
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], width = 560, height = 340): string {
  const m = { l: 56, r: 16, t: 32, b: 44 };
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = Math.min(0, ...xs), x1 = Math.max(1, ...xs);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (!all.length) { y0 = 0; y1 = 1; }
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (width - m.l - m.r);
  const py = (y: number) => height - m.b - ((y - y0) / (y1 - y0)) * (height - m.t - m.b);
  const ticks = (a: number, b: number) => Array.from({ length: 5 }, (_, i) => a + ((b - a) * i) / 4);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`];
  for (const t of ticks(y0, y1)) {
    out.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${t.toPrecision(3)}</text>`);
  }
  for (const t of ticks(x0, x1)) out.push(`<text x="${px(t).toFixed(1)}" y="${height - m.b + 16}" text-anchor="middle">${Math.round(t * 10) / 10}</text>`);
  out.push(`<text x="${width / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${height / 2}" text-anchor="middle" transform="rotate(-90 14 ${height / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    if (pts.length) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<text x="${width - m.r - 90}" y="${m.t + 14 * (i + 1)}" fill="${s.color}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
