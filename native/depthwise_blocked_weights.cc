// Depthwise weight gradient over blocked activations: dW[ky][kx][o] = sum over images and output
// pixels of x[c][oy s + ky - pt][ox s + kx - pl] dy[o][oy][ox] (c = o / m), dbias[o] = sum of
// dy[o]. Per plane (image, input block) x is copied once into a zero-padded plane (as the
// forward does); with m > 1 once more per output block, lane-permuted into output lanes, so the
// inner loop has no permutes. Then the taps' sums over the plane's pixels stay in registers: all
// nine of a 3x3 at once, a 5x5 in groups of tap rows that fit the registers (two rows, 10 sums,
// on AVX2; all 25 on AVX-512), each loaded dy vector feeding every sum of the group. As the NHWC
// kernel does per image, a plane is summed in float and added into the thread's own double
// (taps, Cout) + (Cout) accumulator; the threads' accumulators are added in thread order.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "common.h"
#include "depthwise.h"
#include "depthwise_blocked.h"
#include "ops.h"
#include "simd.h"

#if CMV3_SIMD
namespace cmv3 {
namespace {

// What a thread reads after this plane (the adjacent x plane, the adjacent dy plane; null: none):
// prefetched during the first pass over this one.
struct Next {
  const float* x;
  int64_t x_len;
  const float* dy;
  int64_t dy_len;
};

// Sums of tap rows ky0 .. ky0 + R - 1 (all K columns) over one output plane, into out (tap t at
// out + t B), and of dy into out + K K B when kBias (the first pass, which also prefetches).
template <int K, int S, int R, bool kBias>
void TapRows(const float* __restrict xp, int64_t pw, const float* __restrict dy, int64_t oh, int64_t ow, int ky0,
             const Next& next, float* __restrict out) {
  VF acc[R][K];
  for (auto& row : acc) for (VF& v : row) v = Zero();
  VF bacc = Zero();
  for (int64_t oy = 0; oy < oh; ++oy) {
    if constexpr (kBias) {
      PrefetchPart(next.x, next.x_len, oy, oh);
      PrefetchPart(next.dy, next.dy_len, oy, oh);
    }
    const float* xrow = xp + (oy * S + ky0) * pw * B;
    const float* drow = dy + oy * ow * B;
    for (int64_t ox = 0; ox < ow; ++ox) {
      const VF d = LoadVec(drow + ox * B);
      if constexpr (kBias) bacc = Add(bacc, d);
      for (int r = 0; r < R; ++r)
        for (int kx = 0; kx < K; ++kx) acc[r][kx] = Fmadd(LoadVec(xrow + (r * pw + ox * S + kx) * B), d, acc[r][kx]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int kx = 0; kx < K; ++kx) StoreVec(out + ((ky0 + r) * K + kx) * B, acc[r][kx]);
  if constexpr (kBias) StoreVec(out + K * K * B, bacc);
}

// All K x K taps and the bias: tap-row groups of R rows, R as large as leaves 4 registers for
// the loads (R K sums + the bias sum).
template <int K, int S>
void PlaneTaps(const float* xp, int64_t pw, const float* dy, int64_t oh, int64_t ow, const Next& next, float* out) {
  constexpr int R = std::min(K, (kVectorRegisters - 5) / K);
  TapRows<K, S, R, true>(xp, pw, dy, oh, ow, 0, next, out);
  int ky0 = R;
  for (; ky0 + R <= K; ky0 += R) TapRows<K, S, R, false>(xp, pw, dy, oh, ow, ky0, next, out);
  if constexpr (K % R != 0) TapRows<K, S, K % R, false>(xp, pw, dy, oh, ow, ky0, next, out);
}

// Any kernel size and stride, one tap at a time.
void PlaneTapsAny(const DwShape& s, const float* xp, int64_t pw, const float* dy, float* out) {
  for (int64_t ky = 0; ky < s.kh; ++ky) {
    for (int64_t kx = 0; kx < s.kw; ++kx) {
      VF a = Zero();
      for (int64_t oy = 0; oy < s.oh; ++oy)
        for (int64_t ox = 0; ox < s.ow; ++ox)
          a = Fmadd(LoadVec(xp + ((oy * s.stride + ky) * pw + ox * s.stride + kx) * B), LoadVec(dy + (oy * s.ow + ox) * B), a);
      StoreVec(out + (ky * s.kw + kx) * B, a);
    }
  }
  VF a = Zero();
  for (int64_t p = 0; p < s.oh * s.ow; ++p) a = Add(a, LoadVec(dy + p * B));
  StoreVec(out + s.kh * s.kw * B, a);
}

void Taps(const DwShape& s, const float* xp, int64_t pw, const float* dy, const Next& next, float* out) {
  const bool square = s.kh == s.kw;
  if (square && s.kh == 3 && s.stride == 1) return PlaneTaps<3, 1>(xp, pw, dy, s.oh, s.ow, next, out);
  if (square && s.kh == 3 && s.stride == 2) return PlaneTaps<3, 2>(xp, pw, dy, s.oh, s.ow, next, out);
  if (square && s.kh == 5 && s.stride == 1) return PlaneTaps<5, 1>(xp, pw, dy, s.oh, s.ow, next, out);
  if (square && s.kh == 5 && s.stride == 2) return PlaneTaps<5, 2>(xp, pw, dy, s.oh, s.ow, next, out);
  PlaneTapsAny(s, xp, pw, dy, out);
}

}  // namespace

void DepthwiseBackwardWeightsBlocked(const DwShape& s, const float* x, const float* dy, float* dw, float* dbias) {
  const int64_t cbi = s.c / B, cout = s.c * s.m, cbo = cout / B, taps = s.kh * s.kw;
  const int64_t ph = (s.oh - 1) * s.stride + s.kh, pw = (s.ow - 1) * s.stride + s.kw;
  const int64_t ihw = s.h * s.w, ohw = s.oh * s.ow, slice = (taps + 1) * cout;  // weights, then bias
  const int nt = Threads();
  std::vector<double> partial(static_cast<size_t>(nt * slice), 0.0);
#pragma omp parallel num_threads(nt) if (s.n * ohw * cout * taps >= kParallelMin)
  {
    double* __restrict part = partial.data() + omp_get_thread_num() * slice;
    std::vector<float> padded(static_cast<size_t>(ph * pw * B)), permuted(s.m > 1 ? padded.size() : 0);
    std::vector<float> sums(static_cast<size_t>((taps + 1) * B));
#pragma omp for schedule(static)
    for (int64_t plane = 0; plane < s.n * cbi; ++plane) {
      const int64_t b = plane / cbi, k = plane % cbi;
      PadPlane(x + plane * ihw * B, s.h, s.w, s.pt, s.pl, ph, pw, padded.data());
      for (int64_t jj = 0; jj < s.m; ++jj) {
        const int64_t j = k * s.m + jj;
        const float* xp = padded.data();
        if (s.m > 1) {
          const VI lanes = MultiplierLanes(j, k, s.m);
          for (int64_t i = 0; i < ph * pw; ++i) StoreVec(permuted.data() + i * B, Permute(LoadVec(padded.data() + i * B), lanes));
          xp = permuted.data();
        }
        const float* dyj = dy + (b * cbo + j) * ohw * B;
        const bool last_x = plane + 1 == s.n * cbi, last_dy = b * cbo + j + 1 == s.n * cbo;
        const Next next{jj == 0 && !last_x ? x + (plane + 1) * ihw * B : nullptr, ihw * B, last_dy ? nullptr : dyj + ohw * B, ohw * B};
        Taps(s, xp, pw, dyj, next, sums.data());
        for (int64_t t = 0; t <= taps; ++t) {
          double* __restrict dst = part + t * cout + j * B;
          const float* __restrict src = sums.data() + t * B;
#pragma omp simd
          for (int64_t l = 0; l < B; ++l) dst[l] += src[l];
        }
      }
    }
  }
  const int64_t outs = dbias != nullptr ? slice : taps * cout;
  for (int64_t i = 0; i < outs; ++i) {
    double v = 0.0;
    for (int t = 0; t < nt; ++t) v += partial[t * slice + i];
    if (i < taps * cout) dw[i] = static_cast<float>(v);
    else dbias[i - taps * cout] = static_cast<float>(v);
  }
}

}  // namespace cmv3
#endif  // CMV3_SIMD
