/* cmv3: the int8 kernels generated models call. Plain C99; on a core with the DSP extension
 * (__ARM_FEATURE_DSP, e.g. Cortex-M7) the hot loops use the compiler's own ACLE intrinsics from
 * arm_acle.h, elsewhere the portable loops, which are the reference twin of the DSP ones: both
 * give the bytes of cmv3's int8 engine (TFLite Micro's reference arithmetic). Layouts are NHWC;
 * conv weights (Cout, KH, KW, Cin), depthwise weights (KH, KW, Cout). */
#ifndef CMV3_KERNELS_H_
#define CMV3_KERNELS_H_

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !defined(CMV3_PORTABLE)
#define CMV3_DSP 1
#else
#define CMV3_DSP 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A convolution (CONV_2D or DEPTHWISE_CONV_2D) with its requantization and, optionally, an int8
 * table applied to the requantized output (the activation that followed it, fused). */
typedef struct {
  uint16_t in_h, in_w, in_c, out_h, out_w, out_c;
  uint8_t k_h, k_w, stride, pad_t, pad_l, ch_mult;
  /* depthwise with ch_mult > 1: 1 when the compiler laid the output channels out as ch_mult planes
   * of in_c channels (channel j * in_c + ic reads input channel ic; the 1x1 convolution that reads
   * it has its input channels permuted to match), so every plane runs the 4-channel kernel */
  uint8_t planar;
  int16_t in_zp, out_zp, act_min, act_max;
  /* CONV_2D: output channel pairs, each as ceil(n / 4) blocks of [4 weights of channel c][4 of
   * c + 1] (n = k_h * k_w * in_c, zeros past n; an odd out_c gets a zero channel), so one
   * pointer walks both channels. DEPTHWISE_CONV_2D: (k_h, k_w, out_c), or NULL when wx is set. */
  const int8_t *w;
  /* DEPTHWISE_CONV_2D in blocks of 4 channels (cmv3_depthwise.c): int16 weights per block, tap
   * and lane (channels 0, 2, 1, 3 of the block), the layout of the extended input rows. */
  const int16_t *wx;
  /* CONV_2D: bias - in_zp * sum(w) per channel (folded at compile time), so the inner loop
   * multiplies raw inputs (padding reads in_zp); DEPTHWISE_CONV_2D: the bias as stored.
   * CONV_2D's bias, mult and shift have out_c rounded up to even entries. */
  const int32_t *bias;
  const int32_t *mult;
  const int8_t *shift;
  const int8_t *lut; /* NULL, or 256 entries indexed by the (uint8_t) of the int8 value */
  /* NULL, or the fast requantization (cmv3_internal.h), which the compiler allows when every
   * shift is -31..-1 and |accumulator| < 2^30 for any input: then the clamp to act_min..act_max
   * and lut as one 256-entry table, indexed by the int8 value + 128 */
  const int8_t *tab;
} cmv3_conv_t;

/* Scratch: every kernel takes one 8-byte-aligned block and cuts it in the order its comment
 * gives, each part rounded up to 8 bytes; src/compile/arena.ts computes the same sizes.
 * CMV3_PAIR_BYTES(n): a 1x1 kernel's two input pixels, widened (n values each). */
#define CMV3_PAIR_BYTES(n) (16 * (((n) + 3) / 4))

/* Any CONV_2D (the stem): y (out_h, out_w, out_c). scratch: two pixels' patches (2 * n rounded
 * up to 4 bytes, padding filled with in_zp), then CMV3_PAIR_BYTES(n). */
void cmv3_conv(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int8_t *scratch);

/* A 1x1 stride-1 CONV_2D over `pixels` pixels. scratch: CMV3_PAIR_BYTES(in_c); both pixels of a
 * pair are read into it before their outputs are written, so y may start at x or
 * (out_c - in_c) * pixels bytes before it (in place). */
void cmv3_pointwise(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int32_t pixels, int8_t *scratch);

/* DEPTHWISE_CONV_2D output rows [row0, row1) into y (y points at row row0). */
void cmv3_depthwise_rows(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int row0, int row1);

