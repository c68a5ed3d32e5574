// int8 kernels with TensorFlow Lite's integer semantics: the oracle exported int8 .tflite
// files are checked against. Plain functions over explicit typed buffers; each op has a
// Prepare (multipliers and tables from scales, as TFLite's Prepare computes them) and an Eval.
//
// Which runtime: TFLite's kernels do not all round alike, so the conv/add/mul/logistic
// Prepares take an Int8Runtime:
//   'xnnpack'   what @tensorflow/tfjs-tflite's WASM TFLite computes: its BuiltinOpResolver
//               applies the XNNPACK delegate by default, which takes int8 CONV_2D,
//               DEPTHWISE_CONV_2D, ADD, MUL, LOGISTIC and QUANTIZE (measured: the profiler
//               names the nodes "Convolution (NHWC, QC8)", "Add (ND, QS8)", "Multiply (ND,
//               QS8)", "Sigmoid (NC, QS8)", ...); AVERAGE_POOL_2D, HARD_SWISH, TANH, SOFTMAX,
//               RESHAPE, GATHER, CAST and DEQUANTIZE stay on the builtin kernels. If XNNPACK
//               fails to create any node (see xnnpackFails), the whole graph runs builtin.
//   'builtin'   the builtin kGenericOptimized kernels alone (no delegate).
//   'reference' reference_integer_ops (double rounding everywhere), as TFLite Micro.
// Kernels without a choice are the same in all three.

import { type FusedActivation, calculateActivationRangeQuantized, f32, roundHalfAway, roundHalfEven } from './fixedpoint.js';
import { type Int8Runtime, type Padding, type TensorQuant, computePadding } from './conv.js';

export * from './fixedpoint.js';
export * from './conv.js';
export * from './elementwise.js';
export * from './activations.js';

// ---------------------------------------------------------------------------- AVERAGE_POOL_2D

export interface AvgPoolPrepared {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  filter: number;
  stride: number;
  outH: number;
  outW: number;
  padT: number;
  padL: number;
  actMin: number;
  actMax: number;
}

/**
 * pooling.cc AverageEval Prepare part: padding as ComputePaddingHeightWidth, activation range
 * from the output (input and output share quantization, so raw values are averaged).
 */
export function prepareAvgPool(
  shape: { batch: number; inH: number; inW: number; channels: number },
  filter: number,
  stride: number,
  padding: Padding,
  output: TensorQuant,
  act: FusedActivation = 'NONE',
): AvgPoolPrepared {
  const h = computePadding(shape.inH, filter, stride, padding);
  const w = computePadding(shape.inW, filter, stride, padding);
  const r = calculateActivationRangeQuantized(act, output.scale, output.zeroPoint);
  return { ...shape, filter, stride, outH: h.out, outW: w.out, padT: h.before, padL: w.before, actMin: r.min, actMax: r.max };
}

/**
 * optimized_integer_ops::AveragePool (int8), same numbers as reference_integer_ops::AveragePool:
 * sum the in-bounds taps, filter_count = number of in-bounds taps, then
 * acc > 0 ? (acc + count/2) / count : (acc - count/2) / count with C truncating division.
 * input (N, H, W, C) int8, output (N, OH, OW, C) int8.
 */
export function avgPoolInt8(pp: AvgPoolPrepared, input: Int8Array, output: Int8Array): void {
  const { batch, inH, inW, channels: C, filter, stride, outH, outW, padT, padL, actMin, actMax } = pp;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * stride - padT;
      const fy0 = Math.max(0, -y0);
      const fy1 = Math.min(filter, inH - y0);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * stride - padL;
        const fx0 = Math.max(0, -x0);
        const fx1 = Math.min(filter, inW - x0);
        const count = (fy1 - fy0) * (fx1 - fx0);
        if (count <= 0) throw new Error('avgpool: empty window');
        const half = Math.trunc(count / 2);
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let fy = fy0; fy < fy1; fy++) {
            const rowBase = ((b * inH + y0 + fy) * inW + x0) * C + c;
            for (let fx = fx0; fx < fx1; fx++) acc += input[rowBase + fx * C];
          }
          let v = acc > 0 ? Math.trunc((acc + half) / count) : Math.trunc((acc - half) / count);
          v = v < actMin ? actMin : v > actMax ? actMax : v;
          output[((b * outH + oy) * outW + ox) * C + c] = v;
        }
      }
    }
  }
}

// --------------------------------------------------------------------- CAST, GATHER, RESHAPE

/** CAST int8 -> int32 (cast.cc copyCast: static_cast, no quantization involved). */
export function castInt8ToInt32(input: Int8Array, output: Int32Array): void {
  if (input.length !== output.length) throw new Error('cast: size mismatch');
  for (let i = 0; i < input.length; i++) output[i] = input[i];
}

/**
 * GATHER, axis 0 (reference_ops::Gather): params (N, inner...) int8, indices int32 of any
 * shape, output (indices..., inner...) = params rows. Out-of-range indices are an error, as in
 * gather.cc ("gather index out of bounds").
 */
export function gatherInt8(params: Int8Array, rows: number, indices: Int32Array, output: Int8Array): void {
  const inner = params.length / rows;
  if (!Number.isInteger(inner)) throw new Error('gather: params size not a multiple of rows');
  if (output.length !== indices.length * inner) throw new Error('gather: output size');
  if (inner === 1) {
    // A table lookup (Mish): one element per index, without a subarray per element.
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i];
      if (r < 0 || r >= rows) throw new Error(`gather index out of bounds: ${r}`);
      output[i] = params[r];
    }
    return;
  }
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (r < 0 || r >= rows) throw new Error(`gather index out of bounds: ${r}`);
    output.set(params.subarray(r * inner, (r + 1) * inner), i * inner);
  }
}

/** RESHAPE: a copy; the element order does not change. */
export function reshapeCopy<T extends Int8Array | Int32Array>(input: T, output: T): void {
  if (input.length !== output.length) throw new Error('reshape: size mismatch');
  output.set(input);
}

// ------------------------------------------------------------------- QUANTIZE / DEQUANTIZE

/**
 * QUANTIZE float -> int8. Builtin (optimized_ops::AffineQuantize scalar loop):
 * clamp(roundf(x / scale) + zp), x / scale in float, ties away from zero. With runtime
 * 'xnnpack' the delegate takes QUANTIZE ("Convert (NC, F32, QS8)", xnn_f32_qs8_vcvt):
 * lrintf(x * (1 / scale)) + zp, a float reciprocal and ties to even; measured: the builtin
 * formula disagrees with tfjs-tflite's WASM on ~25% of half-way inputs, this one on none.
 */
export function quantizeInt8(x: ArrayLike<number>, q: TensorQuant, out: Int8Array, runtime: Int8Runtime = 'builtin'): void {
  const scale = f32(q.scale);
  const inv = f32(1 / scale);
  const xnn = runtime === 'xnnpack';
  for (let i = 0; i < x.length; i++) {
    const v = (xnn ? roundHalfEven(f32(f32(x[i]) * inv)) : roundHalfAway(f32(f32(x[i]) / scale))) + q.zeroPoint;
    out[i] = v > 127 ? 127 : v < -128 ? -128 : v;
  }
}

/** DEQUANTIZE int8 -> float (reference_ops::Dequantize: double scale * (q - zp), to float). */
export function dequantizeInt8(q: Int8Array, p: TensorQuant, out: Float32Array): void {
  const scale = f32(p.scale);
  for (let i = 0; i < q.length; i++) out[i] = scale * (q[i] - p.zeroPoint);
}
