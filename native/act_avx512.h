// The activations of eltwise.h on 16 floats at a time, written with AVX-512 intrinsics.
// Why not leave it to GCC: its auto-vectorized Mish (and the clamps and selects of the other
// activations) turned min/max and the exponent clamp into chains of compares, mask moves and
// blends; these forms run Mish at 0.37 against 0.56 ns per element and its derivative at 0.45
// against 0.82 (one core, in cache, 2026-12-06). Same formulas and constants as the scalar
// ActF / ActGrad, which stay the reference for hosts without AVX-512 and for row tails.
#pragma once

#if defined(__AVX512F__)
#define CMV3_AVX512 1
// GCC 12 warns about _mm512_undefined_ps() (its self-initialised placeholder for the unused
// masked-off source) in every min/max/roundscale/scalef: a known false positive, silenced for
// the intrinsics header only (popped below; this must be its first inclusion).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <type_traits>

#include "eltwise.h"

namespace cmv3 {

using V16 = __m512;
inline V16 Splat(float f) { return _mm512_set1_ps(f); }

// NaN: vminps / vmaxps return their SECOND operand when either is NaN, so x always goes second
// and a NaN input stays NaN, as in the scalar forms (std::min / std::max) and the JS reference.

// FastExp's range reduction and polynomial; 2^k applied by vscalefps, so k stays a float.
inline V16 ExpV(V16 x) {
  x = _mm512_min_ps(Splat(88.0f), _mm512_max_ps(Splat(-87.0f), x));
  V16 kf = _mm512_roundscale_ps(_mm512_mul_ps(x, Splat(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  V16 r = _mm512_fnmadd_ps(kf, Splat(0.693359375f), x);
  r = _mm512_fnmadd_ps(kf, Splat(-2.12194440e-4f), r);
  V16 p = Splat(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, Splat(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, Splat(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, Splat(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, Splat(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, Splat(5.0000001201e-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, Splat(1.0f)));
  return _mm512_scalef_ps(p, kf);
}

inline V16 Relu6V(V16 x) { return _mm512_min_ps(Splat(6.0f), _mm512_max_ps(_mm512_setzero_ps(), x)); }

// ActF<A> lane by lane.
template <int A>
inline V16 ActV(V16 x) {
  if constexpr (A == kNone) {
    return x;
  } else if constexpr (A == kRelu) {
    return _mm512_max_ps(_mm512_setzero_ps(), x);
  } else if constexpr (A == kRelu6) {
    return Relu6V(x);
  } else if constexpr (A == kHswish) {
    return _mm512_mul_ps(_mm512_mul_ps(x, Relu6V(_mm512_add_ps(x, Splat(3.0f)))), Splat(1.0f / 6.0f));
  } else if constexpr (A == kHsigmoid) {
    return _mm512_mul_ps(Relu6V(_mm512_add_ps(x, Splat(3.0f))), Splat(1.0f / 6.0f));
  } else if constexpr (A == kSigmoid) {
    return _mm512_div_ps(Splat(1.0f), _mm512_add_ps(Splat(1.0f), ExpV(_mm512_sub_ps(_mm512_setzero_ps(), x))));
  } else if constexpr (A == kLeakyRelu) {
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mul_ps(x, neg, x, Splat(kLeakyReluAlpha));
  } else {
    V16 e = ExpV(_mm512_min_ps(Splat(20.0f), x));
    V16 n = _mm512_mul_ps(e, _mm512_add_ps(e, Splat(2.0f)));
    return _mm512_mul_ps(_mm512_max_ps(Splat(-88.0f), x), _mm512_div_ps(n, _mm512_add_ps(n, Splat(2.0f))));
  }
}

// ActGrad<A> lane by lane.
template <int A>
inline V16 ActGradV(V16 x) {
  const V16 zero = _mm512_setzero_ps(), one = Splat(1.0f);
  if constexpr (A == kNone) {
    return one;
  } else if constexpr (A == kRelu) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ), one);
  } else if constexpr (A == kRelu6) {
    __mmask16 in = _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ) & _mm512_cmp_ps_mask(x, Splat(6.0f), _CMP_LT_OQ);
    return _mm512_maskz_mov_ps(in, one);
  } else if constexpr (A == kHswish) {
    V16 g = _mm512_mul_ps(_mm512_fmadd_ps(Splat(2.0f), x, Splat(3.0f)), Splat(1.0f / 6.0f));
    g = _mm512_mask_mov_ps(g, _mm512_cmp_ps_mask(x, Splat(3.0f), _CMP_GT_OQ), one);
    return _mm512_mask_mov_ps(g, _mm512_cmp_ps_mask(x, Splat(-3.0f), _CMP_LT_OQ), zero);
  } else if constexpr (A == kHsigmoid) {
    __mmask16 in = _mm512_cmp_ps_mask(x, Splat(-3.0f), _CMP_GT_OQ) & _mm512_cmp_ps_mask(x, Splat(3.0f), _CMP_LT_OQ);
    return _mm512_maskz_mov_ps(in, Splat(1.0f / 6.0f));
  } else if constexpr (A == kSigmoid) {
    V16 s = ActV<kSigmoid>(x);
    return _mm512_mul_ps(s, _mm512_sub_ps(one, s));
  } else if constexpr (A == kLeakyRelu) {
    return _mm512_mask_mov_ps(one, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), Splat(kLeakyReluAlpha));
  } else {
    // The form of ActGrad<kMish>: rw * (n + 4 x e (1 + e) rw) with rw = 1 / (n + 2).
    V16 xc = _mm512_min_ps(Splat(20.0f), _mm512_max_ps(Splat(-88.0f), x));
    V16 e = ExpV(xc);
    V16 n = _mm512_mul_ps(e, _mm512_add_ps(e, Splat(2.0f)));
    V16 rw = _mm512_div_ps(one, _mm512_add_ps(n, Splat(2.0f)));
    V16 a = _mm512_fmadd_ps(e, e, e);
    V16 q = _mm512_mul_ps(_mm512_mul_ps(xc, a), _mm512_mul_ps(rw, Splat(4.0f)));
    return _mm512_mul_ps(rw, _mm512_add_ps(n, q));
  }
}

// The activations whose vector form pays inside the batch-norm kernels: the ones built on exp.
// The others are a few compares or min/max that GCC vectorizes as well by itself, and the
// intrinsic loops measured 3-30% slower for hard-swish and 'none' in the training profile (their
// passes are bound by memory, 2026-12-06).
template <int A>
constexpr bool kVectorAct = A == kMish || A == kSigmoid;

// Loads and stores of one 16-lane step; the row's last, partial step is masked.
template <bool kTail>
inline V16 LoadV(const float* p, __mmask16 m) {
  if constexpr (kTail) return _mm512_maskz_loadu_ps(m, p);
  else return _mm512_loadu_ps(p);
}
template <bool kTail>
inline void StoreV(float* p, __mmask16 m, V16 v) {
  if constexpr (kTail) _mm512_mask_storeu_ps(p, m, v);
  else _mm512_storeu_ps(p, v);
}

#if defined(__AVX512BW__) && defined(__AVX512VL__)
#define CMV3_AVX512_BF16_STORE 1
// v rounded to bfloat16 and stored as 16 uint16: common.h's Bf16Bits on 16 lanes (nearest, ties
// to even, NaN kept quiet), in integer arithmetic, so denormals round as the reference rounds
// them (AVX512_BF16's vcvtneps2bf16 would flush them to zero).
template <bool kTail>
inline void StoreBf16V(uint16_t* p, __mmask16 m, V16 v) {
  const __m512i b = _mm512_castps_si512(v);
  const __m512i hi = _mm512_srli_epi32(b, 16);
  const __m512i bias = _mm512_add_epi32(_mm512_and_si512(hi, _mm512_set1_epi32(1)), _mm512_set1_epi32(0x7fff));
  __m512i r = _mm512_srli_epi32(_mm512_add_epi32(b, bias), 16);
  r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), _mm512_or_si512(hi, _mm512_set1_epi32(0x40)));
  const __m256i h = _mm512_cvtepi32_epi16(r);
  if constexpr (kTail) _mm256_mask_storeu_epi16(p, m, h);
  else _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), h);
}
#endif

// Calls step(std::integral_constant<bool, kTail>, i, mask) for i = 0, 16, ... < n: full steps
// unmasked, the tail (n not a multiple of 16, e.g. 24 channels) with its lanes masked.
template <typename Step>
inline void ForEachV16(int64_t n, Step&& step) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) step(std::false_type{}, i, __mmask16(0xFFFF));
  if (i < n) step(std::true_type{}, i, __mmask16((1u << (n - i)) - 1u));
}

}  // namespace cmv3

#endif  // __AVX512F__
