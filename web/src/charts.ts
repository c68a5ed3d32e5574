// SVG charts drawn in the page: line curves (runs), a scatter with its Pareto front (studies),
// and horizontal bars inside table cells (models).
import { h, s } from './dom.js';

export interface Series { name: string; color: string; points: [number, number][] }

const W = 520, H = 300, M = { l: 56, r: 16, t: 28, b: 40 };

function ticks(lo: number, hi: number, n = 5): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / n, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function frame(title: string, xl: string, yl: string, x: [number, number], y: [number, number]) {
  const sx = (v: number) => M.l + ((v - x[0]) / (x[1] - x[0] || 1)) * (W - M.l - M.r);
  const sy = (v: number) => H - M.b - ((v - y[0]) / (y[1] - y[0] || 1)) * (H - M.t - M.b);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart' });
  svg.append(s('text', { x: M.l, y: 16, class: 'title' }, title));
  for (const t of ticks(x[0], x[1])) svg.append(s('line', { x1: sx(t), x2: sx(t), y1: M.t, y2: H - M.b, class: 'grid' }), s('text', { x: sx(t), y: H - M.b + 14, 'text-anchor': 'middle' }, t));
  for (const t of ticks(y[0], y[1])) svg.append(s('line', { x1: M.l, x2: W - M.r, y1: sy(t), y2: sy(t), class: 'grid' }), s('text', { x: M.l - 6, y: sy(t) + 4, 'text-anchor': 'end' }, t));
  svg.append(s('text', { x: (M.l + W - M.r) / 2, y: H - 6, 'text-anchor': 'middle' }, xl));
  svg.append(s('text', { x: 14, y: (M.t + H - M.b) / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${(M.t + H - M.b) / 2})` }, yl));
  return { svg, sx, sy };
}

const extent = (vs: number[], pad = 0): [number, number] => {
  if (!vs.length) return [0, 1];
  const lo = Math.min(...vs), hi = Math.max(...vs), d = (hi - lo) * pad || Math.abs(hi) * 0.05 || 1;
  return [lo - (pad ? d : 0), hi + (pad ? d : 0)];
};

/**
 * Curves over epochs; data-points counts the drawn points (the tests watch it grow). The legend sits
 * in the top margin (never over a curve); moving the pointer over the plot shows every series'
 * value at the nearest epoch.
 */
export function lineChart(title: string, xl: string, yl: string, series: Series[]): SVGElement {
  const all = series.flatMap((se) => se.points);
  const x = extent(all.map((p) => p[0])), y = extent(all.map((p) => p[1]), 0.05);
  if (x[0] === x[1]) x[1] = x[0] + 1;
  const { svg, sx, sy } = frame(title, xl, yl, x, y);
  svg.setAttribute('data-points', String(all.length));
  let lx = W - M.r;
  for (const se of [...series].reverse()) {
    svg.append(s('text', { x: lx, y: 16, 'text-anchor': 'end', fill: se.color, class: 'legend' }, `— ${se.name}`));
    lx -= 7 * se.name.length + 26;
  }
  for (const se of series) {
    if (se.points.length) svg.append(s('polyline', { points: se.points.map(([a, b]) => `${sx(a)},${sy(b)}`).join(' '), fill: 'none', stroke: se.color, 'stroke-width': 2 }));
    for (const [a, b] of se.points) svg.append(s('circle', { cx: sx(a), cy: sy(b), r: 2.5, fill: se.color }, s('title', {}, `${se.name} epoch ${a}: ${b.toFixed(4)}`)));
  }
  // Hover readout: a guide line at the nearest epoch and each series' value there.
  const guide = s('line', { y1: M.t, y2: H - M.b, class: 'guide', visibility: 'hidden' });
  const readout = s('text', { x: M.l + 6, y: M.t + 12, class: 'readout', 'data-testid': 'readout' });
  const xs = [...new Set(all.map((p) => p[0]))].sort((a, b) => a - b);
  const area = s('rect', { x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b, fill: 'transparent',
    onmousemove: (e) => {
      if (!xs.length) return;
      const box = svg.getBoundingClientRect(), px = (((e as MouseEvent).clientX - box.left) / box.width) * W;
      const at = xs.reduce((best, v) => (Math.abs(sx(v) - px) < Math.abs(sx(best) - px) ? v : best), xs[0]);
      guide.setAttribute('x1', String(sx(at))); guide.setAttribute('x2', String(sx(at))); guide.setAttribute('visibility', 'visible');
      readout.textContent = `epoch ${at}: ` + series.map((se) => { const p = se.points.find((q) => q[0] === at); return p ? `${se.name} ${Number(p[1].toPrecision(4))}` : null; }).filter(Boolean).join(', ');
    },
    onmouseleave: () => { guide.setAttribute('visibility', 'hidden'); readout.textContent = ''; } });
  svg.append(guide, readout, area);
  return svg;
}

export interface Point { x: number; y: number; id: number; front: boolean; label: string }

/** Accuracy against a cost; the Pareto front joined by a line, each point hoverable and clickable. */
export function scatterChart(title: string, xl: string, yl: string, pts: Point[], onHover: (p: Point | null) => void, onClick: (p: Point) => void): SVGElement {
  const { svg, sx, sy } = frame(title, xl, yl, extent(pts.map((p) => p.x), 0.05), extent(pts.map((p) => p.y), 0.05));
  const front = pts.filter((p) => p.front).sort((a, b) => a.x - b.x);
  if (front.length > 1) svg.append(s('polyline', { points: front.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' '), fill: 'none', class: 'front' }));
  for (const p of pts) {
    svg.append(s('circle', {
      cx: sx(p.x), cy: sy(p.y), r: p.front ? 6 : 4.5, class: p.front ? 'point on-front' : 'point', 'data-id': p.id, tabindex: 0,
      onmouseenter: () => onHover(p), onmouseleave: () => onHover(null), onfocus: () => onHover(p), onclick: () => onClick(p),
    }, s('title', {}, p.label)));
    if (p.front) svg.append(s('text', { x: sx(p.x) + 8, y: sy(p.y) - 6, class: 'point-label' }, `#${p.id}`));
  }
  return svg;
}

/** A number with a bar proportional to its share of the largest, so heavy rows stand out. */
export function barCell(value: number, max: number, text: string, cls = ''): HTMLTableCellElement {
  const w = max > 0 ? Math.max(0, Math.min(100, (100 * value) / max)) : 0;
  return h('td', { class: `bar ${cls}` }, h('span', { class: 'fill', style: `width:${w.toFixed(1)}%` }), h('span', { class: 'num' }, text));
}
