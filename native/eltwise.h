// Activation math shared by the element-wise ops and the fused batch-norm kernels.
// Each activation is a template argument so the hot loops contain no branch on its kind and
// GCC can vectorize them; Dispatch() picks the instantiation once per call.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace cmv3 {

// Ids shared with ACTIVATION_ID in src/backend/types.ts.
enum Act : int { kNone = 0, kRelu = 1, kRelu6 = 2, kHswish = 3, kHsigmoid = 4, kSigmoid = 5, kMish = 6, kLeakyRelu = 7 };
constexpr int kActCount = 8;
// LEAKY_RELU_ALPHA in src/backend/types.ts.
constexpr float kLeakyReluAlpha = 0.1f;

// expf without libm: glibc's expf is a call that blocks vectorization of the whole loop.
constexpr float kLog2e = 1.44269504088896341f, kLn2 = 0.693147182464599609f;
constexpr float kExpC2 = 0.499992311000824f, kExpC3 = 0.16667114198207855f;
constexpr float kExpC4 = 0.041890114545822144f, kExpC5 = 0.008312525227665901f;
// x = k ln2 + r, then e^r on [-ln2/2, ln2/2] as 1 + r + r^2 (c2 + c3 r + c4 r^2 + c5 r^3): a fit
// for relative error (Lawson-weighted least squares, 1.1e-7 with float coefficients), and ln2 as
// one float, whose error (1.9e-9) times |k| <= 127 adds at most 2.5e-7: at most 4.1e-7 relative over [-87, 88] in all (about 3 ulp; measured
// against double exp on 17.5 M points). It
// replaced Cephes' two-constant reduction and degree-6 polynomial (about 1 ulp), whose extra
// multiply-adds made the vector Mish and its derivative 25% slower (act_vec.h, 2026-12-07).
// The clamp keeps 2^k a normal float; exp(-87) ~ 1.6e-38 is as good as 0 for our uses.
// k = round(x / ln2) by the 1.5 * 2^23 trick: adding it leaves k in the low mantissa bits, so
// k is read off as an integer and k as a float is one subtraction away (no float->int
// conversion with a sign select, which made the whole function 1.6x slower: 0.42 against
// 0.26 ns per element on one core, measured 2026-12-05).
inline float FastExp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23, bits 0x4B400000
  float t = x * kLog2e + kRound;
  int32_t k;
  std::memcpy(&k, &t, sizeof k);
  k -= 0x4B400000;
  float kf = t - kRound;
  float r = x - kf * kLn2;
  float p = kExpC5 * r + kExpC4;
  p = p * r + kExpC3;
  p = p * r + kExpC2;
  p = r * r * p + r + 1.0f;
  int32_t bits = (k + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// Branch-free forms (min/max, sequential selects, & instead of &&) so GCC if-converts and
// vectorizes the loops; nested ternaries and && left "control flow in loop".
inline float Relu6(float x) { return std::min(std::max(x, 0.0f), 6.0f); }

template <int A>
inline float ActF(float x) {
  if constexpr (A == kNone) {
    return x;
  } else if constexpr (A == kRelu) {
    return std::max(x, 0.0f);
  } else if constexpr (A == kRelu6) {
    return Relu6(x);
  } else if constexpr (A == kHswish) {
    return x * Relu6(x + 3.0f) * (1.0f / 6.0f);
  } else if constexpr (A == kHsigmoid) {
    return Relu6(x + 3.0f) * (1.0f / 6.0f);
  } else if constexpr (A == kSigmoid) {
    return 1.0f / (1.0f + FastExp(-x));
  } else if constexpr (A == kLeakyRelu) {
    return x >= 0.0f ? x : kLeakyReluAlpha * x;
  } else {
    // mish = x * tanh(softplus(x)); with e = exp(x), n = e(e+2): tanh(softplus) = n/(n+2).
    // Past x = 20, n/(n+2) rounds to 1 in float, so clamping the exponent needs no select
    // (a select here made GCC give up on vectorizing: "control flow in loop"). n/(n+2) first:
    // x * n overflows past x ~ 1e21. Below -88 the factor is FastExp's floor, not 0, so x is
    // clamped there too (mish(-88) ~ -5e-37: as good as the true value).
    float e = FastExp(std::min(x, 20.0f));
    float n = e * (e + 2.0f);
    return std::max(x, -88.0f) * (n / (n + 2.0f));
  }
}

// Derivative of ActF<A> at the pre-activation value x.
template <int A>
inline float ActGrad(float x) {
  if constexpr (A == kNone) {
    return 1.0f;
  } else if constexpr (A == kRelu) {
    return x > 0.0f ? 1.0f : 0.0f;
  } else if constexpr (A == kRelu6) {
    return ((x > 0.0f) & (x < 6.0f)) ? 1.0f : 0.0f;
  } else if constexpr (A == kHswish) {
    float g = (2.0f * x + 3.0f) * (1.0f / 6.0f);
    g = x > 3.0f ? 1.0f : g;
    return x < -3.0f ? 0.0f : g;
  } else if constexpr (A == kHsigmoid) {
    return ((x > -3.0f) & (x < 3.0f)) ? (1.0f / 6.0f) : 0.0f;
  } else if constexpr (A == kSigmoid) {
    float s = 1.0f / (1.0f + FastExp(-x));
    return s * (1.0f - s);
  } else if constexpr (A == kLeakyRelu) {
    return x >= 0.0f ? 1.0f : kLeakyReluAlpha;
  } else {
    // tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2) with t = n/w, w = n + 2: 1 - t^2 = 4(n+1)/w^2
    // (no cancellation near t = 1) and n + 1 = (1 + e)^2, so the whole is rw * (n + 4x e(1+e) rw)
    // with rw = 1/w: one division. x * e(1+e) is formed first so huge |x| cannot overflow.
    // Clamped as in ActF: past x = 20, t rounds to 1 and the second term to 0; below -88 both
    // terms are 0 in float.
    float xc = std::min(std::max(x, -88.0f), 20.0f);
    float e = FastExp(xc);
    float n = e * (e + 2.0f);
    float rw = 1.0f / (n + 2.0f);
    float q = (xc * (e * e + e)) * (rw * 4.0f);
    return rw * (n + q);
  }
}

// Calls fn(std::integral_constant<int, A>{}) for the runtime id `act` (validated by the caller).
template <typename Fn>
inline void Dispatch(int act, Fn&& fn) {
  switch (act) {
    case kNone: fn(std::integral_constant<int, kNone>{}); break;
    case kRelu: fn(std::integral_constant<int, kRelu>{}); break;
    case kRelu6: fn(std::integral_constant<int, kRelu6>{}); break;
    case kHswish: fn(std::integral_constant<int, kHswish>{}); break;
    case kHsigmoid: fn(std::integral_constant<int, kHsigmoid>{}); break;
    case kSigmoid: fn(std::integral_constant<int, kSigmoid>{}); break;
    case kLeakyRelu: fn(std::integral_constant<int, kLeakyRelu>{}); break;
    default: fn(std::integral_constant<int, kMish>{}); break;
  }
}

}  // namespace cmv3
