// CONV_2D and DEPTHWISE_CONV_2D, int8 activations, int8 per-channel symmetric weights,
// int32 bias: the accumulation every implementation shares, and the three requantizations
// that real runtimes apply to it.
//
// Accumulator (reference_integer_ops::ConvPerChannel / DepthwiseConvPerChannel in
// tensorflow/lite/kernels/internal/reference/integer_ops/{conv,depthwise_conv}.h):
//   acc = bias[c] + sum w * (x - input_zp), padded taps skipped (contribute 0).
// XNNPACK computes the same integer (its packed bias folds in -input_zp * sum(w) and padding
// reads a buffer filled with input_zp), so only the requantization differs:
//   'reference': MultiplyByQuantizedMultiplier, double rounding (reference kernels, TFLM,
//                and the builtin optimized depthwise kernel).
//   'builtin':   conv -> ruy single rounding (optimized_integer_ops::ConvPerChannel goes
//                through cpu_backend_gemm to ruy); depthwise -> double rounding.
//   'xnnpack':   fp32 requantization of XNNPACK's QC8 conv/dwconv microkernels:
//                lrintf(float(acc) * scale_c) + zp, scale_c = in_scale * w_scale[c] / out_scale
//                in float (src/operators/convolution-nhwc.c, *-minmax-fp32-* kernels).
// tfjs-tflite's WASM TFLite applies the XNNPACK delegate by default and it takes every int8
// CONV_2D / DEPTHWISE_CONV_2D with constant weights, so 'xnnpack' is what it computes.

import {
  type FusedActivation,
  calculateActivationRangeQuantized,
  f32,
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierSingleRounding,
  quantizeMultiplier,
  roundHalfEven,
  xnnpackActivationRange,
} from './fixedpoint.js';

/** The int8 arithmetic to mirror: 'reference' (TFLite Micro), 'builtin' (TFLite's CPU kernels) or 'xnnpack'. */
export type Int8Runtime = 'reference' | 'builtin' | 'xnnpack';
export type Padding = 'SAME' | 'VALID';

export interface TensorQuant {
  scale: number;
  zeroPoint: number;
}

/** padding.h ComputePaddingHeightWidth (dilation 1): the odd pixel goes bottom/right. */
export function computePadding(inSize: number, filter: number, stride: number, padding: Padding): { out: number; before: number } {
  const out = padding === 'SAME' ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize - filter + stride) / stride);
  const total = Math.max((out - 1) * stride + filter - inSize, 0);
  return { out, before: padding === 'SAME' ? Math.floor(total / 2) : 0 };
}

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  kH: number;
  kW: number;
  stride: number;
  padding: Padding;
}

export interface ConvPrepared {
  runtime: Int8Runtime;
  depthwise: boolean;
  g: ConvGeometry & { outH: number; outW: number; padT: number; padL: number; multiplier: number };
  inputZp: number;
  outputZp: number;
  actMin: number;
  actMax: number;
  /** Q31 multipliers and shifts per output channel (reference/builtin). */
  mult: Int32Array;
  shift: Int32Array;
  /** float32 requantization scales per output channel (xnnpack). */
  fscale: Float32Array;
  /** Which requantization each output element gets. */
  requant: 'double' | 'single' | 'fp32';
  /**
   * XNNPACK rejects an empty output range (e.g. RELU6 with zero point 127): creating its
   * runtime fails and the delegate restores the original plan for the whole graph, so every
   * op then runs builtin. Measured in tfjs-tflite's WASM ("failed to create XNNPACK runtime").
   */
  xnnpackFails: boolean;
}

export interface ConvParams {
  input: TensorQuant;
  output: TensorQuant;
  /** Per-output-channel weight scales (weight zero points are 0). */
  weightScales: ArrayLike<number>;
  act: FusedActivation;
  runtime: Int8Runtime;
}

function prepare(g: ConvGeometry, p: ConvParams, depthwise: boolean): ConvPrepared {
  const h = computePadding(g.inH, g.kH, g.stride, g.padding);
  const w = computePadding(g.inW, g.kW, g.stride, g.padding);
  const outC = g.outC;
  if (p.weightScales.length !== outC && p.weightScales.length !== 1) throw new Error('weight scales: one per output channel');
  const mult = new Int32Array(outC);
  const shift = new Int32Array(outC);
  const fscale = new Float32Array(outC);
  for (let c = 0; c < outC; c++) {
    const ws = f32(p.weightScales.length === 1 ? p.weightScales[0] : p.weightScales[c]);
    // kernel_util.cc PopulateConvolutionQuantizationParams: double arithmetic on float scales.
    const q = quantizeMultiplier((f32(p.input.scale) * ws) / f32(p.output.scale));
    mult[c] = q.multiplier;
    shift[c] = q.shift;
    // convolution-nhwc.c: input_scale * kernel_scale[c] / output_scale, all float.
    fscale[c] = f32(f32(f32(p.input.scale) * ws) / f32(p.output.scale));
  }
  const range =
    p.runtime === 'xnnpack'
      ? xnnpackActivationRange(p.act, p.output.scale, p.output.zeroPoint)
      : calculateActivationRangeQuantized(p.act, p.output.scale, p.output.zeroPoint);
  const requant = p.runtime === 'xnnpack' ? 'fp32' : p.runtime === 'builtin' && !depthwise ? 'single' : 'double';
  return {
    runtime: p.runtime,
    depthwise,
    g: { ...g, outH: h.out, outW: w.out, padT: h.before, padL: w.before, multiplier: depthwise ? g.outC / g.inC : 1 },
    inputZp: p.input.zeroPoint,
    outputZp: p.output.zeroPoint,
    actMin: range.min,
    actMax: range.max,
    mult,
    shift,
    fscale,
    requant,
    xnnpackFails: p.runtime === 'xnnpack' && range.min >= range.max,
  };
}

