// How a convolution's constants are laid out for the kernels of mcu/ (cmv3_kernels.h documents
// each layout), and which fast paths the compiler may prove safe for a layer. Pure functions of
// the layer's numbers; emit-c.ts writes their results, arena.ts sizes the scratch they need.
import type { ConvLayerParams } from './program.js';

/** The most taps per kernel row or column the kernels' row tables hold (CMV3_MAX_KERNEL). */
export const MAX_KERNEL = 16;

const roundUp = (v: number, a: number) => Math.ceil(v / a) * a;

/** Values per output channel of a CONV_2D: k_h * k_w * in_c. */
export function convDepth(c: ConvLayerParams): number {
  const g = c.pp.g;
  return g.kH * g.kW * g.inC;
}

/**
 * CONV_2D weights as channel pairs of 4-value blocks: [c: w0..w3][c + 1: w0..w3] per block,
 * zeros past the depth and for the extra channel of an odd count.
 */
export function pairWeights(c: ConvLayerParams): Int8Array {
  const n = convDepth(c), co = c.pp.g.outC, blocks = Math.ceil(n / 4);
  const out = new Int8Array(roundUp(co, 2) / 2 * blocks * 8);
  for (let o = 0; o < co; o++) {
    const base = (o >> 1) * blocks * 8 + (o & 1) * 4;
    for (let k = 0; k < n; k++) out[base + (k >> 2) * 8 + (k & 3)] = c.weights[o * n + k];
  }
  return out;
}

/** A per-channel array padded to an even channel count (CONV_2D's pair kernel reads c + 1). */
export function padToPairs<T extends Int32Array | Int8Array>(a: T, fill: number): T {
  if (a.length % 2 === 0) return a;
  const out = new (a.constructor as new (n: number) => T)(a.length + 1);
  out.set(a);
  out[a.length] = fill;
  return out;
}

/** The blocked depthwise kernel applies: whole blocks of 4 channels, each output block reading one input block. */
export function isBlocked(c: ConvLayerParams): boolean {
  const g = c.pp.g;
  return c.depthwise && g.inC % 4 === 0 && (g.multiplier === 1 || c.planar) && g.kH <= MAX_KERNEL && g.kW <= MAX_KERNEL;
}

/** Lane order inside a block: SXTAB16 of a word gives channels 0 and 2, its ROR 8 form 1 and 3. */
const LANES = [0, 2, 1, 3];

/** Depthwise weights (1, k_h, k_w, out_c) as int16 per 4-channel block, tap and lane. */
export function blockedWeights(c: ConvLayerParams): Int16Array {
  const { kH, kW, outC } = c.pp.g, taps = kH * kW, out = new Int16Array(outC * taps);
  for (let b = 0; b < outC / 4; b++)
    for (let t = 0; t < taps; t++)
      for (let l = 0; l < 4; l++) out[(b * taps + t) * 4 + l] = c.weights[t * outC + 4 * b + LANES[l]];
  return out;
}

/** Width in columns of one extended row of a blocked depthwise (CMV3_EXT_WIDTH). */
export function extWidth(c: ConvLayerParams): number {
  const g = c.pp.g;
  return (g.outW - 1) * g.stride + g.kW;
}

/** Bytes of one extended row (CMV3_EXT_ROW_BYTES). */
export function extRowBytes(c: ConvLayerParams): number {
  return 2 * extWidth(c) * c.pp.g.inC;
}

/** Bytes of a 1x1 kernel's widened input pair (CMV3_PAIR_BYTES). */
export function pairBytes(n: number): number {
  return 16 * Math.ceil(n / 4);
}

/**
 * The fast requantization (cmv3_rqf in mcu/cmv3_internal.h) is exact for a layer when every
 * channel's shift is -31..-1 and no input can drive an accumulator to 2^30 in magnitude:
 * |bias| + sum |w| * max |x - in_zp| < 2^30. Then its table: the clamp to the activation range
 * and the fused activation's table as one lookup, indexed by value + 128. Else null (the general
 * path runs).
 */
export function fastTable(c: ConvLayerParams): Int8Array | null {
  const pp = c.pp, g = pp.g, co = g.outC, zp = pp.inputZp;
  const reach = Math.max(Math.abs(-128 - zp), Math.abs(127 - zp));
  const taps = g.kH * g.kW, n = convDepth(c);
  for (let o = 0; o < co; o++) {
    if (pp.shift[o] > -1 || pp.shift[o] < -31) return null;
    let sum = 0;
    if (c.depthwise) for (let t = 0; t < taps; t++) sum += Math.abs(c.weights[t * co + o]);
    else for (let k = 0; k < n; k++) sum += Math.abs(c.weights[o * n + k]);
    if (Math.abs(c.bias[o]) + sum * reach >= 2 ** 30) return null;
  }
  // indexed by value + 128 (the kernels index from its middle with the signed value: no zero-extension)
  const tab = new Int8Array(256);
  for (let i = 0; i < 256; i++) {
    const v = Math.min(pp.actMax, Math.max(pp.actMin, i - 128));
    tab[i] = c.lut ? c.lut[v & 255] : v;
  }
  return tab;
}
