// HARD_SWISH, LOGISTIC, TANH and SOFTMAX on int8, as the kernels registered by TFLite's
// BuiltinOpResolver compute them (tensorflow/lite/kernels/activations.cc, TF 2.8-2.12).
//
// - HARD_SWISH: HardSwishPrepare (float multipliers -> QuantizeMultiplier ->
//   DownScaleInt32ToInt16Multiplier) and optimized_ops::HardSwish<int8>, whose NEON path is
//   compiled out off ARM, so every element goes through reference_ops::HardSwish (int16 fixed
//   point, SaturatingDoublingHighMul for the final product).
// - LOGISTIC, TANH: Register_LOGISTIC / Register_TANH return the kGenericOptimized kernels,
//   which for int8 fill a 256-entry table in Prepare (PopulateLookupTable / LUTPopulate: float
//   dequantize, expf/tanhf, roundf(y / out_scale) + zp, clamp) and look it up in Eval.
//   XNNPACK's QS8 sigmoid (taken by the delegate in tfjs-tflite's WASM) builds its own table;
//   see logisticTableXnnpack.
// - SOFTMAX: SoftmaxPrepare (kGenericOptimized) calls optimized_ops::PopulateSoftmaxLookupTable
//   (float table[255 - v] = expf(-in_scale * beta * v)) and Eval is optimized_ops::Softmax<int8,
//   int8>: float sums over the table, 1 / (sum * out_scale), std::round(p) + zp, clamp.
//   TFLITE_SOFTMAX_USE_UINT16_LUT is only defined for aarch64 clang builds.

import { downScaleInt32ToInt16Multiplier, f32, quantizeMultiplier, roundHalfAway, roundHalfEven,
  roundingDivideByPOT, saturatingDoublingHighMul16, saturatingLeftShift16,
  saturatingRoundingDoublingHighMul16 } from './fixedpoint.js';
import type { Int8Runtime, TensorQuant } from './conv.js';
import { expf, tanhf } from './libm.js';

// ------------------------------------------------------------------------------- HARD_SWISH

export interface HardSwishPrepared {
  inputZp: number;
  outputZp: number;
  reluishMult: number; // int16
  reluishExp: number;
  outputMult: number; // int16
  outputExp: number;
}

/** activations.cc HardSwishPrepare. */
export function prepareHardSwish(input: TensorQuant, output: TensorQuant): HardSwishPrepared {
  const hiresInputScale = f32(f32(1 / 128) * f32(input.scale));
  const reluishScale = f32(3 / 32768);
  const outMul = quantizeMultiplier(f32(hiresInputScale / f32(output.scale)));
  if (outMul.shift > 0) throw new Error('HARD_SWISH: output multiplier exponent must be <= 0');
  const reluMul = quantizeMultiplier(f32(hiresInputScale / reluishScale));
  return {
    inputZp: input.zeroPoint,
    outputZp: output.zeroPoint,
    reluishMult: downScaleInt32ToInt16Multiplier(reluMul.multiplier),
    reluishExp: reluMul.shift,
    outputMult: downScaleInt32ToInt16Multiplier(outMul.multiplier),
    outputExp: outMul.shift,
  };
}

/** reference_ops::HardSwish<int8> over a flat buffer. */
export function hardSwishInt8(pp: HardSwishPrepared, input: Int8Array, output: Int8Array): void {
  const { inputZp, outputZp, reluishMult, reluishExp, outputMult, outputExp } = pp;
  for (let i = 0; i < input.length; i++) {
    const hires = (input[i] - inputZp) * 128; // fits int16: |x - zp| <= 255
    const preshift = saturatingRoundingDoublingHighMul16(hires, outputMult);
    let reluish = hires;
    if (reluishExp > 0) reluish = saturatingLeftShift16(reluish, reluishExp - 1);
    reluish = saturatingRoundingDoublingHighMul16(reluish, reluishMult);
    if (reluishExp > 0) reluish = saturatingLeftShift16(reluish, 1);
    if (reluishExp < 0) reluish = roundingDivideByPOT(reluish, -reluishExp);
    reluish = (reluish + 32768) >> 1; // [-1, 1] -> [0, 1] in Q15
    const pre = saturatingDoublingHighMul16(reluish, preshift);
    let v = roundingDivideByPOT(pre, -outputExp) + outputZp;
    v = v > 127 ? 127 : v < -128 ? -128 : v;
    output[i] = v;
  }
}

// --------------------------------------------------------------------------- LUT activations

/** A 256-entry table indexed by (uint8) of the int8 input. */
export type Int8Table = Int8Array;

/** LUTPopulate<int8_t> (kernels/internal/common.h; PopulateLookupTable in older activations.cc). */
export function populateLookupTable(input: TensorQuant, output: TensorQuant, fn: (x: number) => number): Int8Table {
  const table = new Int8Array(256);
  const inScale = f32(input.scale);
  const invOut = f32(1 / f32(output.scale));
  for (let v = -128; v <= 127; v++) {
    const x = f32(inScale * (v - input.zeroPoint));
    const y = f32(fn(x));
    const q = roundHalfAway(f32(y * invOut)) + output.zeroPoint;
    table[v & 0xff] = q > 127 ? 127 : q < -128 ? -128 : q;
  }
  return table;
}

