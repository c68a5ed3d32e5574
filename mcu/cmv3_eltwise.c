/* cmv3: the small int8 ops: AVERAGE_POOL_2D, MUL (squeeze-and-excite), ADD (residual), a table
 * activation, SOFTMAX. Each is TFLite Micro's reference arithmetic; MUL, ADD and the table may
 * write over an input (every output element depends on the same element of the inputs only). */
#include "cmv3_internal.h"

/* acc / count rounded to nearest, ties away from zero, with C's truncating division (TFLite) */
static inline int32_t pool_mean(int32_t acc, int32_t count) {
  const int32_t half = count / 2;
  return acc > 0 ? (acc + half) / count : (acc - half) / count;
}

#if CMV3_DSP
/* A global average (one window over the whole input, squeeze-and-excite and the head), 4
 * channels per word: SXTAB16 adds bytes 0 and 2 (ROR 8: 1 and 3) into 16-bit lanes, exact for
 * up to 256 pixels (|sum| <= 128 * 256), then the lanes move into 32-bit sums. */
static void global_pool4(const cmv3_avgpool_t *p, const int8_t *x, int8_t *y) {
  const int C = p->channels;
  const int32_t n = (int32_t)p->in_h * p->in_w;
  for (int c = 0; c < C; c += 4) {
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    const int8_t *xp = x + c;
    for (int32_t i = 0; i < n;) {
      const int32_t end = n - i > 256 ? i + 256 : n;
      int32_t e = 0, o = 0;
      for (; i < end; i++, xp += C) {
        const uint32_t v = cmv3_read32(xp);
        e = cmv3_sxtab16(e, v);
        o = cmv3_sxtab16_ror8(o, v);
      }
      s0 += (int16_t)(uint16_t)e; s2 += e >> 16;
      s1 += (int16_t)(uint16_t)o; s3 += o >> 16;
    }
    y[c] = (int8_t)cmv3_clamp(pool_mean(s0, n), p->act_min, p->act_max);
    y[c + 1] = (int8_t)cmv3_clamp(pool_mean(s1, n), p->act_min, p->act_max);
    y[c + 2] = (int8_t)cmv3_clamp(pool_mean(s2, n), p->act_min, p->act_max);
    y[c + 3] = (int8_t)cmv3_clamp(pool_mean(s3, n), p->act_min, p->act_max);
  }
}
#endif

void cmv3_avgpool(const cmv3_avgpool_t *p, const int8_t *x, int8_t *y) {
  const int C = p->channels, f = p->filter;
#if CMV3_DSP
  if (C % 4 == 0 && p->out_h == 1 && p->out_w == 1 && f == p->in_h && f == p->in_w && p->pad_t == 0 && p->pad_l == 0) {
    global_pool4(p, x, y);
    return;
  }
#endif
  for (int oy = 0; oy < p->out_h; oy++) {
    const int y0 = oy * p->stride - p->pad_t;
    const int fy0 = y0 < 0 ? -y0 : 0, fy1 = f < p->in_h - y0 ? f : p->in_h - y0;
    for (int ox = 0; ox < p->out_w; ox++) {
      const int x0 = ox * p->stride - p->pad_l;
      const int fx0 = x0 < 0 ? -x0 : 0, fx1 = f < p->in_w - x0 ? f : p->in_w - x0;
      const int32_t count = (fy1 - fy0) * (fx1 - fx0);
      int8_t *o = y + (oy * p->out_w + ox) * C;
      for (int c = 0; c < C; c++) {
        int32_t acc = 0;
        for (int fy = fy0; fy < fy1; fy++) {
          const int8_t *r = x + ((y0 + fy) * p->in_w + x0) * C + c;
          for (int fx = fx0; fx < fx1; fx++) acc += r[fx * C];
        }
        o[c] = (int8_t)cmv3_clamp(pool_mean(acc, count), p->act_min, p->act_max);
      }
    }
  }
}

