// Integer arithmetic of TensorFlow Lite's quantized kernels, bit for bit.
//
// Sources ported (TF 2.8-2.12 era; these functions did not change in that span):
// - quantizeMultiplier & co: tensorflow/lite/kernels/internal/quantization_util.cc
//   (QuantizeMultiplier, QuantizeMultiplierSmallerThanOneExp), built without
//   TFLITE_EMULATE_FLOAT and without TFLITE_SINGLE_ROUNDING.
// - saturatingRoundingDoublingHighMul, roundingDivideByPOT: gemmlowp fixedpoint/fixedpoint.h.
// - multiplyByQuantizedMultiplier*: tensorflow/lite/kernels/internal/common.h (double rounding).
// - multiplyByQuantizedMultiplierSingleRounding: ruy/apply_multiplier.cc, which is what the
//   builtin CONV_2D reaches through cpu_backend_gemm -> ruy (not the TFLite function above).
// - calculateActivationRangeQuantized: tensorflow/lite/kernels/kernel_util.cc.
//
// Everything per element avoids BigInt: a 32x32-bit product is split so every double
// intermediate stays below 2^53 and is therefore exact.

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_31 = 2147483648;
const TWO_32 = 4294967296;

export interface QuantizedMultiplier {
  /** Q31 fixed-point significand in [2^30, 2^31) (0 for a zero or flushed multiplier). */
  multiplier: number;
  /** Power-of-two exponent: positive is a left shift, negative a right shift. */
  shift: number;
}

// ---------------------------------------------------------------------------------------------
// Float helpers. Math.fround after every float op reproduces C float arithmetic exactly for
// + - * / (the double result rounded once more to float is the correctly rounded float result,
// since 53 >= 2*24 + 2).

export const f32 = Math.fround;

/** std::round / roundf / TfLiteRound: nearest, ties away from zero. */
export function roundHalfAway(x: number): number {
  const a = Math.abs(x);
  let r = Math.floor(a);
  if (a - r >= 0.5) r += 1;
  return x < 0 ? -r : r;
}

/** lrintf / nearbyint under the default rounding mode: nearest, ties to even. */
export function roundHalfEven(x: number): number {
  let r = Math.round(x); // ties toward +inf
  if (r - x === 0.5 && r % 2 !== 0) r -= 1;
  return r;
}

const scratch = new DataView(new ArrayBuffer(8));

/** std::frexp for finite doubles: x = q * 2^e with |q| in [0.5, 1) (q = 0, e = 0 for x = 0). */
export function frexp(x: number): { q: number; e: number } {
  if (x === 0 || !Number.isFinite(x)) return { q: x, e: 0 };
  let bias = 0;
  if (Math.abs(x) < 2.2250738585072014e-308) {
    x *= 18446744073709551616; // 2^64: bring a subnormal into the normal range
    bias = -64;
  }
  scratch.setFloat64(0, x);
  const hi = scratch.getUint32(0);
  const exp = (hi >>> 20) & 0x7ff;
  scratch.setUint32(0, (hi & 0x800fffff) | (1022 << 20)); // exponent of [0.5, 1)
  return { q: scratch.getFloat64(0), e: exp - 1022 + bias };
}

// ---------------------------------------------------------------------------------------------
// Prepare-time: multipliers.

/** quantization_util.cc QuantizeMultiplier (frexp, round, the 2^31 edge, flush below 2^-31). */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (real === 0) return { multiplier: 0, shift: 0 };
  const { q, e } = frexp(real);
  let shift = e;
  let qFixed = roundHalfAway(q * TWO_31);
  if (Math.abs(qFixed) > TWO_31) throw new Error(`quantizeMultiplier: ${real}`);
  if (qFixed === TWO_31) {
    qFixed /= 2;
    shift += 1;
  }
  if (qFixed > INT32_MAX) throw new Error(`quantizeMultiplier: ${real}`); // TFLITE_CHECK_LE
  if (shift < -31) {
    shift = 0;
    qFixed = 0;
  }
  return { multiplier: qFixed, shift };
}

/** QuantizeMultiplierSmallerThanOneExp: same numbers, checked to be a right shift. */
export function quantizeMultiplierSmallerThanOneExp(real: number): QuantizedMultiplier {
  if (!(real < 1 && real > 0)) throw new Error(`multiplier ${real} not in (0, 1)`);
  const m = quantizeMultiplier(real);
  if (m.shift > 0) throw new Error(`multiplier ${real}: shift ${m.shift} > 0`);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Per-element: gemmlowp fixed point, int32.

/**
 * gemmlowp SaturatingRoundingDoublingHighMul(int32 a, int32 b):
 * trunc((a*b + nudge) / 2^31), nudge = a*b >= 0 ? 2^30 : 1 - 2^30, INT32_MIN^2 saturates.
 * The 62-bit product is taken as a*bh*2^16 + a*bl with exact doubles.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const bh = b >> 16; // signed high half
  const bl = b & 0xffff; // unsigned low half
  const p1 = a * bh; // |p1| <= 2^46
  const nonNegative = a === 0 || b === 0 || (a > 0) === (b > 0);
  const p0 = a * bl + (nonNegative ? 1073741824 : -1073741823); // |p0| < 2^48
  // total = p1 * 2^16 + p0 = q1 * 2^31 + s with q1 = floor(p1 / 2^15)
  const q1 = Math.floor(p1 / 32768);
  const s = (p1 - q1 * 32768) * 65536 + p0; // exact, |s| < 2^49
  const qs = Math.floor(s / TWO_31);
  const floorDiv = q1 + qs;
  const rem = s - qs * TWO_31; // total = floorDiv * 2^31 + rem, 0 <= rem < 2^31
  // C++ integer division truncates toward zero.
  return floorDiv < 0 && rem !== 0 ? floorDiv + 1 : floorDiv;
}

/** gemmlowp RoundingDivideByPOT: arithmetic shift right, rounding to nearest, ties away from 0. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = exponent >= 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** common.h MultiplyByQuantizedMultiplier(int32 x, ...) without TFLITE_SINGLE_ROUNDING. */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  // x * (1 << left_shift) is an int32 product in C++ (it wraps in practice).
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(left ? Math.imul(x, 1 << left) : x, multiplier), right);
}