/**
 * LOGISTIC Prepare (output 1/256, -128). Builtin: 1 / (1 + expf(-x)) in float through
 * populateLookupTable. With runtime 'xnnpack' the delegate takes LOGISTIC and the table is
 * XNNPACK's (logisticTableXnnpack); the two agreed on every entry in all our measurements.
 */
export function logisticTable(
  input: TensorQuant,
  output: TensorQuant = { scale: 1 / 256, zeroPoint: -128 },
  runtime: Int8Runtime = 'builtin',
): Int8Table {
  if (output.zeroPoint !== -128 || f32(output.scale) !== 1 / 256) throw new Error('LOGISTIC int8 output must be 1/256, -128');
  if (runtime === 'xnnpack') return logisticTableXnnpack(input);
  return populateLookupTable(input, output, (x) => f32(1 / f32(1 + expf(-x))));
}

/** Builtin TANH Prepare: tanhf(x) (output 1/128, 0). */
export function tanhTable(input: TensorQuant, output: TensorQuant = { scale: 1 / 128, zeroPoint: 0 }): Int8Table {
  return populateLookupTable(input, output, (x) => tanhf(x));
}

/**
 * XNNPACK QS8 sigmoid table (src/operators/sigmoid-nc.c, xnn_create_sigmoid_nc_qs8, 2022):
 * y = 256 / (1 + expf(-x)) in float, minus 128, clamped to [-128, 127], lrintf (ties to even).
 */
export function logisticTableXnnpack(input: TensorQuant): Int8Table {
  const table = new Int8Array(256);
  const inScale = f32(input.scale);
  for (let v = -128; v <= 127; v++) {
    const x = f32(inScale * (v - input.zeroPoint));
    let y = f32(f32(256 / f32(1 + expf(-x))) - 128);
    y = y < -128 ? -128 : y > 127 ? 127 : y;
    table[v & 0xff] = roundHalfEven(y);
  }
  return table;
}

/**
 * Any elementwise int8 -> int8 kernel as a table: its outputs on all 256 inputs, computed once by
 * the kernel itself, so the lookup gives the kernel's bytes exactly (used for HARD_SWISH, whose
 * per-element fixed-point arithmetic is the engine's slowest TypeScript loop otherwise).
 */
export function tabulate(kernel: (input: Int8Array, output: Int8Array) => void): Int8Table {
  const all = new Int8Array(256), out = new Int8Array(256);
  for (let i = 0; i < 256; i++) all[i] = i; // byte i is the int8 value whose (uint8) is i
  kernel(all, out);
  return out;
}

/** Eval of any LUT activation (EvalUsingLookupTable / LUTLookup). */
export function lookupInt8(table: Int8Table, input: Int8Array, output: Int8Array): void {
  for (let i = 0; i < input.length; i++) output[i] = table[input[i] & 0xff];
}

// ---------------------------------------------------------------------------------- SOFTMAX

export interface SoftmaxPrepared {
  /** table[255 - v] = expf(-in_scale * beta * v), float32. */
  table: Float32Array;
  outScale: number;
  outZp: number;
}

/** SoftmaxPrepare, kGenericOptimized int8 path (optimized_ops::PopulateSoftmaxLookupTable). */
export function prepareSoftmax(input: TensorQuant, beta: number, output: TensorQuant = { scale: 1 / 256, zeroPoint: -128 }): SoftmaxPrepared {
  const table = new Float32Array(256);
  const scale = f32(-f32(input.scale) * f32(beta));
  for (let v = 0; v <= 255; v++) table[255 - v] = expf(f32(scale * v));
  return { table, outScale: f32(output.scale), outZp: output.zeroPoint };
}

/** optimized_ops::Softmax<int8, int8> over the last dimension: input/output (outer, depth). */
export function softmaxInt8(pp: SoftmaxPrepared, input: Int8Array, output: Int8Array, depth: number): void {
  const { table, outScale, outZp } = pp;
  for (let base = 0; base < input.length; base += depth) {
    let max = -128;
    for (let j = 0; j < depth; j++) if (input[base + j] > max) max = input[base + j];
    const off = 255 - max; // table_offset = &table[255 - max]; indexed by the signed input
    let sum = 0;
    for (let j = 0; j < depth; j++) sum = f32(sum + table[off + input[base + j]]);
    const inv = f32(1 / f32(sum * outScale));
    for (let j = 0; j < depth; j++) {
      const p = f32(table[off + input[base + j]] * inv);
      const q = roundHalfAway(p) + outZp;
      output[base + j] = q > 127 ? 127 : q < -128 ? -128 : q;
    }
  }
}