void cmv3_mul(const cmv3_mul_t *p, const int8_t *x, const int8_t *g, int8_t *y) {
  const int32_t n = p->channels ? p->pixels * p->channels : p->pixels, C = p->channels ? p->channels : n;
  const int32_t x_zp = p->x_zp, g_zp = p->g_zp, lo = p->act_min, hi = p->act_max;
  if (p->shift <= -1 && p->shift >= -31) {
    /* |product| <= 255 * 255 < 2^30: the fast requantization applies to every element */
    const int32_t mult = p->mult, rm1 = ~(int32_t)p->shift, c1 = 1 + 2 * p->out_zp;
    for (int32_t i0 = 0; i0 < n; i0 += C) {
      const int8_t *xp = x + i0, *gp = p->channels ? g : g + i0;
      int8_t *yp = y + i0;
      for (int32_t c = 0; c < C; c++)
        yp[c] = (int8_t)cmv3_clamp(cmv3_rqf((xp[c] - x_zp) * (gp[c] - g_zp), mult, rm1, c1), lo, hi);
    }
    return;
  }
  for (int32_t i0 = 0; i0 < n; i0 += C) {
    const int8_t *xp = x + i0, *gp = p->channels ? g : g + i0;
    int8_t *yp = y + i0;
    for (int32_t c = 0; c < C; c++)
      yp[c] = (int8_t)cmv3_requant((xp[c] - x_zp) * (gp[c] - g_zp), p->mult, p->shift, p->out_zp, lo, hi);
  }
}

/* Each input's rescaled value ((v - zp) * 2^20, SRDHM, rounding shift) depends on its int8 value
 * only, so it is computed once per level into two 256-entry tables (`scratch`, 2,048 bytes);
 * an element is then two table reads, an add and the output's requantization. */
void cmv3_add(const cmv3_add_t *p, const int8_t *a, const int8_t *b, int8_t *y, int8_t *scratch) {
  int32_t *ta = (int32_t *)(void *)scratch + 128, *tb = ta + 256; /* indexed by the signed value */
  for (int32_t v = -128; v < 128; v++) {
    ta[v] = cmv3_rdbpot(cmv3_srdhm((int32_t)((uint32_t)(v - p->a_zp) << 20), p->a_mult), -p->a_shift);
    tb[v] = cmv3_rdbpot(cmv3_srdhm((int32_t)((uint32_t)(v - p->b_zp) << 20), p->b_mult), -p->b_shift);
  }
  const int32_t n = p->n, lo = p->act_min, hi = p->act_max;
  if (p->out_shift <= -1 && p->out_shift >= -31) {
    /* |sum| <= 2 * 255 * 2^20 < 2^30: the fast requantization applies */
    const int32_t mo = p->out_mult, rm1 = ~(int32_t)p->out_shift, c1 = 1 + 2 * p->out_zp;
    for (int32_t i = 0; i < n; i++) y[i] = (int8_t)cmv3_clamp(cmv3_rqf(ta[a[i]] + tb[b[i]], mo, rm1, c1), lo, hi);
    return;
  }
  for (int32_t i = 0; i < n; i++) {
    const int32_t sum = (int32_t)((uint32_t)ta[a[i]] + (uint32_t)tb[b[i]]);
    y[i] = (int8_t)cmv3_clamp(cmv3_rdbpot(cmv3_srdhm(sum, p->out_mult), -p->out_shift) + p->out_zp, lo, hi);
  }
}

void cmv3_lut(const int8_t *table, const int8_t *x, int8_t *y, int32_t n) {
  for (int32_t i = 0; i < n; i++) y[i] = table[(uint8_t)x[i]];
}

/* ---- SOFTMAX: gemmlowp fixed point (exp on negative values, 1 / (1 + x) by Newton-Raphson) */

