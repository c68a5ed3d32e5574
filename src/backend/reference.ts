// The reference backend: plain loops, float64 accumulation. It is the oracle for the oneDNN
// backend and the fallback when the native addon is not built. Speed is not a goal here.
import { activate, activateGrad } from './activation.js';
import { checkConvInputs, roundBf16, toBf16, widen } from './bf16.js';
import { fromBlocked, toBlocked, type BlockedLayout } from './layout.js';
import type { Activation, Backend, ConvGeometry, ConvInput } from './types.js';

let threads = 1;

// Visit every (output pixel, kernel tap) pair with an in-bounds input pixel.
// fn(yBase, xBase, wBase): offsets of the output pixel, the input pixel and the tap's weights.
function forEachTap(g: ConvGeometry, fn: (yBase: number, xBase: number, wBase: number) => void): void {
  for (let n = 0; n < g.n; n++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const yBase = ((n * g.oh + oy) * g.ow + ox) * g.cout;
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.stride + ky - g.padTop;
          if (iy < 0 || iy >= g.h) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.stride + kx - g.padLeft;
            if (ix < 0 || ix >= g.w) continue;
            fn(yBase, ((n * g.h + iy) * g.w + ix) * g.cin, (ky * g.kw + kx) * (g.cin / g.groups) * g.cout);
          }
        }
      }
    }
  }
}

// bfloat16 inputs: widened exactly, the weights rounded as the native weight reorder rounds them,
// the sums as always. Returns the weights to use.
function bf16Pass(g: ConvGeometry, inputs: ConvInput[], w: Float32Array | null): Float32Array | null {
  checkConvInputs(g, inputs);
  return inputs[0] instanceof Uint16Array && w ? w.map(roundBf16) : w;
}

function conv2dForward(g: ConvGeometry, xIn: ConvInput, w: Float32Array, bias: Float32Array | null, y: Float32Array): void {
  w = bf16Pass(g, [xIn], w)!;
  const x = widen(xIn);
  const cinG = g.cin / g.groups, coutG = g.cout / g.groups;
  const acc = new Float64Array(y.length);
  forEachTap(g, (yBase, xBase, wBase) => {
    for (let o = 0; o < g.cout; o++) {
      const i0 = Math.floor(o / coutG) * cinG;
      let s = 0;
      for (let i = 0; i < cinG; i++) s += x[xBase + i0 + i] * w[wBase + i * g.cout + o];
      acc[yBase + o] += s;
    }
  });
  for (let p = 0; p < y.length; p++) y[p] = acc[p] + (bias ? bias[p % g.cout] : 0);
}

function conv2dBackwardData(g: ConvGeometry, dyIn: ConvInput, w: Float32Array, dx: Float32Array): void {
  w = bf16Pass(g, [dyIn], w)!;
  const dy = widen(dyIn);
  const cinG = g.cin / g.groups, coutG = g.cout / g.groups;
  const acc = new Float64Array(dx.length);
  forEachTap(g, (yBase, xBase, wBase) => {
    for (let o = 0; o < g.cout; o++) {
      const i0 = Math.floor(o / coutG) * cinG;
      const d = dy[yBase + o];
      for (let i = 0; i < cinG; i++) acc[xBase + i0 + i] += d * w[wBase + i * g.cout + o];
    }
  });
  dx.set(acc);
}

function conv2dBackwardWeights(g: ConvGeometry, xIn: ConvInput, dyIn: ConvInput, dw: Float32Array, dbias: Float32Array | null): void {
  bf16Pass(g, [xIn, dyIn], null);
  const x = widen(xIn), dy = widen(dyIn);
  const cinG = g.cin / g.groups, coutG = g.cout / g.groups;
  const acc = new Float64Array(dw.length);
  forEachTap(g, (yBase, xBase, wBase) => {
    for (let o = 0; o < g.cout; o++) {
      const i0 = Math.floor(o / coutG) * cinG;
      const d = dy[yBase + o];
      for (let i = 0; i < cinG; i++) acc[wBase + i * g.cout + o] += d * x[xBase + i0 + i];
    }
  });
  dw.set(acc);
  if (dbias) {
    const b = new Float64Array(g.cout);
    for (let p = 0; p < dy.length; p++) b[p % g.cout] += dy[p];
    dbias.set(b);
  }
}