/** Conv2D Prepare: weights (Cout, KH, KW, Cin). */
export function prepareConv2d(g: ConvGeometry, p: ConvParams): ConvPrepared {
  return prepare(g, p, false);
}

/** DepthwiseConv2D Prepare: weights (1, KH, KW, Cout), Cout = Cin * depth multiplier. */
export function prepareDepthwiseConv2d(g: ConvGeometry, p: ConvParams): ConvPrepared {
  if (g.outC % g.inC !== 0) throw new Error('depthwise: Cout must be a multiple of Cin');
  return prepare(g, p, true);
}

/** int32 accumulator -> int8 output with the prepared requantization and clamp. */
function requantize(pp: ConvPrepared, acc: number, c: number): number {
  let v: number;
  if (pp.requant === 'fp32') {
    // XNNPACK: float(acc) * scale in float, clamp to [min - zp, max - zp], round to nearest even.
    v = roundHalfEven(f32(f32(acc) * pp.fscale[c])) + pp.outputZp;
  } else if (pp.requant === 'single') {
    v = multiplyByQuantizedMultiplierSingleRounding(acc, pp.mult[c], pp.shift[c]) + pp.outputZp;
  } else {
    v = multiplyByQuantizedMultiplier(acc, pp.mult[c], pp.shift[c]) + pp.outputZp;
  }
  return v < pp.actMin ? pp.actMin : v > pp.actMax ? pp.actMax : v;
}

/**
 * Conv2D Eval. input (N, H, W, Cin) int8, weights (Cout, KH, KW, Cin) int8,
 * bias (Cout) int32 or null, output (N, OH, OW, Cout) int8.
 */
export function conv2d(pp: ConvPrepared, input: Int8Array, weights: Int8Array, bias: Int32Array | null, output: Int8Array): void {
  const { batch, inH, inW, inC, outC, kH, kW, stride, outH, outW, padT, padL } = pp.g;
  const zp = pp.inputZp;
  if (input.length !== batch * inH * inW * inC) throw new Error('conv2d: input size');
  if (weights.length !== outC * kH * kW * inC) throw new Error('conv2d: weights size');
  if (output.length !== batch * outH * outW * outC) throw new Error('conv2d: output size');
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * stride - padT;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * stride - padL;
        for (let c = 0; c < outC; c++) {
          let acc = 0;
          for (let ky = 0; ky < kH; ky++) {
            const iy = iy0 + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ix0 + kx;
              if (ix < 0 || ix >= inW) continue;
              const ib = ((b * inH + iy) * inW + ix) * inC;
              const wb = ((c * kH + ky) * kW + kx) * inC;
              for (let ic = 0; ic < inC; ic++) acc += weights[wb + ic] * (input[ib + ic] - zp);
            }
          }
          if (bias) acc += bias[c];
          output[o++] = requantize(pp, acc | 0, c);
        }
      }
    }
  }
}

/**
 * DepthwiseConv2D Eval. input (N, H, W, Cin) int8, weights (1, KH, KW, Cout) int8 with
 * Cout = Cin * m and output channel ic * m + j reading input channel ic, bias (Cout) int32 or
 * null, output (N, OH, OW, Cout) int8.
 */
export function depthwiseConv2d(pp: ConvPrepared, input: Int8Array, weights: Int8Array, bias: Int32Array | null, output: Int8Array): void {
  const { batch, inH, inW, inC, outC, kH, kW, stride, outH, outW, padT, padL, multiplier } = pp.g;
  const zp = pp.inputZp;
  if (input.length !== batch * inH * inW * inC) throw new Error('depthwise: input size');
  if (weights.length !== kH * kW * outC) throw new Error('depthwise: weights size');
  if (output.length !== batch * outH * outW * outC) throw new Error('depthwise: output size');
  const acc = new Int32Array(outC);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * stride - padT;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * stride - padL;
        if (bias) acc.set(bias);
        else acc.fill(0);
        for (let ky = 0; ky < kH; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < kW; kx++) {
            const ix = ix0 + kx;
            if (ix < 0 || ix >= inW) continue;
            const ib = ((b * inH + iy) * inW + ix) * inC;
            const wb = (ky * kW + kx) * outC;
            for (let ic = 0; ic < inC; ic++) {
              const x = input[ib + ic] - zp;
              for (let j = 0; j < multiplier; j++) {
                const c = ic * multiplier + j;
                acc[c] += weights[wb + c] * x;
              }
            }
          }
        }
        const ob = ((b * outH + oy) * outW + ox) * outC;
        for (let c = 0; c < outC; c++) output[ob + c] = requantize(pp, acc[c], c);
      }
    }
  }
}
