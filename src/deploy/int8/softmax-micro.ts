// SOFTMAX on int8 as TensorFlow Lite Micro computes it: fixed point throughout (gemmlowp's
// arithmetic), no float table. TFLite Micro's reference kernel (reference_integer_ops::Softmax,
// Prepare in softmax_common.cc) and CMSIS-NN's arm_softmax_s8 are the same arithmetic; desktop
// TFLite's int8 SOFTMAX (activations.ts) uses a float lookup table instead, so the two differ in
// the last bit now and then. This is the 'reference' runtime's SOFTMAX (what a board computes).
//
//   Prepare: multiplier/shift for beta * input_scale * 2^(31 - 5) (QuantizeMultiplierGreaterThanOne
//            after PreprocessSoftmaxScaling), diff_min = -floor((2^5 - 1) * 2^26 / 2^shift).
//   Eval per row: d = x - max; for d >= diff_min, e = exp(d) in Q0.31 from its Q5.26 argument;
//            sum the e / 2^12 (Q12.19), take 1/sum by Newton-Raphson, and out = e * (1/sum)
//            rounded to 8 bits - 128; entries below diff_min give -128.
import { INT32_MAX, INT32_MIN, quantizeMultiplier, roundingDivideByPOT,
  saturatingRoundingDoublingHighMul as mulSat } from './fixedpoint.js';
import { ExportError } from '../lower.js';
import type { TensorQuant } from './conv.js';

const SCALED_DIFF_INTEGER_BITS = 5;
const ACCUMULATION_INTEGER_BITS = 12;

export interface SoftmaxMicroPrepared {
  multiplier: number;
  leftShift: number;
  diffMin: number;
}

/** softmax_common.cc CalculateSoftmaxParams for int8 input and output (scale 1/256, zero point -128). */
export function prepareSoftmaxMicro(input: TensorQuant, beta: number): SoftmaxMicroPrepared {
  // PreprocessSoftmaxScaling (double arithmetic, without TFLITE_SINGLE_ROUNDING)
  const real = Math.min(Math.fround(beta) * Math.fround(input.scale) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
  if (!(real > 1)) throw new ExportError(`SOFTMAX: beta x input scale ${beta * input.scale} is too small for TFLite Micro's fixed point (input multiplier ${real} <= 1)`, 'ERR_TFLITE_UNSUPPORTED');
  const { multiplier, shift } = quantizeMultiplier(real);
  if (shift < 0) throw new ExportError(`SOFTMAX: negative input shift ${shift}`, 'ERR_TFLITE_UNSUPPORTED');
  // CalculateInputRadius(5, shift): floor((2^5 - 1) * 2^(31 - 5) / 2^shift)
  const radius = Math.floor(((2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** shift);
  return { multiplier, leftShift: shift, diffMin: -radius };
}

/** gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0. */
function mulByPot(x: number, exponent: number): number {
  const threshold = 2 ** (31 - exponent) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** exponent;
}

// exp(a) on [-1/4, 0) in Q0.31 (gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl)
function expOnQuarterInterval(a: number): number {
  const constantTerm = 1895147668; // exp(-1/8)
  const oneThird = 715827883;
  const x = (a + (1 << 28)) | 0; // a + 1/8 in Q0.31
  const x2 = mulSat(x, x), x3 = mulSat(x2, x), x4 = mulSat(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT((mulSat((x4Over4 + x3) | 0, oneThird) + x2) | 0, 1);
  return (constantTerm + mulSat(constantTerm, (x + poly) | 0)) | 0;
}

/** gemmlowp exp_on_negative_values for a Q5.26 argument <= 0; Q0.31 result. */
export function expOnNegativeValues(a: number): number {
  const quarter = 1 << 24; // 1/4 in Q5.26
  const aModQuarterMinusQuarter = ((a & (quarter - 1)) - quarter) | 0;
  let result = expOnQuarterInterval((aModQuarterMinusQuarter << 5) | 0);
  const remainder = (aModQuarterMinusQuarter - a) | 0;
  // exp(-2^k) for k = -2..4, applied for each bit of the remainder
  const factors = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242];
  for (let k = 0; k < factors.length; k++) {
    if (remainder & (1 << (24 + k))) result = mulSat(result, factors[k]);
  }
  return a === 0 ? INT32_MAX : result;
}

/** gemmlowp one_over_one_plus_x_for_x_in_0_1 (Q0.31 in and out) by three Newton-Raphson steps. */
function oneOverOnePlusX(a: number): number {
  const sum = a + INT32_MAX; // RoundingHalfSum(a, 1): (a + b + sign) / 2, truncating
  const halfDenominator = Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
  let x = (1515870810 + mulSat(halfDenominator, -1010580540)) | 0; // 48/17 - 32/17 d, Q2.29
  const one = 1 << 29; // 1 in Q2.29
  for (let i = 0; i < 3; i++) {
    const oneMinusDx = (one - mulSat(halfDenominator, x)) | 0;
    x = (x + mulByPot(mulSat(x, oneMinusDx), 2)) | 0;
  }
  return mulByPot(x, 1); // x / 2 in Q1.30 read as Q0.31
}

/**
 * RoundingDivideByPOT, extended to the shifts of 32 and more that rows of 512+ entries near their
 * maximum reach (a sum of exps of 2^28 or more). That shift is undefined behaviour in C; compiled
 * for an Arm core the reference code's generic path gives 1 for x >= 0 (-127 after the offset),
 * so that is what cmv3 gives. cmv3's own models have 10 classes and never get there.
 */
function divideByPOT(x: number, exponent: number): number {
  return exponent >= 32 ? (x >= 0 ? 1 : -1) : roundingDivideByPOT(x, exponent);
}

/** reference_integer_ops::Softmax<int8, int8> over the last dimension: input/output (outer, depth). */
export function softmaxInt8Micro(pp: SoftmaxMicroPrepared, input: Int8Array, output: Int8Array, depth: number): void {
  const scaled = (d: number) => mulSat(d * 2 ** pp.leftShift, pp.multiplier); // MultiplyByQuantizedMultiplierGreaterThanOne
  for (let base = 0; base < input.length; base += depth) {
    let max = -128;
    for (let j = 0; j < depth; j++) if (input[base + j] > max) max = input[base + j];
    let sum = 0; // Q12.19
    for (let j = 0; j < depth; j++) {
      const d = input[base + j] - max;
      if (d >= pp.diffMin) sum = (sum + roundingDivideByPOT(expOnNegativeValues(scaled(d)), ACCUMULATION_INTEGER_BITS)) | 0;
    }
    // GetReciprocal(sum, 12): normalise sum to [1, 2) and invert
    const headroomPlusOne = Math.clz32(sum);
    const bitsOverUnit = ACCUMULATION_INTEGER_BITS - headroomPlusOne;
    const shiftedSumMinusOne = ((sum << headroomPlusOne) - INT32_MIN) | 0; // (uint32)(sum << h) - 2^31
    const shiftedScale = oneOverOnePlusX(shiftedSumMinusOne);
    for (let j = 0; j < depth; j++) {
      const d = input[base + j] - max;
      if (d < pp.diffMin) { output[base + j] = -128; continue; }
      const e = expOnNegativeValues(scaled(d));
      const q = divideByPOT(mulSat(shiftedScale, e), bitsOverUnit + 31 - 8) - 128;
      output[base + j] = q > 127 ? 127 : q < -128 ? -128 : q;
    }
  }
}

