/* cmv3: DEPTHWISE_CONV_2D (output channel ic * ch_mult + j reads input channel ic), one output
 * row at a time, so the same kernel runs in place over its input, feeds the next 1x1 convolution
 * row by row, or reads the rows of the 1x1 convolution before it from a small ring.
 * acc = bias[c] + sum w * (x - in_zp) over the taps inside the image (TFLite Micro's reference
 * DepthwiseConvPerChannel). Two kernels: the blocked one below (the compiler's choice for the
 * fused pairs whenever the channels allow) and this general one over int8 rows. */
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

/* ---- Blocked depthwise (wx != NULL; the compiler's choice when in_c % 4 == 0 and each output
 * block reads one input block: ch_mult 1, or planar). Each input row is widened once into a
 * ring slot as (x - in_zp) int16 per block of 4 channels, lanes (c0, c2, c1, c3) as SXTAB16
 * leaves them, the padding columns as zeros: every output pixel then runs all k_h x k_w taps
 * with no edge test, (x - in_zp) = 0 standing for TFLite Micro's skipped taps. A tap of 4
 * channels is two word loads and four 16x16 MACs. */

/* Input row x (in_w * in_c int8), or NULL for a row outside the image, as an extended row. */
static void extend_row(const cmv3_conv_t *p, const int8_t *x, int16_t *e) {
  const int wp = CMV3_EXT_WIDTH(p), in_c = p->in_c, blocks = in_c / 4, pad_l = p->pad_l;
  const int cols = p->in_w < wp - pad_l ? p->in_w : wp - pad_l; /* columns no output reads are skipped */
  if (!x) { memset(e, 0, (size_t)CMV3_EXT_ROW_BYTES(p)); return; }
  for (int b = 0; b < blocks; b++, e += 4 * wp) {
    const int8_t *xs = x + 4 * b;
    memset(e, 0, (size_t)(8 * pad_l));
    memset(e + 4 * (pad_l + cols), 0, (size_t)(8 * (wp - pad_l - cols)));
#if CMV3_DSP
    const int32_t nzp = (int32_t)(((uint32_t)(uint16_t)(-p->in_zp) << 16) | (uint16_t)(-p->in_zp));
    cmv3_w32 *d = (cmv3_w32 *)(void *)(e + 4 * pad_l);
    for (int ix = 0; ix < cols; ix++, xs += in_c, d += 2) {
      const uint32_t v = cmv3_read32(xs);
      d[0] = cmv3_sxtab16(nzp, v); d[1] = cmv3_sxtab16_ror8(nzp, v);
    }
#else
    int16_t *d = e + 4 * pad_l;
    for (int ix = 0; ix < cols; ix++, xs += in_c, d += 4) {
      d[0] = (int16_t)(xs[0] - p->in_zp); d[1] = (int16_t)(xs[2] - p->in_zp);
      d[2] = (int16_t)(xs[1] - p->in_zp); d[3] = (int16_t)(xs[3] - p->in_zp);
    }
#endif
  }
}

/* One tap of 4 channels: lanes (c0, c2) and (c1, c3) of the extended input against the same of
 * the weights. */
CMV3_INLINE void tap4(const int16_t *xr, const int16_t *w, int32_t *a0, int32_t *a1, int32_t *a2, int32_t *a3) {
#if CMV3_DSP
  const cmv3_w32 *xw = (const cmv3_w32 *)(const void *)xr, *ww = (const cmv3_w32 *)(const void *)w;
  const int32_t x0 = xw[0], x1 = xw[1], w0 = ww[0], w1 = ww[1];
  *a0 = cmv3_smlabb(x0, w0, *a0); *a2 = cmv3_smlatt(x0, w0, *a2);
  *a1 = cmv3_smlabb(x1, w1, *a1); *a3 = cmv3_smlatt(x1, w1, *a3);
#else
  *a0 += xr[0] * w[0]; *a2 += xr[1] * w[1];
  *a1 += xr[2] * w[2]; *a3 += xr[3] * w[3];
#endif
}

/* Output row from the k_h extended rows `rows`. unrolled: KH, KW, S are constants at the call
 * (the dispatch below) and every tap is unrolled with fixed offsets; else plain loops, so the
 * general variant stays small. */
