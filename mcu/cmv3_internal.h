/* cmv3: what the kernel files share and generated code does not need. */
#ifndef CMV3_INTERNAL_H_
#define CMV3_INTERNAL_H_

#include "cmv3_kernels.h"
#include "cmv3_fixedpoint.h"
#include "cmv3_simd.h"

/* A kernel body specialised by constant arguments at each call (kernel size, stride) */
#if defined(__GNUC__)
#define CMV3_INLINE static inline __attribute__((always_inline))
#else
#define CMV3_INLINE static inline
#endif

/* Output channel c's requantization, read once into registers: kernels hold these while they
 * store bytes (a store through int8_t * could alias the struct, so fields read per output would
 * be read again after every store). */
typedef struct {
  int32_t mult;
  int left, right;
  int32_t zp, lo, hi;
  const int8_t *lut;
} cmv3_rq_t;

static inline cmv3_rq_t cmv3_rq(const cmv3_conv_t *p, int c) {
  const int s = p->shift[c];
  const cmv3_rq_t q = { p->mult[c], s > 0 ? s : 0, s > 0 ? 0 : -s, p->out_zp, p->act_min, p->act_max, p->lut };
  return q;
}

/* An accumulator to its int8 output: requantize (TFLite Micro's double rounding), clamp, table. */
static inline int8_t cmv3_rq_out(const cmv3_rq_t *q, int32_t acc) {
  const int32_t v = cmv3_clamp(cmv3_mbqm_pos(acc, q->mult, q->left, q->right) + q->zp, q->lo, q->hi);
  return q->lut ? q->lut[(uint8_t)(int8_t)v] : (int8_t)v;
}

static inline int8_t cmv3_conv_out(const cmv3_conv_t *p, int32_t acc, int c) {
  const cmv3_rq_t q = cmv3_rq(p, c);
  return cmv3_rq_out(&q, acc);
}

/* The fast requantization: TFLite Micro's double rounding for a layer the compiler checked
 * (every shift -31..-1, so left = 0 and right = -shift >= 1; |acc| < 2^30 for any input).
 * rm1 = right - 1 (= ~shift), c1 = 1 + 2 * out_zp. Returns the int8 value before act clamp and
 * table (the layer's `tab` applies both). Why it is exact:
 * - SaturatingRoundingDoublingHighMul(acc, m) = floor((acc * m + 2^30) / 2^31) (see cmv3_srdhm)
 *   = floor((2 acc * m + 2^31) / 2^32): SMMULR of 2 acc, which fits in int32 as |acc| < 2^30;
 * - RoundingDivideByPOT(y, e >= 1) rounds half away from zero: floor((z + 2^(e-1)) / 2^e) with
 *   z = y - (y < 0) = y + (y >> 31), which is floor((floor(z / 2^(e-1)) + 1) / 2);
 * - adding out_zp inside that last halving (+ 2 zp) and SSAT #8 with ASR #1 clamp to int8 at once.
 * Checked against cmv3_mbqm in test 56b. */
static inline int32_t cmv3_rqf(int32_t acc, int32_t mult, int32_t rm1, int32_t c1) {
#if CMV3_DSP
  const int32_t y = cmv3_smmulr((int32_t)((uint32_t)acc << 1), mult);
  return cmv3_ssat8_asr1(((y + (y >> 31)) >> rm1) + c1);
#else
  const int32_t y = (int32_t)(((int64_t)acc * mult + (1LL << 30)) >> 31);
  return cmv3_clamp((((y + (y >> 31)) >> rm1) + c1) >> 1, -128, 127);
#endif
}

/* The next part of a kernel's scratch (cmv3_kernels.h: parts in order, each rounded up to 8). */
static inline int8_t *cmv3_take(int8_t **scratch, int32_t bytes) {
  int8_t *part = *scratch;
  *scratch += (bytes + 7) & ~7;
  return part;
}

#endif /* CMV3_INTERNAL_H_ */
