/* cmv3: CONV_2D. The 1x1 convolution (most of the MACs) multiplies raw inputs against a bias
 * with in_zp * sum(w) folded in at compile time; any other convolution copies each pixel's patch
 * into `cols` (padding filled with in_zp, so (x - in_zp) = 0 there, exactly as TFLite Micro's
 * reference ConvPerChannel skips those taps) and runs the same inner loop over the patch. */
#include "cmv3_internal.h"

/* Two pixels x0, x1 (n values each) against every output channel; weights (out_c, n). Both
 * pixels share each weight load. */
static void dot_pair(const cmv3_conv_t *p, int n, const int8_t *x0, const int8_t *x1, int8_t *o0, int8_t *o1) {
  const int co = p->out_c;
  const int8_t *w0 = p->w;
  int c = 0;
#if CMV3_DSP
  for (; c + 1 < co; c += 2, w0 += 2 * n) {
    const int8_t *w1 = w0 + n;
    int32_t a00 = p->bias[c], a01 = p->bias[c + 1], a10 = a00, a11 = a01;
    int k = 0;
    for (; k + 4 <= n; k += 4) {
      const uint32_t vx0 = cmv3_read32(x0 + k), vx1 = cmv3_read32(x1 + k);
      const uint32_t vw0 = cmv3_read32(w0 + k), vw1 = cmv3_read32(w1 + k);
      const int32_t x0e = cmv3_sxtb16(vx0), x0o = cmv3_sxtb16_ror8(vx0);
      const int32_t x1e = cmv3_sxtb16(vx1), x1o = cmv3_sxtb16_ror8(vx1);
      const int32_t w0e = cmv3_sxtb16(vw0), w0o = cmv3_sxtb16_ror8(vw0);
      const int32_t w1e = cmv3_sxtb16(vw1), w1o = cmv3_sxtb16_ror8(vw1);
      a00 = cmv3_smlad(x0e, w0e, a00); a00 = cmv3_smlad(x0o, w0o, a00);
      a01 = cmv3_smlad(x0e, w1e, a01); a01 = cmv3_smlad(x0o, w1o, a01);
      a10 = cmv3_smlad(x1e, w0e, a10); a10 = cmv3_smlad(x1o, w0o, a10);
      a11 = cmv3_smlad(x1e, w1e, a11); a11 = cmv3_smlad(x1o, w1o, a11);
    }
    for (; k < n; k++) {
      a00 += w0[k] * x0[k]; a01 += w1[k] * x0[k];
      a10 += w0[k] * x1[k]; a11 += w1[k] * x1[k];
    }
    const cmv3_rq_t q0 = cmv3_rq(p, c), q1 = cmv3_rq(p, c + 1);
    o0[c] = cmv3_rq_out(&q0, a00); o0[c + 1] = cmv3_rq_out(&q1, a01);
    o1[c] = cmv3_rq_out(&q0, a10); o1[c + 1] = cmv3_rq_out(&q1, a11);
  }
#endif
  for (; c < co; c++, w0 += n) {
    int32_t a0 = p->bias[c], a1 = a0;
    for (int k = 0; k < n; k++) { a0 += w0[k] * x0[k]; a1 += w0[k] * x1[k]; }
    const cmv3_rq_t q = cmv3_rq(p, c);
    o0[c] = cmv3_rq_out(&q, a0);
    o1[c] = cmv3_rq_out(&q, a1);
  }
}

/* One pixel (an odd count's last, or a 1x1 image). */
static void dot_one(const cmv3_conv_t *p, int n, const int8_t *x0, int8_t *o0) {
  const int co = p->out_c;
  const int8_t *w = p->w;
  for (int c = 0; c < co; c++, w += n) {
    int32_t a = p->bias[c];
    int k = 0;
#if CMV3_DSP
    for (; k + 4 <= n; k += 4) {
      const uint32_t vx = cmv3_read32(x0 + k), vw = cmv3_read32(w + k);
      a = cmv3_smlad(cmv3_sxtb16(vx), cmv3_sxtb16(vw), a);
      a = cmv3_smlad(cmv3_sxtb16_ror8(vx), cmv3_sxtb16_ror8(vw), a);
    }
#endif
    for (; k < n; k++) a += w[k] * x0[k];
    o0[c] = cmv3_conv_out(p, a, c);
  }
}

void cmv3_pointwise(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int32_t pixels, int8_t *stage) {
  const int ci = p->in_c, co = p->out_c;
  int32_t px = 0;
  for (; px + 1 < pixels; px += 2) {
    const int8_t *x0 = x + px * ci;
    int8_t *o = stage ? stage : y + px * co;
    dot_pair(p, ci, x0, x0 + ci, o, o + co);
    /* staged: both pixels are read whole before their outputs land over them */
    if (stage) memcpy(y + px * co, stage, (size_t)(2 * co));
  }
  if (px < pixels) {
    int8_t *o = stage ? stage : y + px * co;
    dot_one(p, ci, x + px * ci, o);
    if (stage) memcpy(y + px * co, stage, (size_t)co);
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

void cmv3_conv(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int8_t *cols) {
  const int n = p->k_h * p->k_w * p->in_c, co = p->out_c;
  const int32_t pixels = (int32_t)p->out_h * p->out_w;
  for (int32_t px = 0; px < pixels; px += 2) {
    const int oy = px / p->out_w, ox = px % p->out_w;
    patch(p, x, oy, ox, cols);
    if (px + 1 < pixels) {
      patch(p, x, (px + 1) / p->out_w, (px + 1) % p->out_w, cols + n);
      dot_pair(p, n, cols, cols + n, y + px * co, y + (px + 1) * co);
    } else {
      dot_one(p, n, cols, y + px * co);
    }
  }
}
