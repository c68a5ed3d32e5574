// ADD and MUL: int8 with broadcasting, plus int32 ADD for index arithmetic.
//
// Builtin TFLite (tensorflow/lite/kernels/add.cc, mul.cc Prepare; reference_ops /
// optimized_integer_ops AddElementwise, MulElementwise and their Broadcast*Fivefold forms,
// which compute the same per-element expression):
//   ADD: left_shift 20, inputs rescaled onto 2*max(s1, s2) with
//        MultiplyByQuantizedMultiplierSmallerThanOneExp, summed, rescaled to the output.
//   MUL: MultiplyByQuantizedMultiplier((a - za) * (b - zb), s1*s2/so) + zo.
// XNNPACK (what tfjs-tflite's WASM runs for int8 ADD/MUL once the delegate takes them):
//   ADD: xnn_init_qs8_add_minmax_*_params (XNNPACK 2022): shift = 20 - exponent of
//        max(s1/so, s2/so), multipliers lrintf(s/so * 2^shift) (the largest in [2^20, 2^21)),
//        acc = bias + a*ma + b*mb, out = (acc + 2^(shift-1)) >> shift (ties toward +inf).
//        Measured against tfjs-tflite's WASM on all 65536 input pairs x 40 random scale sets:
//        0 mismatches; the older 21-bit / ties-away-from-zero variant mismatches.
//   MUL: fp32 requantization, lrintf(float((a - za) * (b - zb)) * (s1 * s2 / so)) + zo.

import {
  type FusedActivation,
  calculateActivationRangeQuantized,
  f32,
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierSmallerThanOneExp,
  quantizeMultiplier,
  quantizeMultiplierSmallerThanOneExp,
  roundHalfEven,
  xnnpackActivationRange,
} from './fixedpoint.js';
import type { Int8Runtime, TensorQuant } from './conv.js';