/* The whole depthwise. ring == NULL: y is a separate buffer. Else y == x (in place): each row is
 * computed into a ring of delay + 1 rows and written back `delay` rows later, once no later
 * output row reads the input bytes it covers (the compiler proves the delay). */
void cmv3_depthwise(const cmv3_conv_t *p, const int8_t *x, int8_t *y, int8_t *ring, int delay);

/* A depthwise and the 1x1 convolution that reads it, fused row by row: the depthwise output
 * exists one row at a time, never whole. scratch: the row (dw->out_w * dw->out_c), with wx the
 * ring of k_h extended input rows (k_h * CMV3_EXT_ROW_BYTES(dw)), then CMV3_PAIR_BYTES(pw->in_c). */
void cmv3_dw_pointwise(const cmv3_conv_t *dw, const cmv3_conv_t *pw, const int8_t *x, int8_t *y, int8_t *scratch);

/* A 1x1 convolution and the depthwise that reads it, fused: the 1x1 output exists only one row
 * (or a ring of dw->k_h rows) at a time, each computed when first needed. scratch:
 * CMV3_PAIR_BYTES(pw->in_c), then with wx the row (pw->out_w * pw->out_c) and the ring of k_h
 * extended rows (k_h * CMV3_EXT_ROW_BYTES(dw)); without, the ring of k_h rows (k_h * out_w * out_c). */
void cmv3_pointwise_dw(const cmv3_conv_t *pw, const cmv3_conv_t *dw, const int8_t *x, int8_t *y, int8_t *scratch);

/* One extended input row of a blocked depthwise: (x - in_zp) as int16 for every column it reads,
 * the padding included (zeros), per block of 4 channels. */
#define CMV3_EXT_WIDTH(p) (((p)->out_w - 1) * (p)->stride + (p)->k_w)
#define CMV3_EXT_ROW_BYTES(p) (2 * CMV3_EXT_WIDTH(p) * (p)->in_c)

typedef struct {
  uint16_t in_h, in_w, channels, out_h, out_w;
  uint8_t filter, stride, pad_t, pad_l;
  int16_t act_min, act_max;
} cmv3_avgpool_t;
void cmv3_avgpool(const cmv3_avgpool_t *p, const int8_t *x, int8_t *y);

/* MUL of (pixels, channels) by a (channels) vector (squeeze-and-excite), or of equal shapes
 * (channels == 0: x and g both have `pixels` elements). y may be x. */
typedef struct {
  int32_t pixels, channels;
  int16_t x_zp, g_zp, out_zp, act_min, act_max;
  int8_t shift;
  int32_t mult;
} cmv3_mul_t;
void cmv3_mul(const cmv3_mul_t *p, const int8_t *x, const int8_t *g, int8_t *y);

/* ADD of equal shapes (TFLite's int8 ADD: both inputs onto 2 * max(scale) with 20 bits of
 * headroom, summed, rescaled). y may be a or b. scratch: CMV3_ADD_SCRATCH bytes. */
#define CMV3_ADD_SCRATCH 2048
typedef struct {
  int32_t n;
  int16_t a_zp, b_zp, out_zp, act_min, act_max;
  int8_t a_shift, b_shift, out_shift;
  int32_t a_mult, b_mult, out_mult;
} cmv3_add_t;
void cmv3_add(const cmv3_add_t *p, const int8_t *a, const int8_t *b, int8_t *y, int8_t *scratch);

/* An element-wise activation as a 256-entry table. y may be x. */
void cmv3_lut(const int8_t *table, const int8_t *x, int8_t *y, int32_t n);

/* SOFTMAX, TFLite Micro's fixed point (output scale 1/256, zero point -128). */
typedef struct {
  int32_t rows, depth;
  int32_t multiplier, left_shift, diff_min;
} cmv3_softmax_t;
void cmv3_softmax(const cmv3_softmax_t *p, const int8_t *x, int8_t *y);

#ifdef __cplusplus
}
#endif

#endif /* CMV3_KERNELS_H_ */