function batchNormActForwardTraining(rows: number, c: number, x: Float32Array, gamma: Float32Array, beta: Float32Array,
  eps: number, act: Activation, y: Float32Array | null, mean: Float32Array, variance: Float32Array, yHalf?: Uint16Array | null): void {
  if (!y && !yHalf) throw new TypeError('Expected a Float32Array for y (null only when yHalf is given)');
  y ??= new Float32Array(rows * c);
  const sum = new Float64Array(c), sq = new Float64Array(c);
  for (let p = 0; p < rows * c; p++) sum[p % c] += x[p];
  for (let k = 0; k < c; k++) sum[k] /= rows;
  for (let p = 0; p < rows * c; p++) { const d = x[p] - sum[p % c]; sq[p % c] += d * d; }
  for (let k = 0; k < c; k++) { mean[k] = sum[k]; variance[k] = sq[k] / rows; }
  normalize(rows, c, x, gamma, beta, mean, variance, eps, act, y);
  if (yHalf) toBf16(y, yHalf);
}

function normalize(rows: number, c: number, x: Float32Array, gamma: Float32Array, beta: Float32Array,
  mean: ArrayLike<number>, variance: ArrayLike<number>, eps: number, act: Activation, y: Float32Array): void {
  for (let p = 0; p < rows * c; p++) {
    const k = p % c;
    const z = gamma[k] * (x[p] - mean[k]) / Math.sqrt(variance[k] + eps) + beta[k];
    y[p] = activate(act, z);
  }
}

/**
 * For a convolution over blocked activations: its NHWC geometry and the reorders of its source
 * side (x, dx) and destination side (y, dy). Null when both sides are NHWC.
 */
function convLayouts(g: ConvGeometry, inputs: ConvInput[]) {
  const sb = g.srcBlock ?? 0, db = g.dstBlock ?? 0;
  if (sb === 0 && db === 0) return null;
  if (inputs.some((a) => !(a instanceof Float32Array))) throw new TypeError('precision bf16 is not built for blocked activations');
  const side = (hw: number, c: number, b: number) => ({
    nhwc: (a: ConvInput) => (b === 0 ? a as Float32Array : fromBlocked(g.n, hw, c, b, a, new Float32Array(a.length))),
    back: (a: Float32Array, out: Float32Array) => { if (b === 0) out.set(a); else toBlocked(g.n, hw, c, b, a, out); },
  });
  const s = side(g.h * g.w, g.cin, sb), d = side(g.oh * g.ow, g.cout, db);
  return { g: { ...g, srcBlock: 0, dstBlock: 0 }, src: s.nhwc, dst: d.nhwc, srcBack: s.back, dstBack: d.back };
}

/**
 * For a blocked layout: reorders to NHWC and back around the NHWC code, so the oracle stays one
 * implementation. Null for NHWC (no layout or block 0).
 */
function nhwcView(rows: number, c: number, layout: BlockedLayout | undefined, half: Uint16Array | null | undefined) {
  if (!layout || layout.block === 0) return null;
  if (half) throw new TypeError('bfloat16 batch-norm outputs are not built for the blocked layout');
  const n = rows / layout.hw;
  if (!Number.isInteger(n)) throw new RangeError(`Expected rows (${rows}) a multiple of hw (${layout.hw})`);
  return {
    nhwc: (a: Float32Array) => fromBlocked(n, layout.hw, c, layout.block, a, new Float32Array(a.length)),
    back: (a: Float32Array, dst: Float32Array) => { toBlocked(n, layout.hw, c, layout.block, a, dst); },
  };
}

function batchNormActBackward(rows: number, c: number, x: Float32Array, dy: Float32Array, gamma: Float32Array,
  beta: Float32Array, mean: Float32Array, variance: Float32Array, eps: number, act: Activation,
  dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, dxHalf?: Uint16Array | null): void {
  const rstd = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  const dz = new Float64Array(rows * c);
  const sumDz = new Float64Array(c), sumDzXhat = new Float64Array(c);
  for (let p = 0; p < rows * c; p++) {
    const k = p % c;
    const xhat = (x[p] - mean[k]) * rstd[k];
    dz[p] = dy[p] * activateGrad(act, gamma[k] * xhat + beta[k]);
    sumDz[k] += dz[p];
    sumDzXhat[k] += dz[p] * xhat;
  }
  for (let p = 0; p < rows * c; p++) {
    const k = p % c;
    const xhat = (x[p] - mean[k]) * rstd[k];
    dx[p] = (gamma[k] * rstd[k] / rows) * (rows * dz[p] - sumDz[k] - xhat * sumDzXhat[k]);
  }
  for (let k = 0; k < c; k++) { dbeta[k] = sumDz[k]; dgamma[k] = sumDzXhat[k]; }
  if (dxHalf) toBf16(dx, dxHalf);
}