CMV3_INLINE void block_row_k(const cmv3_conv_t *p, const int16_t *const *rows, int8_t *o, const int KH, const int KW, const int S, const int unrolled) {
  const int out_c = p->out_c, out_w = p->out_w, in_blocks = p->in_c / 4, wp = CMV3_EXT_WIDTH(p);
  const int32_t c1 = 1 + 2 * p->out_zp;
  const int8_t *tab = p->tab ? p->tab + 128 : 0; /* indexed by the signed value */
  for (int c = 0; c < out_c; c += 4) {
    const int b = c / 4, bi = b < in_blocks ? b : b % in_blocks;
    const int16_t *r[CMV3_MAX_KERNEL];
    for (int ky = 0; ky < KH; ky++) r[ky] = rows[ky] + 4 * wp * bi;
    const int16_t *wb = p->wx + 4 * KH * KW * b;
    const int32_t b0 = p->bias[c], b1 = p->bias[c + 1], b2 = p->bias[c + 2], b3 = p->bias[c + 3];
    /* read once: a byte store through `out` could alias the layer's arrays as far as C knows */
    const int32_t m0 = p->mult[c], m1 = p->mult[c + 1], m2 = p->mult[c + 2], m3 = p->mult[c + 3];
    const int32_t s0 = ~(int32_t)p->shift[c], s1 = ~(int32_t)p->shift[c + 1], s2 = ~(int32_t)p->shift[c + 2], s3 = ~(int32_t)p->shift[c + 3];
    int8_t *out = o + c;
    for (int ox = 0; ox < out_w; ox++, out += out_c) {
      int32_t a0 = b0, a1 = b1, a2 = b2, a3 = b3;
      const int16_t *w = wb;
      if (unrolled) {
        _Pragma("GCC unroll 16") for (int ky = 0; ky < KH; ky++) {
          const int16_t *xr = r[ky] + 4 * S * ox;
          _Pragma("GCC unroll 16") for (int kx = 0; kx < KW; kx++, xr += 4, w += 4) tap4(xr, w, &a0, &a1, &a2, &a3);
        }
      } else {
        for (int ky = 0; ky < KH; ky++) {
          const int16_t *xr = r[ky] + 4 * S * ox;
          for (int kx = 0; kx < KW; kx++, xr += 4, w += 4) tap4(xr, w, &a0, &a1, &a2, &a3);
        }
      }
      if (tab) {
        out[0] = tab[cmv3_rqf(a0, m0, s0, c1)];
        out[1] = tab[cmv3_rqf(a1, m1, s1, c1)];
        out[2] = tab[cmv3_rqf(a2, m2, s2, c1)];
        out[3] = tab[cmv3_rqf(a3, m3, s3, c1)];
      } else {
        out[0] = cmv3_conv_out(p, a0, c); out[1] = cmv3_conv_out(p, a1, c + 1);
        out[2] = cmv3_conv_out(p, a2, c + 2); out[3] = cmv3_conv_out(p, a3, c + 3);
      }
    }
  }
}

static void block_row_3x3(const cmv3_conv_t *p, const int16_t *const *rows, int8_t *o) { block_row_k(p, rows, o, 3, 3, 1, 1); }
static void block_row_3x3s2(const cmv3_conv_t *p, const int16_t *const *rows, int8_t *o) { block_row_k(p, rows, o, 3, 3, 2, 1); }
static void block_row_5x5(const cmv3_conv_t *p, const int16_t *const *rows, int8_t *o) { block_row_k(p, rows, o, 5, 5, 1, 1); }
static void block_row_5x5s2(const cmv3_conv_t *p, const int16_t *const *rows, int8_t *o) { block_row_k(p, rows, o, 5, 5, 2, 1); }
static void block_row_any(const cmv3_conv_t *p, const int16_t *const *rows, int8_t *o) { block_row_k(p, rows, o, p->k_h, p->k_w, p->stride, 0); }

typedef void (*cmv3_block_row_fn)(const cmv3_conv_t *, const int16_t *const *, int8_t *);
static cmv3_block_row_fn block_row_for(const cmv3_conv_t *p) {
  if (p->k_h == 3 && p->k_w == 3) return p->stride == 1 ? block_row_3x3 : p->stride == 2 ? block_row_3x3s2 : block_row_any;
  if (p->k_h == 5 && p->k_w == 5) return p->stride == 1 ? block_row_5x5 : p->stride == 2 ? block_row_5x5s2 : block_row_any;
  return block_row_any;
}

/* The ring of k_h extended rows: input row iy in slot (iy + pad_t) % k_h. Output row oy reads
 * rows oy * stride - pad_t .. + k_h - 1, k_h consecutive rows, so k_h distinct slots; a row
 * extended later replaces one above them. */
typedef struct {
  const cmv3_conv_t *p;
  int16_t *ring;
  int32_t slot; /* int16 values per slot */
  int next;     /* the next input row to extend */
} cmv3_ring_t;

