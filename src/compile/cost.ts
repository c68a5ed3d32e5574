// The cost model of cmv3's own C: instructions per image on a Cortex-M7 as a sum over the layer
// program (program.ts) of work counts times per-count rates. The rates are fitted by least
// squares to the per-layer instruction counts `npm run bench:emulate` measures on QEMU's
// mps2-an500, so an estimate from them is a measured average, not a guess; it is still an
// estimate for any other network, and instructions are not cycles (the report assumes one
// instruction per cycle and says so).
import type { ConvLayerParams, Layer, Program } from './program.js';

/** What a layer does, in the units the rates price. */
export interface Work {
  pointwiseMacs: number;
  convMacs: number; // other CONV_2D (im2col)
  depthwiseMacs: number;
  convOutputs: number; // requantized outputs of every convolution
  elementwise: number; // MUL and ADD outputs
  poolInputs: number;
}

export const WORK_KEYS: (keyof Work)[] = ['pointwiseMacs', 'convMacs', 'depthwiseMacs', 'convOutputs', 'elementwise', 'poolInputs'];

export type Rates = Record<keyof Work, number>;

/**
 * Fitted 2026-12-05 by `npm run bench:emulate` to both shipped models' 64 layers (instructions per
 * image; BENCHMARKS.md shows the fit against the counts per layer kind), on the kernels with the
 * fast requantization and the blocked depthwise. Refit when the kernels change.
 */
export const CMV3_RATES: Rates = {
  pointwiseMacs: 1.378, convMacs: 2.629, depthwiseMacs: 1.523, convOutputs: 23.25, elementwise: 21.4, poolInputs: 2.073,
};

function convWork(c: ConvLayerParams, w: Work): void {
  const g = c.pp.g, outputs = g.outH * g.outW * g.outC, macs = outputs * g.kH * g.kW * (c.depthwise ? 1 : g.inC);
  if (c.depthwise) w.depthwiseMacs += macs;
  else if (c.pointwise) w.pointwiseMacs += macs;
  else w.convMacs += macs;
  w.convOutputs += outputs;
}

export function layerWork(l: Layer, p: Program): Work {
  const w: Work = { pointwiseMacs: 0, convMacs: 0, depthwiseMacs: 0, convOutputs: 0, elementwise: 0, poolInputs: 0 };
  switch (l.kind) {
    case 'conv': convWork(l.conv, w); break;
    case 'dwpw': case 'pwdw': convWork(l.dw, w); convWork(l.pw, w); break;
    case 'mul': case 'add': case 'lut': w.elementwise += p.bytes.get(l.y)!; break;
    case 'avgpool': w.poolInputs += p.bytes.get(l.x)!; break;
    case 'softmax': w.elementwise += l.rows * l.depth; break;
  }
  return w;
}

export function estimate(w: Work, rates: Rates): number {
  return WORK_KEYS.reduce((a, k) => a + w[k] * rates[k], 0);
}

/** Non-negative least squares by projected coordinate descent (a handful of unknowns). */
export function fitRates(works: Work[], measured: number[]): Rates {
  const n = WORK_KEYS.length, x = new Array<number>(n).fill(0);
  const col = (k: number) => works.map((w) => w[WORK_KEYS[k]]);
  const cols = WORK_KEYS.map((_, k) => col(k)), norms = cols.map((c) => c.reduce((a, v) => a + v * v, 0));
  const residual = measured.slice();
  for (let sweep = 0; sweep < 20000; sweep++) {
    let moved = 0;
    for (let k = 0; k < n; k++) {
      if (norms[k] === 0) continue;
      const g = cols[k].reduce((a, v, i) => a + v * residual[i], 0) / norms[k];
      const next = Math.max(0, x[k] + g), d = next - x[k];
      if (d === 0) continue;
      for (let i = 0; i < residual.length; i++) residual[i] -= d * cols[k][i];
      x[k] = next;
      moved = Math.max(moved, Math.abs(d) / Math.max(1e-9, Math.abs(next)));
    }
    if (moved < 1e-10) break;
  }
  return Object.fromEntries(WORK_KEYS.map((k, i) => [k, x[i]])) as Rates;
}