/** Output shape of a numpy-style broadcast of two shapes (right-aligned, 1 stretches). */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast ${a} with ${b}`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each output element, the flat index into an input of `shape` broadcast to `out`. */
function broadcastIndex(shape: readonly number[], out: readonly number[]): Int32Array {
  const n = out.length;
  const total = out.reduce((p, d) => p * d, 1);
  const idx = new Int32Array(total);
  const strides: number[] = new Array(n).fill(0);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    const d = shape[shape.length - n + i] ?? 1;
    strides[i] = d === 1 ? 0 : s;
    s *= d;
  }
  const pos = new Array(n).fill(0);
  for (let k = 0; k < total; k++) {
    let off = 0;
    for (let i = 0; i < n; i++) off += pos[i] * strides[i];
    idx[k] = off;
    for (let i = n - 1; i >= 0; i--) {
      if (++pos[i] < out[i]) break;
      pos[i] = 0;
    }
  }
  return idx;
}

export interface AddPrepared {
  kind: 'tflite' | 'xnnpack';
  shapeA: number[];
  shapeB: number[];
  outShape: number[];
  idxA: Int32Array | null;
  idxB: Int32Array | null;
  za: number;
  zb: number;
  zo: number;
  actMin: number;
  actMax: number;
  // tflite
  leftShift: number;
  m1: number;
  s1: number;
  m2: number;
  s2: number;
  mo: number;
  so: number;
  // xnnpack
  xa: number;
  xb: number;
  xshift: number;
  /** XNNPACK refuses an empty output range: the delegate then reverts the whole graph. */
  xnnpackFails: boolean;
}

export interface BinaryParams {
  a: TensorQuant;
  b: TensorQuant;
  output: TensorQuant;
  act: FusedActivation;
  runtime: Int8Runtime;
}

/** Whether the XNNPACK delegate accepts a QS8 ADD with these scales (else builtin runs). */
export function xnnpackTakesAdd(a: TensorQuant, b: TensorQuant, out: TensorQuant): boolean {
  const ra = f32(f32(a.scale) / f32(out.scale));
  const rb = f32(f32(b.scale) / f32(out.scale));
  return ra >= 1 / 1024 && ra < 256 && rb >= 1 / 1024 && rb < 256;
}

/** Whether the XNNPACK delegate accepts a QS8 MUL with these scales. */
export function xnnpackTakesMul(a: TensorQuant, b: TensorQuant, out: TensorQuant): boolean {
  const r = f32(f32(f32(a.scale) * f32(b.scale)) / f32(out.scale));
  return r >= 1 / 65536 && r < 256;
}

/** The broadcast output shape and, per input, its index map (null where it needs none). */
export function broadcastIndexes(shapeA: readonly number[], shapeB: readonly number[]) {
  const outShape = broadcastShape(shapeA, shapeB);
  const same = (s: readonly number[]) => s.length === outShape.length && s.every((d, i) => d === outShape[i]);
  return { outShape, idxA: same(shapeA) ? null : broadcastIndex(shapeA, outShape), idxB: same(shapeB) ? null : broadcastIndex(shapeB, outShape) };
}

/** ADD int8 Prepare (add.cc Prepare, general int8 path; or XNNPACK's qs8 add params). */
export function prepareAdd(shapeA: number[], shapeB: number[], p: BinaryParams): AddPrepared {
  const useXnn = p.runtime === 'xnnpack' && xnnpackTakesAdd(p.a, p.b, p.output);
  const range = useXnn
    ? xnnpackActivationRange(p.act, p.output.scale, p.output.zeroPoint)
    : calculateActivationRangeQuantized(p.act, p.output.scale, p.output.zeroPoint);
  const leftShift = 20;
  const sa = f32(p.a.scale);
  const sb = f32(p.b.scale);
  const so = f32(p.output.scale);
  const twiceMax = 2 * Math.max(sa, sb);
  const q1 = quantizeMultiplierSmallerThanOneExp(sa / twiceMax);
  const q2 = quantizeMultiplierSmallerThanOneExp(sb / twiceMax);
  const qo = quantizeMultiplierSmallerThanOneExp(twiceMax / f32((1 << leftShift) * so));
  // XNNPACK: a_output_scale = sa / so in float (add-nd.c), then the params above.
  const ra = f32(sa / so);
  const rb = f32(sb / so);
  const xshift = 20 - exponentOfFloat(Math.max(ra, rb));
  return {
    kind: useXnn ? 'xnnpack' : 'tflite',
    shapeA,
    shapeB,
    ...broadcastIndexes(shapeA, shapeB),
    za: p.a.zeroPoint,
    zb: p.b.zeroPoint,
    zo: p.output.zeroPoint,
    actMin: range.min,
    actMax: range.max,
    leftShift,
    m1: q1.multiplier,
    s1: q1.shift,
    m2: q2.multiplier,
    s2: q2.shift,
    mo: qo.multiplier,
    so: qo.shift,
    xa: roundHalfEven(f32(ra * 2 ** xshift)),
    xb: roundHalfEven(f32(rb * 2 ** xshift)),
    xshift,
    xnnpackFails: useXnn && range.min >= range.max,
  };
}

const fbuf = new DataView(new ArrayBuffer(4));
/** Unbiased binary exponent of a normal float32 ((bits >> 23) - 127). */
function exponentOfFloat(x: number): number {
  fbuf.setFloat32(0, x);
  return ((fbuf.getUint32(0) >>> 23) & 0xff) - 127;
}

/** ADD int8 Eval: a (shapeA), b (shapeB) broadcast to out (outShape). */
export function addInt8(pp: AddPrepared, a: Int8Array, b: Int8Array, out: Int8Array): void {
  const n = out.length;
  const { idxA, idxB, za, zb, zo, actMin, actMax } = pp;
  if (pp.kind === 'xnnpack') {
    const { xa, xb, xshift } = pp;
    const bias = 2 ** (xshift - 1) - (xa * za + xb * zb); // rounding folded into the bias
    const div = 2 ** xshift;
    for (let i = 0; i < n; i++) {
      const acc = bias + a[idxA ? idxA[i] : i] * xa + b[idxB ? idxB[i] : i] * xb;
      const v = Math.floor(acc / div) + zo; // arithmetic shift right
      out[i] = v < actMin ? actMin : v > actMax ? actMax : v;
    }
    return;
  }
  const { leftShift, m1, s1, m2, s2, mo, so } = pp;
  const ls = 1 << leftShift;
  for (let i = 0; i < n; i++) {
    const x1 = (a[idxA ? idxA[i] : i] - za) * ls;
    const x2 = (b[idxB ? idxB[i] : i] - zb) * ls;
    const y1 = multiplyByQuantizedMultiplierSmallerThanOneExp(x1, m1, s1);
    const y2 = multiplyByQuantizedMultiplierSmallerThanOneExp(x2, m2, s2);
    const v = multiplyByQuantizedMultiplierSmallerThanOneExp((y1 + y2) | 0, mo, so) + zo;
    out[i] = v < actMin ? actMin : v > actMax ? actMax : v;
  }
}

export type AddInt32Prepared = ReturnType<typeof broadcastIndexes>;

/** ADD int32 Prepare: only the broadcast index maps (no quantization involved). */
export function prepareAddInt32(shapeA: readonly number[], shapeB: readonly number[]): AddInt32Prepared {
  return broadcastIndexes(shapeA, shapeB);
}

/** ADD int32 Eval (wraps like the C++ int32 add): a, b broadcast to out (pp.outShape). */
export function addInt32(pp: AddInt32Prepared, a: Int32Array, b: Int32Array, out: Int32Array): void {
  const { idxA, idxB } = pp;
  for (let i = 0; i < out.length; i++) out[i] = (a[idxA ? idxA[i] : i] + b[idxB ? idxB[i] : i]) | 0;
}

export interface MulPrepared {
  kind: 'tflite' | 'xnnpack';
  outShape: number[];
  idxA: Int32Array | null;
  idxB: Int32Array | null;
  za: number;
  zb: number;
  zo: number;
  actMin: number;
  actMax: number;
  mult: number;
  shift: number;
  fscale: number;
  /** XNNPACK refuses an empty output range: the delegate then reverts the whole graph. */
  xnnpackFails: boolean;
}

/** MUL int8 Prepare (mul.cc Prepare; or XNNPACK's qs8 fp32 mul params). */
export function prepareMul(shapeA: number[], shapeB: number[], p: BinaryParams): MulPrepared {
  const useXnn = p.runtime === 'xnnpack' && xnnpackTakesMul(p.a, p.b, p.output);
  const range = useXnn
    ? xnnpackActivationRange(p.act, p.output.scale, p.output.zeroPoint)
    : calculateActivationRangeQuantized(p.act, p.output.scale, p.output.zeroPoint);
  const sa = f32(p.a.scale);
  const sb = f32(p.b.scale);
  const so = f32(p.output.scale);
  const q = quantizeMultiplier((sa * sb) / so); // static_cast<double> of each scale
  return {
    kind: useXnn ? 'xnnpack' : 'tflite',
    ...broadcastIndexes(shapeA, shapeB),
    za: p.a.zeroPoint,
    zb: p.b.zeroPoint,
    zo: p.output.zeroPoint,
    actMin: range.min,
    actMax: range.max,
    mult: q.multiplier,
    shift: q.shift,
    // multiply-nd.c: product_scale = s1 * s2; product_output_scale = product_scale / so (float).
    fscale: f32(f32(sa * sb) / so),
    xnnpackFails: useXnn && range.min >= range.max,
  };
}

/** MUL int8 Eval, e.g. (1, H, W, C) x (1, 1, 1, C). */
export function mulInt8(pp: MulPrepared, a: Int8Array, b: Int8Array, out: Int8Array): void {
  const { idxA, idxB, za, zb, zo, actMin, actMax, mult, shift, fscale } = pp;
  const xnn = pp.kind === 'xnnpack';
  for (let i = 0; i < out.length; i++) {
    const prod = (a[idxA ? idxA[i] : i] - za) * (b[idxB ? idxB[i] : i] - zb);
    const v = (xnn ? roundHalfEven(f32(prod * fscale)) : multiplyByQuantizedMultiplier(prod, mult, shift)) + zo;
    out[i] = v < actMin ? actMin : v > actMax ? actMax : v;
  }
}

// A binary int8 op's output depends on its two input bytes only (its scales, zero points and
// clamps are fixed by Prepare), so its own Eval run once over all 65,536 pairs is a table that
// gives the same bytes: one load per element instead of three fixed-point multiplies.

/** Entry (a & 255) << 8 | (b & 255) holds op(a, b). */
export type Int8PairTable = Int8Array;

/** The table of an elementwise Eval over two same-shape inputs (no broadcast). */
export function tabulatePairs(kernel: (a: Int8Array, b: Int8Array, out: Int8Array) => void): Int8PairTable {
  const a = new Int8Array(65536), b = new Int8Array(65536), out = new Int8Array(65536);
  for (let i = 0; i < 65536; i++) { a[i] = i >> 8; b[i] = i; } // int8 stores keep the low byte
  kernel(a, b, out);
  return out;
}

/** A tabulated binary op: a and b broadcast to out through their index maps (null: same shape). */
export function lookupPairs(table: Int8PairTable, idxA: Int32Array | null, idxB: Int32Array | null, a: Int8Array, b: Int8Array, out: Int8Array): void {
  if (!idxA && !idxB) {
    for (let i = 0; i < out.length; i++) out[i] = table[((a[i] & 255) << 8) | (b[i] & 255)];
  } else if (!idxA) {
    for (let i = 0; i < out.length; i++) out[i] = table[((a[i] & 255) << 8) | (b[idxB![i]] & 255)];
  } else {
    for (let i = 0; i < out.length; i++) out[i] = table[((a[idxA[i]] & 255) << 8) | (b[idxB ? idxB[i] : i] & 255)];
  }
}
