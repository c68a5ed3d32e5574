/* cmv3: CONV_2D. The 1x1 convolution (most of the MACs) multiplies raw inputs against a bias
 * with in_zp * sum(w) folded in at compile time; any other convolution copies each pixel's patch
 * into scratch (padding filled with in_zp, so (x - in_zp) = 0 there, exactly as TFLite Micro's
 * reference ConvPerChannel skips those taps) and runs the same kernel over the patch.
 * The kernel takes two pixels against two output channels at a time: the pixels are widened to
 * int16 once per pair (DSP) and reused for every channel, the weights of both channels sit side
 * by side (cmv3_kernels.h), so the inner loop is 3 double-word loads, 4 sign extensions and
 * 8 dual multiply-accumulates per 16 MACs. */
#include "cmv3_internal.h"

/* Two pixels' n values into the pair buffer: per block of 4 values, pixel 0's (x0, x2) and
 * (x1, x3) as int16 pairs, then pixel 1's (DSP); the int8 values, pixel 1 at n rounded up to 4,
 * zeros past n (portable). Reading both first lets the outputs land over them (in place). */
static void load_pair(const int8_t *x0, const int8_t *x1, int n, int8_t *pair) {
#if CMV3_DSP
  cmv3_w32 *e = (cmv3_w32 *)(void *)pair;
  int k = 0;
  for (; k + 4 <= n; k += 4, e += 4) {
    const uint32_t a = cmv3_read32(x0 + k), b = cmv3_read32(x1 + k);
    e[0] = cmv3_sxtb16(a); e[1] = cmv3_sxtb16_ror8(a);
    e[2] = cmv3_sxtb16(b); e[3] = cmv3_sxtb16_ror8(b);
  }
  if (k < n) {
    uint32_t a = 0, b = 0; /* little-endian: byte j of the word is value k + j */
    memcpy(&a, x0 + k, (size_t)(n - k));
    memcpy(&b, x1 + k, (size_t)(n - k));
    e[0] = cmv3_sxtb16(a); e[1] = cmv3_sxtb16_ror8(a);
    e[2] = cmv3_sxtb16(b); e[3] = cmv3_sxtb16_ror8(b);
  }
#else
  const int n4 = (n + 3) & ~3;
  memset(pair, 0, (size_t)(2 * n4));
  memcpy(pair, x0, (size_t)n);
  memcpy(pair + n4, x1, (size_t)n);
#endif
}

/* Output channels c and c + 1 of both pixels: requantized (fast or TFLite Micro's general
 * path), stored (channel c + 1 only when it exists). */
static inline void store_quad(const cmv3_conv_t *p, int c, int co, const int8_t *tab, int32_t c1,
                              int32_t a00, int32_t a01, int32_t a10, int32_t a11, int8_t *o0, int8_t *o1) {
  const int second = c + 1 < co;
  if (tab) {
    const int32_t m0 = p->mult[c], m1 = p->mult[c + 1];
    const int32_t r0 = ~(int32_t)p->shift[c], r1 = ~(int32_t)p->shift[c + 1];
    o0[c] = tab[cmv3_rqf(a00, m0, r0, c1)];
    o1[c] = tab[cmv3_rqf(a10, m0, r0, c1)];
    if (second) {
      o0[c + 1] = tab[cmv3_rqf(a01, m1, r1, c1)];
      o1[c + 1] = tab[cmv3_rqf(a11, m1, r1, c1)];
    }
  } else {
    const cmv3_rq_t q0 = cmv3_rq(p, c);
    o0[c] = cmv3_rq_out(&q0, a00);
    o1[c] = cmv3_rq_out(&q0, a10);
    if (second) {
      const cmv3_rq_t q1 = cmv3_rq(p, c + 1);
      o0[c + 1] = cmv3_rq_out(&q1, a01);
      o1[c + 1] = cmv3_rq_out(&q1, a11);
    }
  }
}

