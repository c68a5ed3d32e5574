// The static memory plan of cmv3's C: one arena, every activation at a fixed offset, computed
// here once. Unlike TFLite Micro's plan (deploy/planner.ts), a layer may write over the input it
// is the last reader of, TinyEngine-style:
// - element-wise layers (table, MUL, ADD) in place;
// - a 1x1 convolution streams pixel pairs (each pair read into scratch before its outputs are
//   written): its output starts (Cout - Cin) * pixels bytes before its input (or at it when
//   Cout <= Cin), so no output byte lands on an input not read yet;
// - a depthwise convolution writes each row `delay` rows late through a small ring, the smallest
//   delay for which no later row reads the bytes written (proved here, per layer).
// Fused pairs (program.ts) need a row or a ring of rows of scratch, alive during their layer only.
// Values joined that way form a group at fixed relative offsets; groups are placed largest
// first at the lowest offset where no member overlaps a live allocation.
import type { ConvPrepared } from '../deploy/int8/conv.js';
import { convDepth, extRowBytes, isBlocked, pairBytes } from './layout.js';
import type { Layer, Program } from './program.js';
import { valuesOf } from './program.js';

const ALIGN = 16;
const ADD_SCRATCH = 2048; // CMV3_ADD_SCRATCH
const alignUp = (v: number, a = ALIGN) => Math.ceil(v / a) * a;
const roundUp = (v: number, a: number) => Math.ceil(v / a) * a;

export interface LayerMemory {
  /** in place: the output's offset minus the input's (the input it overwrites is `over`) */
  over?: number;
  delta?: number;
  /** depthwise in place: rows written this many rows late */
  delay?: number;
  /** scratch bytes at `scratchOffset`: ring rows, a 1x1 convolution's staged pixel pair, a fused row */
  scratch: number;
  scratchOffset: number;
}

export interface ArenaPlan {
  bytes: number;
  offset: Map<number, number>;
  layers: LayerMemory[];
  /** most bytes in use during one layer (no placement of these layers and links goes below it) */
  liveMax: number;
  liveMaxLayer: number;
}

/** The smallest delay (0-2) that lets a depthwise write its rows over its own input, or null. */
export function inPlaceDelay(pp: ConvPrepared): number | null {
  const { inW, inC, outH, outW, outC, stride, padT, multiplier } = pp.g;
  if (multiplier !== 1) return null;
  const inRow = inW * inC, outRow = outW * outC;
  for (let delay = 0; delay <= 2; delay++) {
    let ok = true;
    for (let r = delay; r < outH - 1 && ok; r++) {
      // after row r: row r - delay is written; rows after r read input rows >= (r + 1) * stride - padT
      const firstRead = Math.max(0, (r + 1) * stride - padT);
      if ((r - delay + 1) * outRow > firstRead * inRow) ok = false;
    }
    if (ok) return delay;
  }
  return null;
}

interface Member { v: number; rel: number; bytes: number; first: number; last: number }