static int16_t *ring_slot(const cmv3_ring_t *g, int iy) { return g->ring + g->slot * ((iy + g->p->pad_t) % g->p->k_h); }

static void ring_rows(const cmv3_ring_t *g, int oy, const int16_t **rows) {
  const int top = oy * g->p->stride - g->p->pad_t;
  for (int ky = 0; ky < g->p->k_h; ky++) rows[ky] = ring_slot(g, top + ky);
}

void cmv3_dw_pointwise(const cmv3_conv_t *dw, const cmv3_conv_t *pw, const int8_t *x, int8_t *y, int8_t *scratch) {
  const int32_t pixels = dw->out_w, out_row = pixels * pw->out_c;
  int8_t *row = cmv3_take(&scratch, pixels * dw->out_c);
  if (!dw->wx) {
    int8_t *pair = cmv3_take(&scratch, CMV3_PAIR_BYTES(pw->in_c));
    for (int r = 0; r < dw->out_h; r++) {
      cmv3_depthwise_rows(dw, x, row, r, r + 1);
      cmv3_pointwise(pw, row, y + r * out_row, pixels, pair);
    }
    return;
  }
  cmv3_ring_t g = { dw, (int16_t *)(void *)cmv3_take(&scratch, dw->k_h * CMV3_EXT_ROW_BYTES(dw)), CMV3_EXT_ROW_BYTES(dw) / 2, -dw->pad_t };
  int8_t *pair = cmv3_take(&scratch, CMV3_PAIR_BYTES(pw->in_c));
  const cmv3_block_row_fn block_row = block_row_for(dw);
  const int32_t in_row = (int32_t)dw->in_w * dw->in_c;
  const int16_t *rows[CMV3_MAX_KERNEL];
  for (int r = 0; r < dw->out_h; r++) {
    for (const int end = r * dw->stride - dw->pad_t + dw->k_h; g.next < end; g.next++)
      extend_row(dw, g.next >= 0 && g.next < dw->in_h ? x + g.next * in_row : 0, ring_slot(&g, g.next));
    ring_rows(&g, r, rows);
    block_row(dw, rows, row);
    cmv3_pointwise(pw, row, y + r * out_row, pixels, pair);
  }
}

void cmv3_pointwise_dw(const cmv3_conv_t *pw, const cmv3_conv_t *dw, const int8_t *x, int8_t *y, int8_t *scratch) {
  const int k_h = dw->k_h;
  const int32_t pixels = pw->out_w, in_row = pixels * pw->in_c, pw_row = pixels * pw->out_c, out_row = (int32_t)dw->out_w * dw->out_c;
  int8_t *pair = cmv3_take(&scratch, CMV3_PAIR_BYTES(pw->in_c));
  if (!dw->wx) {
    int8_t *ring = scratch;
    const int8_t *rows[CMV3_MAX_KERNEL];
    int next = 0; /* the next 1x1 output row to compute; row i lives in ring slot i % k_h */
    for (int oy = 0; oy < dw->out_h; oy++) {
      for (int ky = 0; ky < k_h; ky++) {
        const int iy = oy * dw->stride - dw->pad_t + ky;
        if (iy < 0 || iy >= dw->in_h) { rows[ky] = 0; continue; }
        /* row `next` overwrites row next - k_h, above the first row this output reads (next <= iy < first + k_h) */
        for (; next <= iy; next++) cmv3_pointwise(pw, x + next * in_row, ring + (next % k_h) * pw_row, pixels, pair);
        rows[ky] = ring + (iy % k_h) * pw_row;
      }
      depthwise_row(dw, rows, y + oy * out_row);
    }
    return;
  }
  int8_t *row = cmv3_take(&scratch, pw_row);
  cmv3_ring_t g = { dw, (int16_t *)(void *)cmv3_take(&scratch, k_h * CMV3_EXT_ROW_BYTES(dw)), CMV3_EXT_ROW_BYTES(dw) / 2, -dw->pad_t };
  const cmv3_block_row_fn block_row = block_row_for(dw);
  const int16_t *rows[CMV3_MAX_KERNEL];
  for (int oy = 0; oy < dw->out_h; oy++) {
    for (const int end = oy * dw->stride - dw->pad_t + k_h; g.next < end; g.next++) {
      const int inside = g.next >= 0 && g.next < dw->in_h;
      if (inside) cmv3_pointwise(pw, x + g.next * in_row, row, pixels, pair);
      extend_row(dw, inside ? row : 0, ring_slot(&g, g.next));
    }
    ring_rows(&g, oy, rows);
    block_row(dw, rows, y + oy * out_row);
  }
}
