/* cmv3: the integer arithmetic of TFLite Micro's int8 reference kernels, exact, as static inline
 * functions. Every generated model and every kernel in this folder computes through these, so the
 * C output equals cmv3's int8 engine (src/deploy/int8/fixedpoint.ts) byte for byte. */
#ifndef CMV3_FIXEDPOINT_H_
#define CMV3_FIXEDPOINT_H_

#include <stdint.h>

/* gemmlowp SaturatingRoundingDoublingHighMul: trunc((a*b + nudge) / 2^31) with nudge 2^30 for a
 * non-negative product and 1 - 2^30 for a negative one. Both cases equal floor((a*b + 2^30) / 2^31)
 * (for a*b < 0, truncation is floor((t + 2^31 - 1) / 2^31)), so one add and an arithmetic shift
 * suffice; only INT32_MIN * INT32_MIN saturates. */
static inline int32_t cmv3_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  return (int32_t)(((int64_t)a * b + (1LL << 30)) >> 31);
}

/* gemmlowp RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero (0 <= e <= 31). */
static inline int32_t cmv3_rdbpot(int32_t x, int e) {
  const int32_t mask = (int32_t)((1LL << e) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* TFLite's MultiplyByQuantizedMultiplier (double rounding): shift > 0 is a left shift before the
 * multiply (wrapping, as the int32 product in C++ does), shift < 0 a rounding right shift after. */
static inline int32_t cmv3_mbqm(int32_t x, int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const int32_t xs = (int32_t)((uint32_t)x << left);
  return cmv3_rdbpot(cmv3_srdhm(xs, multiplier), right);
}

/* Requantize an accumulator to int8: multiplier, zero point, the fused activation's clamp. */
static inline int32_t cmv3_requant(int32_t acc, int32_t multiplier, int shift, int32_t zp, int32_t lo, int32_t hi) {
  int32_t v = cmv3_mbqm(acc, multiplier, shift) + zp;
  return v < lo ? lo : v > hi ? hi : v;
}

/* The same number as cmv3_mbqm for multiplier >= 0 (every multiplier TFLite computes), in fewer
 * instructions: with y = floor((x * m + n) / 2^31), n = -2^30 for x < 0 and right > 0, else 2^30,
 * the rounding right shift of the double-rounding result is (y >> right) + bit (right - 1) of y.
 * (The nested floors of the two roundings collapse: floor((floor(a / 2^31) + 2^(e-1)) / 2^e) is
 * floor((a + 2^(30+e)) / 2^(31+e)), and ties away from zero for a negative y become floor with
 * the nudge moved by -2^31, i.e. n = -2^30.) y fits in int32: |x * m| < 2^62. Checked against
 * cmv3_mbqm over edge and random values in test 56b. */
static inline int32_t cmv3_mbqm_pos(int32_t x, int32_t multiplier, int left, int right) {
  const int32_t xs = (int32_t)((uint32_t)x << left);
  /* 2^30, or -2^30 when xs < 0 and a right shift follows: one OR of the sign into bit 31 */
  const int32_t nudge = (int32_t)(((uint32_t)(right > 0 ? xs : 0) & 0x80000000u) | 0x40000000u);
  const int32_t y = (int32_t)(((int64_t)xs * multiplier + nudge) >> 31);
  return right > 0 ? (y >> right) + ((y >> (right - 1)) & 1) : y;
}

static inline int32_t cmv3_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

#endif /* CMV3_FIXEDPOINT_H_ */