/** The pure-TypeScript backend: plain loops with float64 sums; the test oracle and the fallback when the native addon is not built. */
export const referenceBackend: Backend = {
  name: 'reference',
  setThreads(n: number) { threads = n; }, // accepted for interface parity; the reference is single-threaded
  getThreads() { return threads; },
  conv2dForward(g, x, w, bias, y) {
    const l = convLayouts(g, [x]);
    if (!l) return conv2dForward(g, x, w, bias, y);
    const yn = new Float32Array(y.length);
    conv2dForward(l.g, l.src(x), w, bias, yn);
    l.dstBack(yn, y);
  },
  conv2dBackwardData(g, dy, w, dx) {
    const l = convLayouts(g, [dy]);
    if (!l) return conv2dBackwardData(g, dy, w, dx);
    const dxn = new Float32Array(dx.length);
    conv2dBackwardData(l.g, l.dst(dy), w, dxn);
    l.srcBack(dxn, dx);
  },
  conv2dBackwardWeights(g, x, dy, dw, dbias) {
    const l = convLayouts(g, [x, dy]);
    if (!l) return conv2dBackwardWeights(g, x, dy, dw, dbias);
    conv2dBackwardWeights(l.g, l.src(x), l.dst(dy), dw, dbias);
  },
  batchNormActForwardTraining(rows, c, x, gamma, beta, eps, act, y, mean, variance, yHalf, layout) {
    const l = nhwcView(rows, c, layout, yHalf);
    if (!l) return batchNormActForwardTraining(rows, c, x, gamma, beta, eps, act, y, mean, variance, yHalf);
    const yn = new Float32Array(x.length);
    batchNormActForwardTraining(rows, c, l.nhwc(x), gamma, beta, eps, act, yn, mean, variance);
    l.back(yn, y!);
  },
  batchNormActForwardInference(rows, c, x, gamma, beta, mean, variance, eps, act, y, layout) {
    const l = nhwcView(rows, c, layout, null);
    if (!l) return normalize(rows, c, x, gamma, beta, mean, variance, eps, act, y);
    const yn = new Float32Array(x.length);
    normalize(rows, c, l.nhwc(x), gamma, beta, mean, variance, eps, act, yn);
    l.back(yn, y);
  },
  batchNormActBackward(rows, c, x, dy, gamma, beta, mean, variance, eps, act, dx, dgamma, dbeta, dxHalf, layout) {
    const l = nhwcView(rows, c, layout, dxHalf);
    if (!l) return batchNormActBackward(rows, c, x, dy, gamma, beta, mean, variance, eps, act, dx, dgamma, dbeta, dxHalf);
    const dxn = new Float32Array(x.length);
    batchNormActBackward(rows, c, l.nhwc(x), l.nhwc(dy), gamma, beta, mean, variance, eps, act, dxn, dgamma, dbeta);
    l.back(dxn, dx);
  },
  activationBlock: () => 0,
  activationForward(act, x, y) { for (let i = 0; i < x.length; i++) y[i] = activate(act, x[i]); },
  activationBackward(act, x, dy, dx) { for (let i = 0; i < x.length; i++) dx[i] = dy[i] * activateGrad(act, x[i]); },
  globalAvgPoolForward(n, hw, c, x, y) {
    for (let b = 0; b < n; b++) {
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let p = 0; p < hw; p++) s += x[(b * hw + p) * c + k];
        y[b * c + k] = s / hw;
      }
    }
  },
  globalAvgPoolBackward(n, hw, c, dy, dx) {
    for (let b = 0; b < n; b++) for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) dx[(b * hw + p) * c + k] = dy[b * c + k] / hw;
  },
  channelScaleForward(n, hw, c, x, s, y) {
    for (let b = 0; b < n; b++) for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) {
      const i = (b * hw + p) * c + k;
      y[i] = x[i] * s[b * c + k];
    }
  },
  channelScaleBackward(n, hw, c, x, s, dy, dx, ds) {
    for (let b = 0; b < n; b++) {
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let p = 0; p < hw; p++) {
          const i = (b * hw + p) * c + k;
          dx[i] = dy[i] * s[b * c + k];
          acc += dy[i] * x[i];
        }
        ds[b * c + k] = acc;
      }
    }
  },
  add(a, b, y) { for (let i = 0; i < y.length; i++) y[i] = a[i] + b[i]; },
  layoutReorder(n, hw, c, block, src, dst, to) { (to ? toBlocked : fromBlocked)(n, hw, c, block, src, dst); },
  toBf16,
  bf16Supported: () => true,
};
