// Building blocks of the depthwise passes over blocked activations ([N][C/B][H*W][B], B =
// CMV3_SIMD): one vector is one pixel's B channels. Included by depthwise_blocked.cc and
// depthwise_blocked_weights.cc; everything is internal to each translation unit.
#pragma once

#include <algorithm>
#include <cstdint>

#include "simd.h"

#if CMV3_SIMD
namespace cmv3 {
namespace {

constexpr int64_t B = CMV3_SIMD;

#if CMV3_SIMD == 16
using VI = __m512i;
inline VF Permute(VF v, VI idx) { return _mm512_permutexvar_ps(idx, v); }
inline VI LoadIdx(const int32_t* p) { return _mm512_loadu_si512(p); }
#else
using VI = __m256i;
inline VF Permute(VF v, VI idx) { return _mm256_permutevar8x32_ps(v, idx); }
inline VI LoadIdx(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
#endif

inline VF LoadVec(const float* p) { return LoadV<false>(p, VB{}); }
inline void StoreVec(float* p, VF v) { StoreV<false>(p, VB{}, v); }

// Output block j of input block k (j = k m + jj) reads input lane (j B + l) / m - k B in its lane
// l: that permutation of a loaded input vector.
inline VI MultiplierLanes(int64_t j, int64_t k, int64_t m) {
  alignas(64) int32_t idx[B];
  for (int64_t l = 0; l < B; ++l) idx[l] = static_cast<int32_t>((j * B + l) / m - k * B);
  return LoadIdx(idx);
}

// Part i of `parts` of the n floats at p (null: nothing) into the cache, a prefetch per line: the
// plane a thread reads next (always the adjacent one in memory) while it computes this one, so the
// copy into the padded plane does not wait on DRAM.
inline void PrefetchPart(const float* p, int64_t n, int64_t i, int64_t parts) {
  if (p == nullptr) return;
  const int64_t per = (n + parts - 1) / parts, end = std::min(n, (i + 1) * per);
  for (int64_t k = i * per; k < end; k += 16) __builtin_prefetch(p + k, 0, 3);
}

// q = a plane of h x w pixels (B lanes each) with `top` zero rows and `left` zero pixels in front,
// zeros out to qh x qw; what does not fit in qh x qw is left out (never read).
inline void PadPlane(const float* src, int64_t h, int64_t w, int64_t top, int64_t left, int64_t qh, int64_t qw, float* q) {
  for (int64_t qy = 0; qy < qh; ++qy) {
    float* row = q + qy * qw * B;
    const int64_t iy = qy - top;
    const int64_t x0 = std::min<int64_t>(qw, left), x1 = std::max<int64_t>(x0, std::min<int64_t>(qw, left + w));
    if (iy < 0 || iy >= h || x1 == x0) {
      std::fill(row, row + qw * B, 0.0f);
      continue;
    }
    std::fill(row, row + x0 * B, 0.0f);
    std::copy(src + iy * w * B, src + (iy * w + x1 - left) * B, row + x0 * B);
    std::fill(row + x1 * B, row + qw * B, 0.0f);
  }
}

}  // namespace
}  // namespace cmv3
#endif  // CMV3_SIMD
