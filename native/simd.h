// One vector of floats at the widest width the build's target has (-march=native): AVX-512 (16
// lanes) or AVX2 with FMA (8 lanes). CMV3_SIMD is the lane count, 0 with neither (then the
// kernels keep GCC's loops over the scalar forms). The vector kernels (act_vec.h, bn_act.cc,
// eltwise.cc) are written once over these wrappers, each one intrinsic (or, for AVX2, the few
// that stand in for an AVX-512 one), so the AVX-512 build compiles to the code it had when it
// was written in _mm512 intrinsics directly.
#pragma once

#if defined(__AVX512F__)
#define CMV3_SIMD 16
#elif defined(__AVX2__) && defined(__FMA__)
#define CMV3_SIMD 8
#else
#define CMV3_SIMD 0
#endif

// Vector registers the kernels may count on for accumulators: 32 zmm with AVX-512, else 16.
namespace cmv3 {
constexpr int kVectorRegisters = CMV3_SIMD == 16 ? 32 : 16;
}  // namespace cmv3

#if CMV3_SIMD
// GCC 12 warns about _mm512_undefined_ps() (its self-initialised placeholder for the unused
// masked-off source) in every min/max/roundscale/scalef: a known false positive, silenced for
// the intrinsics header only (popped below; this must be its first inclusion).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstdint>
#include <type_traits>

namespace cmv3 {

// NaN: vminps / vmaxps return their SECOND operand when either is NaN, so callers put x second
// and a NaN input stays NaN, as in the scalar forms (std::min / std::max) and the JS reference.
#if CMV3_SIMD == 16
using VF = __m512;
using VB = __mmask16;  // one bit per lane: compare results and the masks of partial steps
inline VF Splat(float f) { return _mm512_set1_ps(f); }
inline VF Zero() { return _mm512_setzero_ps(); }
inline VF Add(VF a, VF b) { return _mm512_add_ps(a, b); }
inline VF Sub(VF a, VF b) { return _mm512_sub_ps(a, b); }
inline VF Mul(VF a, VF b) { return _mm512_mul_ps(a, b); }
inline VF Div(VF a, VF b) { return _mm512_div_ps(a, b); }
inline VF Min(VF a, VF b) { return _mm512_min_ps(a, b); }
inline VF Max(VF a, VF b) { return _mm512_max_ps(a, b); }
inline VF Fmadd(VF a, VF b, VF c) { return _mm512_fmadd_ps(a, b, c); }    // a * b + c
inline VF Fnmadd(VF a, VF b, VF c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a * b
inline VF RoundNearest(VF x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// p * 2^k for an integral k in [-126, 127] (FastExp's range).
inline VF Scale2(VF p, VF k) { return _mm512_scalef_ps(p, k); }
inline VB Lt(VF a, VF b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
inline VB Gt(VF a, VF b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
inline VB And(VB a, VB b) { return a & b; }
inline VF Select(VB m, VF a, VF b) { return _mm512_mask_mov_ps(b, m, a); }  // m ? a : b
inline VF SelectOrZero(VB m, VF a) { return _mm512_maskz_mov_ps(m, a); }   // m ? a : 0
inline VF MulWhere(VB m, VF a, VF b) { return _mm512_mask_mul_ps(a, m, a, b); }  // m ? a * b : a

// Loads and stores of one step; a row's last, partial step is masked.
template <bool kTail>
inline VF LoadV(const float* p, VB m) {
  if constexpr (kTail) return _mm512_maskz_loadu_ps(m, p);
  else return _mm512_loadu_ps(p);
}
template <bool kTail>
inline void StoreV(float* p, VB m, VF v) {
  if constexpr (kTail) _mm512_mask_storeu_ps(p, m, v);
  else _mm512_storeu_ps(p, v);
}
inline VB TailMask(int64_t n) { return VB((1u << n) - 1u); }
constexpr VB kAllLanes = VB(0xFFFF);
#else
using VF = __m256;
using VB = __m256;  // all ones or all zeros per lane: compare results and partial-step masks
inline VF Splat(float f) { return _mm256_set1_ps(f); }
inline VF Zero() { return _mm256_setzero_ps(); }
inline VF Add(VF a, VF b) { return _mm256_add_ps(a, b); }
inline VF Sub(VF a, VF b) { return _mm256_sub_ps(a, b); }
inline VF Mul(VF a, VF b) { return _mm256_mul_ps(a, b); }
inline VF Div(VF a, VF b) { return _mm256_div_ps(a, b); }
inline VF Min(VF a, VF b) { return _mm256_min_ps(a, b); }
inline VF Max(VF a, VF b) { return _mm256_max_ps(a, b); }
inline VF Fmadd(VF a, VF b, VF c) { return _mm256_fmadd_ps(a, b, c); }
inline VF Fnmadd(VF a, VF b, VF c) { return _mm256_fnmadd_ps(a, b, c); }
inline VF RoundNearest(VF x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// No vscalefps: 2^k built in the exponent field, as FastExp does, then one exact multiply.
inline VF Scale2(VF p, VF k) {
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127));
  return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
}
inline VB Lt(VF a, VF b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
inline VB Gt(VF a, VF b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
inline VB And(VB a, VB b) { return _mm256_and_ps(a, b); }
inline VF Select(VB m, VF a, VF b) { return _mm256_blendv_ps(b, a, m); }
inline VF SelectOrZero(VB m, VF a) { return _mm256_and_ps(m, a); }
inline VF MulWhere(VB m, VF a, VF b) { return _mm256_blendv_ps(a, _mm256_mul_ps(a, b), m); }

template <bool kTail>
inline VF LoadV(const float* p, VB m) {
  if constexpr (kTail) return _mm256_maskload_ps(p, _mm256_castps_si256(m));
  else return _mm256_loadu_ps(p);
}
template <bool kTail>
inline void StoreV(float* p, VB m, VF v) {
  if constexpr (kTail) _mm256_maskstore_ps(p, _mm256_castps_si256(m), v);
  else _mm256_storeu_ps(p, v);
}
// Lanes 0..n-1 set (n < 8).
inline VB TailMask(int64_t n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lane));
}
inline VB AllLanes() { return _mm256_castsi256_ps(_mm256_set1_epi32(-1)); }
#endif

// Calls step(std::integral_constant<bool, kTail>, i, mask) for i = 0, CMV3_SIMD, ... < n: full
// steps unmasked, the tail (n not a multiple of the width, e.g. 24 channels on 16 lanes) masked.
template <typename Step>
inline void ForEachV(int64_t n, Step&& step) {
  int64_t i = 0;
#if CMV3_SIMD == 16
  for (; i + 16 <= n; i += 16) step(std::false_type{}, i, kAllLanes);
#else
  const VB all = AllLanes();
  for (; i + 8 <= n; i += 8) step(std::false_type{}, i, all);
#endif
  if (i < n) step(std::true_type{}, i, TailMask(n - i));
}

}  // namespace cmv3
#endif  // CMV3_SIMD
