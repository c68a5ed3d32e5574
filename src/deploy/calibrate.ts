// Calibration: runs the float graph over sample images and chooses each activation tensor's int8
// range with one of three observers.
//   minmax      the observed extremes (TFLite converter's default): nothing clipped, coarse steps
//   percentile  the 0.01% and 99.99% quantiles: a few outliers clipped, finer steps for the rest
//   mse         the clipping range that minimises the expected squared quantization error
// percentile and mse read a 2,048-bin histogram per tensor, built in a second pass over the
// images once the first pass has found the extremes. Both passes depend on the graph and the
// images only, not on the observer, so the last two (graph, images) pairs keep them: quantizing
// one model with all three observers (bench:paper, bench:quant) runs two passes, not five.
import { runFloat } from './engine-float.js';
import type { Graph } from './ir.js';
import { includeZero, type Range } from './quant-rules.js';

/** How int8 activation ranges are chosen from calibration runs: min/max, a percentile, or the least quantization error. */
export type Observer = 'minmax' | 'percentile' | 'mse';
export const OBSERVERS: readonly Observer[] = ['minmax', 'percentile', 'mse'];

export type { Range } from './quant-rules.js';

const BINS = 2048;

interface Histogram {
  min: number;
  max: number;
  counts: Float64Array;
}

function extremes(g: Graph, images: Float32Array[], tick: () => void): Map<number, Range> {
  const r = new Map<number, Range>();
  const see = (t: number, d: Float32Array) => {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < d.length; i++) { const v = d[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
    const cur = r.get(t);
    r.set(t, cur ? { min: Math.min(cur.min, lo), max: Math.max(cur.max, hi) } : { min: lo, max: hi });
  };
  for (const x of images) { see(g.inputs[0], x); runFloat(g, x, see); tick(); }
  return r;
}

function histograms(g: Graph, images: Float32Array[], ext: Map<number, Range>, tick: () => void): Map<number, Histogram> {
  const h = new Map<number, Histogram>();
  for (const [t, e] of ext) h.set(t, { min: e.min, max: e.max, counts: new Float64Array(BINS) });
  const see = (t: number, d: Float32Array) => {
    const hist = h.get(t)!, span = hist.max - hist.min || 1;
    for (let i = 0; i < d.length; i++) hist.counts[Math.min(BINS - 1, Math.floor(((d[i] - hist.min) / span) * BINS))]++;
  };
  for (const x of images) { see(g.inputs[0], x); runFloat(g, x, see); tick(); }
  return h;
}

const binValue = (h: Histogram, i: number) => h.min + ((i + 0.5) / BINS) * (h.max - h.min);

function percentileRange(h: Histogram, p = 1e-4): Range {
  const total = h.counts.reduce((a, b) => a + b, 0);
  let acc = 0, lo = 0, hi = BINS - 1;
  for (let i = 0; i < BINS; i++) { acc += h.counts[i]; if (acc > p * total) { lo = i; break; } }
  acc = 0;
  for (let i = BINS - 1; i >= 0; i--) { acc += h.counts[i]; if (acc > p * total) { hi = i; break; } }
  return { min: h.min + (lo / BINS) * (h.max - h.min), max: h.min + ((hi + 1) / BINS) * (h.max - h.min) };
}

/** Expected squared error of quantizing the histogram's values to 256 levels over [lo, hi]. */
function quantError(h: Histogram, lo: number, hi: number): number {
  const r = includeZero({ min: lo, max: hi }), step = (r.max - r.min) / 255;
  let err = 0;
  for (let i = 0; i < BINS; i++) {
    const c = h.counts[i];
    if (!c) continue;
    const v = binValue(h, i), clipped = Math.min(Math.max(v, r.min), r.max);
    const q = r.min + Math.round((clipped - r.min) / step) * step;
    err += c * (v - q) * (v - q);
  }
  return err;
}

function mseRange(h: Histogram): Range {
  let best = { min: h.min, max: h.max }, bestErr = quantError(h, h.min, h.max);
  // Shrink each end independently on a coarse grid: 32 x 32 candidates.
  for (let a = 0; a < 32; a++) for (let b = 0; b < 32; b++) {
    const lo = h.min * (1 - a / 40), hi = h.max * (1 - b / 40);
    const e = quantError(h, lo, hi);
    if (e < bestErr) { bestErr = e; best = { min: lo, max: hi }; }
  }
  return best;
}

interface Passes { ext: Map<number, Range>; hist?: Map<number, Histogram> }
const kept = new Map<string, Passes>();
const KEEP = 2;

/** A 32-bit multiply-xorshift hash over the words (then the odd bytes) of a typed array, from h. */
function mix(h: number, a: ArrayBufferView): number {
  const n = a.byteOffset % 4 === 0 ? a.byteLength >> 2 : 0;
  const words = new Int32Array(a.buffer, a.byteOffset, n), bytes = new Uint8Array(a.buffer, a.byteOffset + 4 * n, a.byteLength - 4 * n);
  for (let i = 0; i < n; i++) { h = Math.imul(h ^ words[i], 0x9e3779b1); h ^= h >>> 15; }
  for (let i = 0; i < bytes.length; i++) { h = Math.imul(h ^ bytes[i], 0x85ebca6b); h ^= h >>> 13; }
  return h;
}

/** What the passes depend on: the graph (structure and constants) and the images' values. */
function fingerprint(g: Graph, images: Float32Array[]): string {
  const structure = JSON.stringify({ ops: g.ops, inputs: g.inputs, shapes: g.tensors.map((t) => [t.shape, t.dtype, t.data?.length ?? -1]) });
  const parts: ArrayBufferView[] = [new TextEncoder().encode(structure), ...g.tensors.flatMap((t) => (t.data ? [t.data] : [])), ...images];
  const hashes = [0x12345678, 0x9abcdef0].map((seed) => parts.reduce((h, a) => mix(h, a), seed) >>> 0);
  return `${images.length}:${hashes.map((h) => h.toString(16)).join(':')}`;
}

/** Each activation tensor's calibrated range (input included), keyed by tensor index. */
export function calibrate(g: Graph, images: Float32Array[], observer: Observer, onImage?: (done: number, total: number) => void): Map<number, Range> {
  if (!images.length) throw new RangeError('Expected at least one calibration image but received none');
  const key = fingerprint(g, images), passes = kept.get(key);
  // minmax runs the images once, the histogram observers twice: progress counts every run still to do.
  const total = images.length * ((passes ? 0 : 1) + (observer === 'minmax' || passes?.hist ? 0 : 1));
  let done = 0;
  const tick = () => onImage?.(++done, total);
  const p: Passes = passes ?? { ext: extremes(g, images, tick) };
  if (observer !== 'minmax') p.hist ??= histograms(g, images, p.ext, tick);
  kept.delete(key);
  kept.set(key, p);
  if (kept.size > KEEP) kept.delete(kept.keys().next().value!);
  if (observer === 'minmax') return new Map([...p.ext].map(([t, r]) => [t, { ...r }]));
  const out = new Map<number, Range>();
  for (const [t, h] of p.hist!) out.set(t, observer === 'percentile' ? percentileRange(h) : mseRange(h));
  return out;
}