/** common.h MultiplyByQuantizedMultiplierSmallerThanOneExp (left_shift <= 0). */
export function multiplyByQuantizedMultiplierSmallerThanOneExp(x: number, multiplier: number, leftShift: number): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -leftShift);
}

/** common.h MultiplyByQuantizedMultiplierGreaterThanOne. */
export function multiplyByQuantizedMultiplierGreaterThanOne(x: number, multiplier: number, leftShift: number): number {
  return saturatingRoundingDoublingHighMul(Math.imul(x, 1 << leftShift), multiplier);
}

/**
 * ruy/apply_multiplier.cc MultiplyByQuantizedMultiplier: a single rounding,
 * (x * m + 2^(s-1)) >> s with s = 31 - shift (ties toward +inf). This is the requantization
 * of TFLite's builtin CONV_2D (optimized_integer_ops::ConvPerChannel -> cpu_backend_gemm ->
 * ruy), which is not the double-rounding function above.
 */
export function multiplyByQuantizedMultiplierSingleRounding(x: number, multiplier: number, shift: number): number {
  const total = 31 - shift; // 24..62 in practice
  // prod = x * m = hi * 2^32 + lo exactly (0 <= lo < 2^32).
  const mh = multiplier >> 16;
  const ml = multiplier & 0xffff;
  const p1 = x * mh;
  const q1 = Math.floor(p1 / 65536);
  const t = (p1 - q1 * 65536) * 65536 + x * ml; // |t| < 2^49
  const th = Math.floor(t / TWO_32);
  let lo = t - th * TWO_32;
  let hi = q1 + th;
  if (total - 1 >= 32) hi += 2 ** (total - 33);
  else {
    lo += 2 ** (total - 1);
    if (lo >= TWO_32) {
      lo -= TWO_32;
      hi += 1;
    }
  }
  if (total >= 32) return Math.floor(hi / 2 ** (total - 32));
  return hi * 2 ** (32 - total) + Math.floor(lo / 2 ** total);
}

// ---------------------------------------------------------------------------------------------
// int16 variants used by HardSwish (reference_ops::HardSwish and its helpers).

/** gemmlowp SaturatingRoundingDoublingHighMul(int16, int16). */
export function saturatingRoundingDoublingHighMul16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b;
  const nudge = ab >= 0 ? 16384 : 1 - 16384;
  return Math.trunc((ab + nudge) / 32768);
}

/** reference_ops SaturatingDoublingHighMul(int16, int16): SQDMULH, truncating. */
export function saturatingDoublingHighMul16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return Math.trunc((a * b) / 32768);
}

/** reference_ops SaturatingLeftShift(int16 value, int amount). */
export function saturatingLeftShift16(value: number, amount: number): number {
  const r = value * 2 ** amount;
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** activations.cc DownScaleInt32ToInt16Multiplier. */
export function downScaleInt32ToInt16Multiplier(m: number): number {
  if (m < 0) throw new Error('negative multiplier');
  if (m >= INT32_MAX - 32768) return 32767;
  return (m + 32768) >> 16;
}

// ---------------------------------------------------------------------------------------------
// Activation ranges.

export type FusedActivation = 'NONE' | 'RELU' | 'RELU6';

/** kernel_util.cc CalculateActivationRangeQuantized for int8 outputs (float divide, roundf). */
export function calculateActivationRangeQuantized(
  act: FusedActivation,
  scale: number,
  zeroPoint: number,
): { min: number; max: number } {
  const quantize = (f: number) => zeroPoint + roundHalfAway(f32(f / f32(scale)));
  if (act === 'RELU') return { min: Math.max(-128, quantize(0)), max: 127 };
  if (act === 'RELU6') return { min: Math.max(-128, quantize(0)), max: Math.min(127, quantize(6)) };
  return { min: -128, max: 127 };
}

/**
 * XNNPACK's output range for a fused activation: the delegate passes float bounds and
 * XNNPACK quantizes them with xnn_qs8_quantize (lrintf(val / scale + zero_point), clamped).
 */
export function xnnpackActivationRange(act: FusedActivation, scale: number, zeroPoint: number): { min: number; max: number } {
  const q = (v: number) => {
    const y = f32(f32(v / f32(scale)) + zeroPoint);
    return roundHalfEven(Math.min(Math.max(y, -128), 127));
  };
  if (act === 'RELU') return { min: q(0), max: 127 };
  if (act === 'RELU6') return { min: q(0), max: q(6) };
  return { min: -128, max: 127 };
}