/* The pair in `pair` (load_pair) against every output channel; o1 may equal o0 (one pixel). */
static void dot_pair(const cmv3_conv_t *p, int n, const int8_t *pair, int8_t *o0, int8_t *o1) {
  const int co = p->out_c, blocks = (n + 3) / 4;
  /* read once: a byte store could alias the layer's struct as far as C knows */
  const int8_t *const tab = p->tab ? p->tab + 128 : 0; /* indexed by the signed value */
  const int32_t c1 = 1 + 2 * p->out_zp;
#if CMV3_DSP
  const cmv3_w32 *w = (const cmv3_w32 *)(const void *)p->w;
  for (int c = 0; c < co; c += 2) {
    int32_t a00 = p->bias[c], a01 = p->bias[c + 1], a10 = a00, a11 = a01;
    const cmv3_w32 *x = (const cmv3_w32 *)(const void *)pair;
#pragma GCC unroll 2
    for (int b = 0; b < blocks; b++, x += 4, w += 2) {
      const int32_t wa = w[0], wb = w[1];
      const int32_t wae = cmv3_sxtb16((uint32_t)wa), wao = cmv3_sxtb16_ror8((uint32_t)wa);
      const int32_t wbe = cmv3_sxtb16((uint32_t)wb), wbo = cmv3_sxtb16_ror8((uint32_t)wb);
      const int32_t x0e = x[0], x0o = x[1], x1e = x[2], x1o = x[3];
      a00 = cmv3_smlad(x0e, wae, a00); a00 = cmv3_smlad(x0o, wao, a00);
      a01 = cmv3_smlad(x0e, wbe, a01); a01 = cmv3_smlad(x0o, wbo, a01);
      a10 = cmv3_smlad(x1e, wae, a10); a10 = cmv3_smlad(x1o, wao, a10);
      a11 = cmv3_smlad(x1e, wbe, a11); a11 = cmv3_smlad(x1o, wbo, a11);
    }
    store_quad(p, c, co, tab, c1, a00, a01, a10, a11, o0, o1);
  }
#else
  const int8_t *x0 = pair, *x1 = pair + 4 * blocks, *w = p->w;
  for (int c = 0; c < co; c += 2) {
    int32_t a00 = p->bias[c], a01 = p->bias[c + 1], a10 = a00, a11 = a01;
    for (int b = 0; b < blocks; b++, w += 8) {
      for (int j = 0; j < 4; j++) {
        const int32_t v0 = x0[4 * b + j], v1 = x1[4 * b + j];
        a00 += w[j] * v0; a01 += w[4 + j] * v0;
        a10 += w[j] * v1; a11 += w[4 + j] * v1;
      }
    }
    store_quad(p, c, co, tab, c1, a00, a01, a10, a11, o0, o1);
  }
#endif
}

void cmv3_pointwise(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int32_t pixels, int8_t *scratch) {
  const int ci = p->in_c, co = p->out_c;
  for (int32_t px = 0; px < pixels; px += 2) {
    const int8_t *x0 = x + px * ci;
    const int both = px + 1 < pixels;
    /* an odd last pixel runs as a pair with itself, both outputs to the same bytes */
    load_pair(x0, both ? x0 + ci : x0, ci, scratch);
    int8_t *o0 = y + px * co;
    dot_pair(p, ci, scratch, o0, both ? o0 + co : o0);
  }
}

/* The patch of output pixel (oy, ox): k_h x k_w x in_c values, in_zp where it leaves the image. */
static void patch(const cmv3_conv_t *p, const int8_t *x, int oy, int ox, int8_t *col) {
  const int in_c = p->in_c, row = p->k_w * in_c;
  const int iy0 = oy * p->stride - p->pad_t, ix0 = ox * p->stride - p->pad_l;
  for (int ky = 0; ky < p->k_h; ky++, col += row) {
    const int iy = iy0 + ky;
    if (iy < 0 || iy >= p->in_h) { memset(col, p->in_zp, (size_t)row); continue; }
    for (int kx = 0; kx < p->k_w; kx++) {
      const int ix = ix0 + kx;
      if (ix < 0 || ix >= p->in_w) memset(col + kx * in_c, p->in_zp, (size_t)in_c);
      else memcpy(col + kx * in_c, x + (iy * p->in_w + ix) * in_c, (size_t)in_c);
    }
  }
}

void cmv3_conv(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int8_t *scratch) {
  const int n = p->k_h * p->k_w * p->in_c, n4 = (n + 3) & ~3, co = p->out_c;
  int8_t *cols = cmv3_take(&scratch, 2 * n4), *pair = cmv3_take(&scratch, CMV3_PAIR_BYTES(n));
  const int32_t pixels = (int32_t)p->out_h * p->out_w;
  for (int32_t px = 0; px < pixels; px += 2) {
    const int both = px + 1 < pixels;
    patch(p, x, px / p->out_w, px % p->out_w, cols);
    if (both) patch(p, x, (px + 1) / p->out_w, (px + 1) % p->out_w, cols + n4);
    load_pair(cols, both ? cols + n4 : cols, n, pair);
    int8_t *o0 = y + px * co;
    dot_pair(p, n, pair, o0, both ? o0 + co : o0);
  }
}
