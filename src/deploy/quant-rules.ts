// The quantization rules of TFLite's full-integer scheme that the ops' quantize facets share
// (ops/): activation ranges to scale and zero point, per-channel symmetric int8 weights, int32
// biases, and the output quantizations TFLite fixes (LOGISTIC and SOFTMAX 1/256, TANH 1/128).
import type { Quant, TensorDef } from './ir.js';

/** A calibrated activation range. */
export interface Range {
  min: number;
  max: number;
}

/** Ranges must contain 0 so that zero (padding, ReLU floors) is exactly representable. */
export function includeZero(r: Range): Range {
  const min = Math.min(r.min, 0), max = Math.max(r.max, 0);
  return max - min < 1e-8 ? { min, max: min + 1e-8 } : { min, max };
}

/** Round half away from zero, as std::round (TFLite's converter and kernels use it). */
export const roundAway = (v: number) => (v < 0 ? -Math.round(-v) : Math.round(v));

export function activationQuant(r: Range): Quant {
  const { min, max } = includeZero(r);
  const scale = (max - min) / 255;
  const zp = Math.min(127, Math.max(-128, roundAway(-128 - min / scale)));
  return { scale: [scale], zeroPoint: [zp], axis: 0 };
}

export const FIXED_UNIT: Quant = { scale: [1 / 256], zeroPoint: [-128], axis: 0 }; // LOGISTIC, SOFTMAX
export const FIXED_TANH: Quant = { scale: [1 / 128], zeroPoint: [0], axis: 0 };
export const GATE_RANGE: Quant = { scale: [1 / 255], zeroPoint: [-128], axis: 0 }; // hard-sigmoid [0, 1]

const INT32_MAX = 2 ** 31 - 1;

/**
 * The smallest weight scale per output channel that keeps the int32 bias within half its range:
 * 2|b| / (input scale x (2^31 - 1)), TFLite's converter rule (AdjustWeightsForBiasScale). A layer
 * whose input is nearly always zero (a squeeze-excite branch behind dead ReLUs) and whose weights
 * decayed to ~1e-6 otherwise needs bias / (input scale x weight scale) beyond 2^31.
 */
export function biasSafeWeightScales(bias: Float32Array, inputScale: number): number[] {
  return Array.from(bias, (b) => (2 * Math.abs(b)) / (inputScale * INT32_MAX));
}

/** Per-channel symmetric int8 weights; `minScale` (per channel) raises a scale that is smaller. */
export function quantizeWeights(w: Float32Array, shape: number[], axis: number, name: string, minScale?: readonly number[]): TensorDef {
  const channels = shape[axis], inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) { const c = Math.floor(i / inner) % channels; maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[i])); }
  const scale = Array.from(maxAbs, (m, c) => Math.max(m > 0 ? m / 127 : 1, minScale?.[c] ?? 0));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    q[i] = Math.max(-127, Math.min(127, roundAway(w[i] / scale[c])));
  }
  return { name, shape: [...shape], dtype: 'int8', data: q, quant: { scale, zeroPoint: scale.map(() => 0), axis } };
}

export function quantizeBias(b: Float32Array, inputScale: number, weightScale: number[], name: string): TensorDef {
  const scale = weightScale.map((s) => inputScale * s);
  // Clamped, never wrapped (Int32Array.from would wrap): TFLite's converter clamps to +-(2^31 - 1).
  const q = Int32Array.from(b, (v, c) => Math.max(-INT32_MAX, Math.min(INT32_MAX, roundAway(v / scale[c]))));
  return { name, shape: [b.length], dtype: 'int32', data: q, quant: { scale, zeroPoint: scale.map(() => 0), axis: 0 } };
}