static int32_t mul_by_pot(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out */
static int32_t exp_quarter(int32_t a) {
  const int32_t constant_term = 1895147668, one_third = 715827883;
  const int32_t x = (int32_t)((uint32_t)a + (1u << 28));
  const int32_t x2 = cmv3_srdhm(x, x), x3 = cmv3_srdhm(x2, x), x4 = cmv3_srdhm(x2, x2);
  const int32_t x4_over_4 = cmv3_rdbpot(x4, 2);
  const int32_t poly = cmv3_rdbpot((int32_t)((uint32_t)cmv3_srdhm((int32_t)((uint32_t)x4_over_4 + (uint32_t)x3), one_third) + (uint32_t)x2), 1);
  return (int32_t)((uint32_t)constant_term + (uint32_t)cmv3_srdhm(constant_term, (int32_t)((uint32_t)x + (uint32_t)poly)));
}

/* exp(a) for a Q5.26 a <= 0, Q0.31 result */
static int32_t exp_negative(int32_t a) {
  static const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int32_t quarter = 1 << 24;
  const int32_t mod_minus_quarter = (int32_t)((uint32_t)(a & (quarter - 1)) - (uint32_t)quarter);
  int32_t result = exp_quarter((int32_t)((uint32_t)mod_minus_quarter << 5));
  const int32_t remainder = (int32_t)((uint32_t)mod_minus_quarter - (uint32_t)a);
  for (int k = 0; k < 7; k++) if (remainder & (1 << (24 + k))) result = cmv3_srdhm(result, factors[k]);
  return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out */
static int32_t one_over_one_plus(int32_t a) {
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  int32_t x = (int32_t)(1515870810u + (uint32_t)cmv3_srdhm(half_denominator, -1010580540));
  const int32_t one = 1 << 29;
  for (int i = 0; i < 3; i++) {
    const int32_t one_minus_dx = (int32_t)((uint32_t)one - (uint32_t)cmv3_srdhm(half_denominator, x));
    x = (int32_t)((uint32_t)x + (uint32_t)mul_by_pot(cmv3_srdhm(x, one_minus_dx), 2));
  }
  return mul_by_pot(x, 1);
}

void cmv3_softmax(const cmv3_softmax_t *p, const int8_t *x, int8_t *y) {
  const int depth = p->depth;
  for (int32_t row = 0; row < p->rows; row++, x += depth, y += depth) {
    int32_t max = -128;
    for (int j = 0; j < depth; j++) if (x[j] > max) max = x[j];
    int32_t sum = 0; /* Q12.19 */
    for (int j = 0; j < depth; j++) {
      const int32_t d = x[j] - max;
      if (d >= p->diff_min) {
        const int32_t scaled = cmv3_srdhm((int32_t)((uint32_t)d << p->left_shift), p->multiplier);
        sum = (int32_t)((uint32_t)sum + (uint32_t)cmv3_rdbpot(exp_negative(scaled), 12));
      }
    }
    /* 1 / sum: normalise to [1, 2), invert */
    int headroom_plus_one = 0; /* leading zeros of sum (> 0: the row's maximum adds exp(0)) */
    while (headroom_plus_one < 32 && !((uint32_t)sum & (0x80000000u >> headroom_plus_one))) headroom_plus_one++;
    const int bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)sum << headroom_plus_one) - (1u << 31));
    const int32_t shifted_scale = one_over_one_plus(shifted_sum_minus_one);
    for (int j = 0; j < depth; j++) {
      const int32_t d = x[j] - max;
      if (d < p->diff_min) { y[j] = -128; continue; }
      const int32_t e = exp_negative(cmv3_srdhm((int32_t)((uint32_t)d << p->left_shift), p->multiplier));
      const int shift = bits_over_unit + 31 - 8;
      const int32_t prod = cmv3_srdhm(shifted_scale, e);
      const int32_t q = (shift >= 32 ? (prod >= 0 ? 1 : -1) : cmv3_rdbpot(prod, shift)) - 128;
      y[j] = (int8_t)cmv3_clamp(q, -128, 127);
    }
  }
}
