/* cmv3: what the kernel files share and generated code does not need. */
#ifndef CMV3_INTERNAL_H_
#define CMV3_INTERNAL_H_

#include "cmv3_kernels.h"
#include "cmv3_fixedpoint.h"
#include "cmv3_simd.h"

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

#endif /* CMV3_INTERNAL_H_ */