export function planProgram(p: Program): ArenaPlan {
  const n = p.layers.length, first = new Map<number, number>(), last = new Map<number, number>();
  p.layers.forEach((l, i) => {
    const vs = valuesOf(l), y = vs[vs.length - 1];
    for (const v of vs.slice(0, -1)) last.set(v, Math.max(last.get(v) ?? -1, i));
    if (!first.has(y)) first.set(y, i);
  });
  last.set(p.output, n); // copied out after the last layer
  const dies = (v: number, i: number) => v !== p.input && v !== p.output && last.get(v) === i;
  const parent = new Map<number, { v: number; delta: number }>();
  const mem: LayerMemory[] = p.layers.map((l, i) => layerMemory(l, i, p, dies, parent));
  // groups of values joined by in-place links, at offsets relative to the root
  const rel = (v: number): { root: number; rel: number } => {
    const up = parent.get(v);
    if (!up) return { root: v, rel: 0 };
    const r = rel(up.v);
    return { root: r.root, rel: r.rel + up.delta };
  };
  const groups = new Map<number, Member[]>();
  for (const [v, f] of first) {
    if (v === p.input) continue;
    const r = rel(v), list = groups.get(r.root) ?? [];
    list.push({ v, rel: r.rel, bytes: p.bytes.get(v)!, first: f, last: last.get(v) ?? f });
    groups.set(r.root, list);
  }
  mem.forEach((m, i) => { if (m.scratch) groups.set(-1 - i, [{ v: -1 - i, rel: 0, bytes: m.scratch, first: i, last: i }]); });
  const placed: { lo: number; hi: number; first: number; last: number }[] = [];
  const offset = new Map<number, number>();
  const extent = (ms: Member[]) => Math.max(...ms.map((m) => m.rel + m.bytes)) - Math.min(...ms.map((m) => m.rel));
  const order = [...groups.values()].sort((a, b) => extent(b) - extent(a) || a[0].first - b[0].first);
  for (const ms of order) {
    const lowest = Math.min(...ms.map((m) => m.rel));
    const fits = (base: number) => ms.every((m) => placed.every((q) =>
      q.last < m.first || m.last < q.first || base + m.rel + m.bytes <= q.lo || q.hi <= base + m.rel));
    const candidates = [alignUp(-lowest), ...placed.flatMap((q) => ms.map((m) => alignUp(q.hi - m.rel)))]
      .filter((b) => b + lowest >= 0 && b % ALIGN === 0).sort((a, b) => a - b);
    const base = candidates.find(fits)!;
    for (const m of ms) {
      placed.push({ lo: base + m.rel, hi: base + m.rel + m.bytes, first: m.first, last: m.last });
      if (m.v >= 0) offset.set(m.v, base + m.rel);
      else mem[-1 - m.v].scratchOffset = base + m.rel;
    }
  }
  // bytes in use during each layer: the union of the live allocations (in-place pairs overlap)
  let liveMax = 0, liveMaxLayer = 0;
  for (let i = 0; i < n; i++) {
    const spans = placed.filter((q) => q.first <= i && i <= q.last).sort((a, b) => a.lo - b.lo);
    let live = 0, end = -Infinity;
    for (const q of spans) { live += Math.max(0, q.hi - Math.max(q.lo, end)); end = Math.max(end, q.hi); }
    if (live > liveMax) { liveMax = live; liveMaxLayer = i; }
  }
  return { bytes: alignUp(Math.max(0, ...placed.map((q) => q.hi))), offset, layers: mem, liveMax, liveMaxLayer };
}

/** Which input (if any) layer i may overwrite, and the scratch it needs. */
function layerMemory(l: Layer, i: number, p: Program, dies: (v: number, i: number) => boolean,
  parent: Map<number, { v: number; delta: number }>): LayerMemory {
  const m: LayerMemory = { scratch: 0, scratchOffset: 0 };
  const link = (x: number, delta: number) => { parent.set(l.y, { v: x, delta }); m.over = x; m.delta = delta; };
  switch (l.kind) {
    case 'conv': {
      const c = l.conv, xb = p.bytes.get(l.x)!, yb = p.bytes.get(l.y)!;
      if (c.pointwise) {
        m.scratch = pairBytes(c.pp.g.inC);
        if (dies(l.x, i)) link(l.x, -Math.max(0, yb - xb));
      } else if (!c.depthwise) {
        const n = convDepth(c);
        m.scratch = 2 * roundUp(n, 4) + pairBytes(n); // two pixels' patches, then the widened pair
      } else if (dies(l.x, i)) {
        const delay = inPlaceDelay(c.pp);
        if (delay !== null) { m.delay = delay; m.scratch = (delay + 1) * c.pp.g.outW * c.pp.g.outC; link(l.x, 0); }
      }
      break;
    }
    // the parts in the order the kernels cut them (mcu/cmv3_kernels.h), each rounded up to 8
    case 'dwpw': {
      const dw = l.dw, row = roundUp(dw.pp.g.outW * dw.pp.g.outC, 8);
      m.scratch = row + (isBlocked(dw) ? dw.pp.g.kH * extRowBytes(dw) : 0) + pairBytes(l.pw.pp.g.inC);
      break;
    }
    case 'pwdw': {
      const dw = l.dw, pw = l.pw, pwRow = pw.pp.g.outW * pw.pp.g.outC;
      m.scratch = pairBytes(pw.pp.g.inC) + (isBlocked(dw) ? roundUp(pwRow, 8) + dw.pp.g.kH * extRowBytes(dw) : dw.pp.g.kH * pwRow);
      break;
    }
    case 'lut': case 'mul': if (dies(l.x, i)) link(l.x, 0); break;
    case 'add':
      m.scratch = ADD_SCRATCH; // two tables of 256 int32 (cmv3_eltwise.c)
      if (dies(l.a, i)) link(l.a, 0); else if (dies(l.b, i)) link(l.b, 0);
      break;
    default: break;
  }
  return m;
}
