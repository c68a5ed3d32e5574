/* cmv3: the few DSP-extension operations the kernels use, under cmv3_ names. On a core with the
 * DSP extension they are the compiler's ACLE intrinsics (arm_acle.h); with CMV3_EMULATE_DSP they
 * are plain C with the same results, so the DSP code paths can be tested on any host. */
#ifndef CMV3_SIMD_H_
#define CMV3_SIMD_H_

#include <stdint.h>
#include <string.h>

#if defined(CMV3_EMULATE_DSP)
#undef CMV3_DSP
#define CMV3_DSP 1
/* two int16 lanes: bottom bits 0-15, top bits 16-31 */
static inline int32_t cmv3_lane_b(int32_t v) { return (int16_t)(uint16_t)((uint32_t)v & 0xffffu); }
static inline int32_t cmv3_lane_t(int32_t v) { return (int16_t)(uint16_t)((uint32_t)v >> 16); }
static inline int32_t cmv3_pack(int32_t b, int32_t t) { return (int32_t)(((uint32_t)(uint16_t)t << 16) | (uint16_t)b); }
/* bytes 0 and 2, sign-extended, plus the lanes of a */
static inline int32_t cmv3_sxtab16(int32_t a, uint32_t v) {
  return cmv3_pack(cmv3_lane_b(a) + (int8_t)(v & 0xffu), cmv3_lane_t(a) + (int8_t)((v >> 16) & 0xffu));
}
static inline int32_t cmv3_sxtb16(uint32_t v) { return cmv3_sxtab16(0, v); }
static inline int32_t cmv3_smlad(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(cmv3_lane_b(a) * cmv3_lane_b(b) + cmv3_lane_t(a) * cmv3_lane_t(b)));
}
static inline int32_t cmv3_smlabb(int32_t a, int32_t b, int32_t acc) { return (int32_t)((uint32_t)acc + (uint32_t)(cmv3_lane_b(a) * cmv3_lane_b(b))); }
static inline int32_t cmv3_smlatt(int32_t a, int32_t b, int32_t acc) { return (int32_t)((uint32_t)acc + (uint32_t)(cmv3_lane_t(a) * cmv3_lane_t(b))); }
static inline int32_t cmv3_sxtb16_ror8(uint32_t v) { return cmv3_sxtb16((v >> 8) | (v << 24)); }
static inline int32_t cmv3_sxtab16_ror8(int32_t a, uint32_t v) { return cmv3_sxtab16(a, (v >> 8) | (v << 24)); }
/* SMMULR: the high word of a * b, rounded (2^31 added to the 64-bit product) */
static inline int32_t cmv3_smmulr(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32); }
/* SSAT #8 of v >> 1 */
static inline int32_t cmv3_ssat8_asr1(int32_t v) { v >>= 1; return v < -128 ? -128 : v > 127 ? 127 : v; }
#elif CMV3_DSP
#include <arm_acle.h>
#define cmv3_sxtab16(a, v) __sxtab16((a), (v))
#define cmv3_sxtb16(v) __sxtb16(v)
#define cmv3_smlad(a, b, acc) __smlad((a), (b), (acc))
#define cmv3_smlabb(a, b, acc) __smlabb((a), (b), (acc))
#define cmv3_smlatt(a, b, acc) __smlatt((a), (b), (acc))
/* SXTB16 / SXTAB16 of bytes 1 and 3: the instruction's own rotate (arm_acle.h has no rotated
 * form, and GCC 12 does not fold a separate rotate into it: one instruction saved per use) */
static inline int32_t cmv3_sxtb16_ror8(uint32_t v) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}
static inline int32_t cmv3_sxtab16_ror8(int32_t a, uint32_t v) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
  return r;
}
static inline int32_t cmv3_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static inline int32_t cmv3_ssat8_asr1(int32_t v) {
  int32_t r;
  __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(v));
  return r;
}
#endif

/* a word of int8 or int16 data (weights, widened rows) read or written as one: may alias them */
#if defined(__GNUC__)
typedef int32_t cmv3_w32 __attribute__((may_alias));
#else
typedef int32_t cmv3_w32;
#endif

/* 4 bytes from any address (Cortex-M7 loads unaligned words in one instruction) */
static inline uint32_t cmv3_read32(const int8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

#endif /* CMV3_SIMD_H_ */
