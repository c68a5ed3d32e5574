/* cmv3: DEPTHWISE_CONV_2D (output channel ic * ch_mult + j reads input channel ic), one output
 * row at a time from a list of input row pointers, so the same kernel runs in place over its
 * input, feeds the next 1x1 convolution row by row, or reads the rows of the 1x1 convolution
 * before it from a small ring. acc = bias[c] + sum w * (x - in_zp) over the taps inside the image
 * (TFLite Micro's reference DepthwiseConvPerChannel). */
#include "cmv3_internal.h"

#define CMV3_MAX_KERNEL 16

/* Output row oy from rows[ky] = input row oy * stride - pad_t + ky (NULL outside the image).
 * Channels outer, pixels inner, so each channel's requantization stays in registers across the
 * row. Output channel c reads input channel c / ch_mult, or c % in_c when planar. */
static void depthwise_row(const cmv3_conv_t *p, const int8_t *const *rows, int8_t *o) {
  const int in_c = p->in_c, in_w = p->in_w, out_c = p->out_c, out_w = p->out_w, k_w = p->k_w;
  const int m = p->ch_mult, planar = p->planar, stride = p->stride, pad_l = p->pad_l;
  const int32_t in_zp = p->in_zp;
  int ky0 = 0, ky1 = p->k_h;
  while (ky0 < ky1 && !rows[ky0]) ky0++;
  while (ky1 > ky0 && !rows[ky1 - 1]) ky1--;
  int c = 0;
#if CMV3_DSP
  if ((m == 1 || planar) && in_c % 4 == 0) {
    /* four channels per step: x - zp for two lanes in one SXTAB16, one 16x16 MAC per channel */
    const int32_t nzp = (int32_t)(((uint32_t)(uint16_t)(-in_zp) << 16) | (uint16_t)(-in_zp));
    for (; c + 4 <= out_c; c += 4) {
      const int ic = m == 1 ? c : c % in_c;
      const cmv3_rq_t q0 = cmv3_rq(p, c), q1 = cmv3_rq(p, c + 1), q2 = cmv3_rq(p, c + 2), q3 = cmv3_rq(p, c + 3);
      const int32_t b0 = p->bias[c], b1 = p->bias[c + 1], b2 = p->bias[c + 2], b3 = p->bias[c + 3];
      int8_t *out = o + c;
      for (int ox = 0; ox < out_w; ox++, out += out_c) {
        const int ix0 = ox * stride - pad_l;
        const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + k_w > in_w ? in_w - ix0 : k_w;
        int32_t a0 = b0, a1 = b1, a2 = b2, a3 = b3;
        for (int ky = ky0; ky < ky1; ky++) {
          const int8_t *xr = rows[ky] + (ix0 + kx0) * in_c + ic, *wr = p->w + (ky * k_w + kx0) * out_c + c;
          for (int kx = kx0; kx < kx1; kx++, xr += in_c, wr += out_c) {
            const uint32_t vx = cmv3_read32(xr), vw = cmv3_read32(wr);
            const int32_t xe = cmv3_sxtab16(nzp, vx), xo = cmv3_sxtab16_ror8(nzp, vx);
            const int32_t we = cmv3_sxtb16(vw), wo = cmv3_sxtb16_ror8(vw);
            a0 = cmv3_smlabb(xe, we, a0); a2 = cmv3_smlatt(xe, we, a2);
            a1 = cmv3_smlabb(xo, wo, a1); a3 = cmv3_smlatt(xo, wo, a3);
          }
        }
        out[0] = cmv3_rq_out(&q0, a0); out[1] = cmv3_rq_out(&q1, a1);
        out[2] = cmv3_rq_out(&q2, a2); out[3] = cmv3_rq_out(&q3, a3);
      }
    }
  }
#endif
  for (; c < out_c; c++) {
    const int ic = planar ? c % in_c : c / m;
    const cmv3_rq_t q = cmv3_rq(p, c);
    const int32_t bias = p->bias[c];
    for (int ox = 0; ox < out_w; ox++) {
      const int ix0 = ox * stride - pad_l;
      const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + k_w > in_w ? in_w - ix0 : k_w;
      int32_t acc = bias;
      for (int ky = ky0; ky < ky1; ky++) {
        const int8_t *xr = rows[ky] + ic, *wr = p->w + ky * k_w * out_c + c;
        for (int kx = kx0; kx < kx1; kx++) acc += wr[kx * out_c] * (xr[(ix0 + kx) * in_c] - in_zp);
      }
      o[ox * out_c + c] = cmv3_rq_out(&q, acc);
    }
  }
}

void cmv3_depthwise_rows(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int row0, int row1) {
  const int32_t in_row = (int32_t)p->in_w * p->in_c, out_row = (int32_t)p->out_w * p->out_c;
  const int8_t *rows[CMV3_MAX_KERNEL];
  for (int oy = row0; oy < row1; oy++) {
    for (int ky = 0; ky < p->k_h; ky++) {
      const int iy = oy * p->stride - p->pad_t + ky;
      rows[ky] = iy < 0 || iy >= p->in_h ? 0 : x + iy * in_row;
    }
    depthwise_row(p, rows, y + (oy - row0) * out_row);
  }
}

void cmv3_depthwise(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int8_t *ring, int delay) {
  if (!ring) {
    cmv3_depthwise_rows(p, x, y, 0, p->out_h);
    return;
  }
  const int32_t row = (int32_t)p->out_w * p->out_c;
  const int slots = delay + 1;
  for (int r = 0; r < p->out_h; r++) {
    cmv3_depthwise_rows(p, x, ring + (r % slots) * row, r, r + 1);
    const int q = r - delay;
    if (q >= 0) memcpy(y + q * row, ring + (q % slots) * row, (size_t)row);
  }
  for (int q = p->out_h - delay < 0 ? 0 : p->out_h - delay; q < p->out_h; q++) memcpy(y + q * row, ring + (q % slots) * row, (size_t)row);
}

void cmv3_dw_pointwise(const cmv3_conv_t *dw, const cmv3_conv_t *pw, const int8_t *x, int8_t *y, int8_t *row) {
  const int32_t pixels = dw->out_w, out_row = pixels * pw->out_c;
  for (int r = 0; r < dw->out_h; r++) {
    cmv3_depthwise_rows(dw, x, row, r, r + 1);
    cmv3_pointwise(pw, row, y + r * out_row, pixels, 0);
  }
}

void cmv3_pointwise_dw(const cmv3_conv_t *pw, const cmv3_conv_t *dw, const int8_t *x, int8_t *y, int8_t *ring) {
  const int k_h = dw->k_h;
  const int32_t pixels = pw->out_w, in_row = pixels * pw->in_c, ring_row = pixels * pw->out_c, out_row = (int32_t)dw->out_w * dw->out_c;
  const int8_t *rows[CMV3_MAX_KERNEL];
  int next = 0; /* the next 1x1 output row to compute; row i lives in ring slot i % k_h */
  for (int oy = 0; oy < dw->out_h; oy++) {
    for (int ky = 0; ky < k_h; ky++) {
      const int iy = oy * dw->stride - dw->pad_t + ky;
      if (iy < 0 || iy >= dw->in_h) { rows[ky] = 0; continue; }
      /* row `next` overwrites row next - k_h, above the first row this output reads (next <= iy < first + k_h) */
      for (; next <= iy; next++) cmv3_pointwise(pw, x + next * in_row, ring + (next % k_h) * ring_row, pixels, 0);
      rows[ky] = ring + (iy % k_h) * ring_row;
    }
    depthwise_row(dw, rows, y + oy * out_row);
  }
}
