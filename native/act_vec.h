// The activations of eltwise.h on a vector of floats at a time (simd.h: 16 lanes with AVX-512,
// 8 with AVX2 + FMA). Why not leave it to GCC: its auto-vectorized Mish (and the clamps and
// selects of the other activations) turned min/max and the exponent clamp into chains of
// compares, mask moves and blends. With AVX-512 these forms run Mish at 0.37 against 0.56 ns
// per element and its derivative at 0.45 against 0.82 (2026-12-06); with AVX2 at 0.63 against
// 0.90 and 0.81 against 1.33 (2026-12-06, an EPYC without AVX-512; one core, in cache, both),
// and 0.48 and 0.59 since FastExp's shorter polynomial and one clamp instead of two (2026-12-07).
// Same formulas and constants as the scalar ActF / ActGrad, which stay the reference for hosts
// with neither and for row tails; the vector forms fuse some multiply-adds, so the last bit may
// differ from the scalar forms.
#pragma once

#include "simd.h"

#if CMV3_SIMD
#include "eltwise.h"

namespace cmv3 {

// FastExp's reduction and polynomial on x already in [-87, 88]; ExpV clamps first.
inline VF ExpIn(VF x) {
  VF kf = RoundNearest(Mul(x, Splat(kLog2e)));
  VF r = Fnmadd(kf, Splat(kLn2), x);
  VF p = Fmadd(Splat(kExpC5), r, Splat(kExpC4));
  p = Fmadd(p, r, Splat(kExpC3));
  p = Fmadd(p, r, Splat(kExpC2));
  p = Fmadd(Mul(r, r), p, Add(r, Splat(1.0f)));
  return Scale2(p, kf);
}
inline VF ExpV(VF x) { return ExpIn(Min(Splat(88.0f), Max(Splat(-87.0f), x))); }

inline VF Relu6V(VF x) { return Min(Splat(6.0f), Max(Zero(), x)); }

// ActF<A> lane by lane.
template <int A>
inline VF ActV(VF x) {
  if constexpr (A == kNone) {
    return x;
  } else if constexpr (A == kRelu) {
    return Max(Zero(), x);
  } else if constexpr (A == kRelu6) {
    return Relu6V(x);
  } else if constexpr (A == kHswish) {
    return Mul(Mul(x, Relu6V(Add(x, Splat(3.0f)))), Splat(1.0f / 6.0f));
  } else if constexpr (A == kHsigmoid) {
    return Mul(Relu6V(Add(x, Splat(3.0f))), Splat(1.0f / 6.0f));
  } else if constexpr (A == kSigmoid) {
    return Div(Splat(1.0f), Add(Splat(1.0f), ExpV(Sub(Zero(), x))));
  } else if constexpr (A == kLeakyRelu) {
    return MulWhere(Lt(x, Zero()), x, Splat(kLeakyReluAlpha));
  } else {
    VF e = ExpIn(Min(Splat(20.0f), Max(Splat(-87.0f), x)));  // one clamp: FastExp(min(x, 20))
    VF n = Mul(e, Add(e, Splat(2.0f)));
    return Mul(Max(Splat(-88.0f), x), Div(n, Add(n, Splat(2.0f))));
  }
}

// ActGrad<A> lane by lane.
template <int A>
inline VF ActGradV(VF x) {
  const VF zero = Zero(), one = Splat(1.0f);
  if constexpr (A == kNone) {
    return one;
  } else if constexpr (A == kRelu) {
    return SelectOrZero(Gt(x, zero), one);
  } else if constexpr (A == kRelu6) {
    return SelectOrZero(And(Gt(x, zero), Lt(x, Splat(6.0f))), one);
  } else if constexpr (A == kHswish) {
    VF g = Mul(Fmadd(Splat(2.0f), x, Splat(3.0f)), Splat(1.0f / 6.0f));
    g = Select(Gt(x, Splat(3.0f)), one, g);
    return Select(Lt(x, Splat(-3.0f)), zero, g);
  } else if constexpr (A == kHsigmoid) {
    return SelectOrZero(And(Gt(x, Splat(-3.0f)), Lt(x, Splat(3.0f))), Splat(1.0f / 6.0f));
  } else if constexpr (A == kSigmoid) {
    VF s = ActV<kSigmoid>(x);
    return Mul(s, Sub(one, s));
  } else if constexpr (A == kLeakyRelu) {
    return Select(Lt(x, zero), Splat(kLeakyReluAlpha), one);
  } else {
    // The form of ActGrad<kMish>: rw * (n + 4 x e (1 + e) rw) with rw = 1 / (n + 2).
    VF xc = Min(Splat(20.0f), Max(Splat(-88.0f), x));
    VF e = ExpIn(Max(Splat(-87.0f), xc));
    VF n = Mul(e, Add(e, Splat(2.0f)));
    VF rw = Div(one, Add(n, Splat(2.0f)));
    VF a = Fmadd(e, e, e);
    VF q = Mul(Mul(xc, a), Mul(rw, Splat(4.0f)));
    return Mul(rw, Add(n, q));
  }
}

// The activations whose vector form pays inside the batch-norm kernels: the ones built on exp.
// The others are a few compares or min/max that GCC vectorizes as well by itself, and the
// intrinsic loops measured 3-30% slower for hard-swish and 'none' in the training profile (their
// passes are bound by memory; AVX-512, 2026-12-06).
template <int A>
constexpr bool kVectorAct = A == kMish || A == kSigmoid;

#if CMV3_SIMD == 16 && defined(__AVX512BW__) && defined(__AVX512VL__)
#define CMV3_AVX512_BF16_STORE 1
// v rounded to bfloat16 and stored as 16 uint16: common.h's Bf16Bits on 16 lanes (nearest, ties
// to even, NaN kept quiet), in integer arithmetic, so denormals round as the reference rounds
// them (AVX512_BF16's vcvtneps2bf16 would flush them to zero).
template <bool kTail>
inline void StoreBf16V(uint16_t* p, VB m, VF v) {
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

}  // namespace cmv3

#endif  // CMV3_SIMD
