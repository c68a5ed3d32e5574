// Batch norm + activation over blocked planes (bn_blocked.h). Threads split the planes (n, cb);
// each keeps per-channel partial sums in double, reduced once at the end. Within a plane the sums
// run in float vectors over chunks of kChunk pixels and are folded into the double partials
// after each chunk, as bn_act.cc does per 64 rows.
#include "bn_blocked.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "act_vec.h"
#include "common.h"
#include "eltwise.h"
#include "ops.h"

#if CMV3_SIMD
namespace cmv3 {
namespace {

constexpr int64_t B = CMV3_SIMD;
constexpr int64_t kChunk = 64;

// Adds the B lanes of v to out[0, B) in double.
inline void Fold(VF v, double* out) {
  alignas(64) float t[B];
  StoreV<false>(t, VB{}, v);
  for (int64_t l = 0; l < B; ++l) out[l] += t[l];
}

// fn(plane, cb, partial) for every plane, in parallel; partial: this thread's 2c doubles, all
// threads' slices summed into out[0, 2c) at the end.
template <typename Fn>
void PlanesWithSums(const BlockedShape& s, double* out, Fn fn) {
  const int64_t cb = s.c / B, planes = s.n * cb;
  std::vector<double> partial(static_cast<size_t>(Threads()) * 2 * s.c, 0.0);
  int parts = 1;
#pragma omp parallel num_threads(Threads()) if (s.n * s.hw * s.c >= kParallelMin)
  {
#pragma omp single
    parts = omp_get_num_threads();
    double* mine = partial.data() + omp_get_thread_num() * 2 * s.c;
#pragma omp for schedule(static)
    for (int64_t p = 0; p < planes; ++p) fn(p, p % cb, mine);
  }
  std::fill(out, out + 2 * s.c, 0.0);
  for (int t = 0; t < parts; ++t) {
    for (int64_t i = 0; i < 2 * s.c; ++i) out[i] += partial[t * 2 * s.c + i];
  }
}

template <int A>
void Normalize(const BlockedShape& s, const float* x, const float* mean, const float* scale, const float* beta,
               float* y) {
  const int64_t cb = s.c / B, planes = s.n * cb;
#pragma omp parallel for num_threads(Threads()) if (s.n * s.hw * s.c >= kParallelMin) schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t ch = (p % cb) * B;
    const VF m = LoadV<false>(mean + ch, VB{}), k = LoadV<false>(scale + ch, VB{}), b = LoadV<false>(beta + ch, VB{});
    const float* __restrict xp = x + p * s.hw * B;
    float* __restrict yp = y + p * s.hw * B;
    for (int64_t i = 0; i < s.hw; ++i) {
      StoreV<false>(yp + i * B, VB{}, ActV<A>(Fmadd(Sub(LoadV<false>(xp + i * B, VB{}), m), k, b)));
    }
  }
}

template <int A>
void BackwardSums(const BlockedShape& s, const float* x, const float* dy, const float* gamma, const float* beta,
                  const float* mean, const float* rstd, float* dx, double* sums) {
  PlanesWithSums(s, sums, [&](int64_t p, int64_t cb, double* part) {
    const int64_t ch = cb * B;
    const VF m = LoadV<false>(mean + ch, VB{}), r = LoadV<false>(rstd + ch, VB{});
    const VF g = LoadV<false>(gamma + ch, VB{}), b = LoadV<false>(beta + ch, VB{});
    const float* __restrict xp = x + p * s.hw * B;
    const float* __restrict dyp = dy + p * s.hw * B;
    float* __restrict dzp = dx + p * s.hw * B;
    for (int64_t i0 = 0; i0 < s.hw; i0 += kChunk) {
      VF a = Zero(), q = Zero();
      for (int64_t i = i0; i < std::min(i0 + kChunk, s.hw); ++i) {
        const VF xhat = Mul(Sub(LoadV<false>(xp + i * B, VB{}), m), r);
        const VF dz = Mul(LoadV<false>(dyp + i * B, VB{}), ActGradV<A>(Fmadd(g, xhat, b)));
        StoreV<false>(dzp + i * B, VB{}, dz);
        a = Add(a, dz);
        q = Fmadd(dz, xhat, q);
      }
      Fold(a, part + ch);
      Fold(q, part + s.c + ch);
    }
  });
}

}  // namespace

void BlockedStats(const BlockedShape& s, const float* x, float* shift, double* sum, double* sq) {
  const int64_t cb = s.c / B;
  for (int64_t c0 = 0; c0 < cb; ++c0) std::copy(x + c0 * s.hw * B, x + c0 * s.hw * B + B, shift + c0 * B);
  std::vector<double> out(2 * s.c);
  PlanesWithSums(s, out.data(), [&](int64_t p, int64_t c0, double* part) {
    const int64_t ch = c0 * B;
    const VF k = LoadV<false>(shift + ch, VB{});
    const float* __restrict xp = x + p * s.hw * B;
    for (int64_t i0 = 0; i0 < s.hw; i0 += kChunk) {
      VF a = Zero(), q = Zero();
      for (int64_t i = i0; i < std::min(i0 + kChunk, s.hw); ++i) {
        const VF d = Sub(LoadV<false>(xp + i * B, VB{}), k);
        a = Add(a, d);
        q = Fmadd(d, d, q);
      }
      Fold(a, part + ch);
      Fold(q, part + s.c + ch);
    }
  });
  std::copy(out.begin(), out.begin() + s.c, sum);
  std::copy(out.begin() + s.c, out.end(), sq);
}

void BlockedNormalize(int act, const BlockedShape& s, const float* x, const float* mean, const float* scale,
                      const float* beta, float* y) {
  Dispatch(act, [&](auto a) { Normalize<decltype(a)::value>(s, x, mean, scale, beta, y); });
}

void BlockedBackwardSums(int act, const BlockedShape& s, const float* x, const float* dy, const float* gamma,
                         const float* beta, const float* mean, const float* rstd, float* dx, double* sdz, double* sdzx) {
  std::vector<double> out(2 * s.c);
  Dispatch(act, [&](auto a) { BackwardSums<decltype(a)::value>(s, x, dy, gamma, beta, mean, rstd, dx, out.data()); });
  std::copy(out.begin(), out.begin() + s.c, sdz);
  std::copy(out.begin() + s.c, out.end(), sdzx);
}

void BlockedBackwardApply(const BlockedShape& s, const float* x, const float* mean, const float* rstd, const float* a,
                          const float* b, const float* k, float* dx) {
  const int64_t cb = s.c / B, planes = s.n * cb;
#pragma omp parallel for num_threads(Threads()) if (s.n * s.hw * s.c >= kParallelMin) schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t ch = (p % cb) * B;
    const VF m = LoadV<false>(mean + ch, VB{}), r = LoadV<false>(rstd + ch, VB{});
    const VF va = LoadV<false>(a + ch, VB{}), vb = LoadV<false>(b + ch, VB{}), vk = LoadV<false>(k + ch, VB{});
    const float* __restrict xp = x + p * s.hw * B;
    float* __restrict dxp = dx + p * s.hw * B;
    for (int64_t i = 0; i < s.hw; ++i) {
      const VF xhat = Mul(Sub(LoadV<false>(xp + i * B, VB{}), m), r);
      StoreV<false>(dxp + i * B, VB{}, Mul(va, Sub(Sub(LoadV<false>(dxp + i * B, VB{}), vb), Mul(xhat, vk))));
    }
  }
}

}  // namespace cmv3
#endif  // CMV3_SIMD
