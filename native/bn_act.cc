// Batch norm fused with an activation, over rows = N*H*W and C contiguous channels (NHWC).
// Threads split the rows; each keeps per-channel partial sums (float within a block of rows,
// double across blocks: rows reach 131072) that are reduced once at the end. The inner loops
// run over channels and vectorize.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "act_vec.h"
#include "bn_blocked.h"
#include "common.h"
#include "eltwise.h"
#include "ops.h"

namespace cmv3 {
namespace {

// Per-channel sums run in float over blocks of this many rows, folded into double per block:
// float vectors are twice as wide as double ones and need no conversion (the double loop ran
// the statistics pass at 0.36 ns per element, slower than the normalise pass), while 64 float
// terms keep the relative rounding error near 64 * 2^-24, far inside the 1e-4 parity bound.
constexpr int64_t kBlockRows = 64;

// This thread's share [begin, end) of `rows` inside a parallel region.
inline void RowRange(int64_t rows, int64_t* begin, int64_t* end) {
  int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
  *begin = rows * t / nt;
  *end = rows * (t + 1) / nt;
}

// Rows [r0, r1) in blocks of kBlockRows: row(r, a, b) adds row r's terms to the float block sums
// a[0..c) and b[0..c), which are folded into the double sums s1 and s2 after each block.
template <typename RowFn>
void BlockedSums(int64_t r0, int64_t r1, int64_t c, double* __restrict s1, double* __restrict s2, RowFn row) {
  std::vector<float> block(2 * c);
  float* a = block.data();
  float* b = a + c;
  for (int64_t b0 = r0; b0 < r1; b0 += kBlockRows) {
    const int64_t b1 = std::min(b0 + kBlockRows, r1);
    for (int64_t ch = 0; ch < 2 * c; ++ch) a[ch] = 0.0f;
    for (int64_t r = b0; r < b1; ++r) row(r, a, b);
    for (int64_t ch = 0; ch < c; ++ch) {
      s1[ch] += a[ch];
      s2[ch] += b[ch];
    }
  }
}

// Sums `parts` slices of 2*c doubles (two per-channel sums each) into out[0..2c).
void ReducePartials(const std::vector<double>& partial, int parts, int64_t c, double* out) {
  for (int64_t i = 0; i < 2 * c; ++i) out[i] = 0.0;
  for (int t = 0; t < parts; ++t) {
    const double* p = partial.data() + t * 2 * c;
    for (int64_t i = 0; i < 2 * c; ++i) out[i] += p[i];
  }
}

// The row yr[0, c) rounded to bfloat16 into hr, right after Normalize wrote it (still in L1):
// bit for bit what a separate toBf16 pass over y gives.
inline void RoundRow(int64_t c, const float* __restrict yr, uint16_t* __restrict hr) {
#if CMV3_AVX512_BF16_STORE
  ForEachV(c, [=](auto tail, int64_t ch, VB m) {
    constexpr bool kT = decltype(tail)::value;
    StoreBf16V<kT>(hr + ch, m, LoadV<kT>(yr + ch, m));
  });
#else
  for (int64_t ch = 0; ch < c; ++ch) hr[ch] = Bf16Bits(yr[ch]);
#endif
}

// y = act((x - mean) * scale + beta) for all rows, and y rounded to bfloat16 into yh when given
// (a bfloat16 convolution reads it next: this saves that convolution a rounding pass over y).
// With y null only yh is written: each row goes through a row of scratch in L1 and is rounded
// from there, the same bits, and the float32 tensor is neither written nor kept.
template <int A>
void Normalize(int64_t rows, int64_t c, const float* __restrict x, const float* __restrict mean,
               const float* __restrict scale, const float* __restrict beta, float* __restrict y,
               uint16_t* __restrict yh = nullptr) {
#pragma omp parallel num_threads(Threads()) if (rows * c >= kParallelMin)
  {
    std::vector<float> scratch(y == nullptr ? c : 0);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const float* __restrict xr = x + r * c;
      float* __restrict yr = y != nullptr ? y + r * c : scratch.data();
#if CMV3_SIMD
      if constexpr (kVectorAct<A>) {
        ForEachV(c, [=](auto tail, int64_t ch, VB m) {
          constexpr bool kT = decltype(tail)::value;
          VF z = Fmadd(Sub(LoadV<kT>(xr + ch, m), LoadV<kT>(mean + ch, m)),
                       LoadV<kT>(scale + ch, m), LoadV<kT>(beta + ch, m));
          StoreV<kT>(yr + ch, m, ActV<A>(z));
        });
        if (yh != nullptr) RoundRow(c, yr, yh + r * c);
        continue;
      }
#endif
#pragma omp simd
      for (int64_t ch = 0; ch < c; ++ch) yr[ch] = ActF<A>((xr[ch] - mean[ch]) * scale[ch] + beta[ch]);
      if (yh != nullptr) RoundRow(c, yr, yh + r * c);
    }
  }
}

struct BnArgs {
  int64_t rows, c;
  int act;
};

BnArgs ReadShape(const Napi::CallbackInfo& info) {
  BnArgs a;
  a.rows = IntArg(info, 0, "rows", 1, int64_t(1) << 40);
  a.c = IntArg(info, 1, "c", 1, int64_t(1) << 24);
  return a;
}

// The optional trailing (block, hw) at info[i], info[i + 1]: absent, undefined or block 0 means
// NHWC rows; else the blocked layout, whose block must be this build's vector width.
bool ReadBlocked(const Napi::CallbackInfo& info, size_t i, const BnArgs& a, BlockedShape* s) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return false;
  const int64_t block = IntArg(info, i, "block", 0, 64);
  if (block == 0) return false;
  const int64_t hw = IntArg(info, i + 1, "hw", 1, a.rows);
  if (block != CMV3_SIMD) {
    ThrowNative(info.Env(), "ERR_ARG", "Expected block " + std::to_string(CMV3_SIMD) + " (this build's vector width; 0 for NHWC) but received " + std::to_string(block));
  }
  if (a.rows % hw != 0 || a.c % block != 0) {
    ThrowNative(info.Env(), "ERR_ARG", "Expected rows a multiple of hw and c a multiple of block but received rows " + std::to_string(a.rows) + ", hw " + std::to_string(hw) + ", c " + std::to_string(a.c));
  }
  *s = {a.rows / hw, hw, a.c};
  return true;
}

// The NHWC statistics pass: per-channel sums of (x - shift) and their squares into total[0, 2c),
// shift = the first row.
void RowStats(int64_t rows, int64_t c, const float* x, float* shift_out, double* total) {
  std::copy(x, x + c, shift_out);
  std::vector<double> partial(static_cast<size_t>(Threads()) * 2 * c, 0.0);
  int parts = 1;
#pragma omp parallel num_threads(Threads()) if (rows * c >= kParallelMin)
  {
#pragma omp single
    parts = omp_get_num_threads();
    int64_t r0, r1;
    RowRange(rows, &r0, &r1);
    double* __restrict sum = partial.data() + omp_get_thread_num() * 2 * c;
    double* __restrict sq = sum + c;
    const float* __restrict k = shift_out;
    BlockedSums(r0, r1, c, sum, sq, [&](int64_t r, float* __restrict bs, float* __restrict bq) {
      const float* __restrict xr = x + r * c;
#pragma omp simd
      for (int64_t ch = 0; ch < c; ++ch) {
        float d = xr[ch] - k[ch];
        bs[ch] += d;
        bq[ch] += d * d;
      }
    });
  }
  ReducePartials(partial, parts, c, total);
}

}  // namespace

// (rows, c, x, gamma, beta, eps, act, y, mean, variance, yHalf?, block?, hw?); y may be null when
// yHalf is given. block (this build's vector width) and hw: the blocked layout of bn_blocked.h.
Napi::Value BnActForwardTraining(const Napi::CallbackInfo& info) {
  BnArgs s = ReadShape(info);
  const int64_t rows = s.rows, c = s.c;
  const float* x = F32Arg(info, 2, "x", rows * c);
  const float* gamma = F32Arg(info, 3, "gamma", c);
  const float* beta = F32Arg(info, 4, "beta", c);
  double eps = NumArg(info, 5, "eps");
  int act = static_cast<int>(IntArg(info, 6, "act", 0, kActCount - 1));
  float* y = F32ArgOrNull(info, 7, "y", rows * c);
  float* mean = F32Arg(info, 8, "mean", c);
  float* variance = F32Arg(info, 9, "variance", c);
  uint16_t* y_half = info[10].IsNull() || info[10].IsUndefined() ? nullptr : U16Arg(info, 10, "yHalf", rows * c);
  if (y == nullptr && y_half == nullptr) {
    ThrowNative(info.Env(), "ERR_ARG", "Expected a Float32Array for y (null only when yHalf is given)");
  }

  BlockedShape bs;
  const bool blocked = ReadBlocked(info, 11, s, &bs);
  if (blocked && y_half != nullptr) ThrowNative(info.Env(), "ERR_ARG", "bfloat16 outputs (yHalf) are not built for the blocked layout");
  // Sums of (x - shift) with shift = first row (first pixel): cuts the cancellation in
  // E[x^2] - E[x]^2 when |mean| >> std, at no extra pass over the data.
  std::vector<float> shift(c);
  std::vector<double> total(2 * c);
#if CMV3_SIMD
  if (blocked) BlockedStats(bs, x, shift.data(), total.data(), total.data() + c);
  else
#endif
    RowStats(rows, c, x, shift.data(), total.data());
  std::vector<float> scale(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    double m = total[ch] / rows;
    double v = total[c + ch] / rows - m * m;
    if (v < 0.0) v = 0.0;
    mean[ch] = static_cast<float>(shift[ch] + m);
    variance[ch] = static_cast<float>(v);
    scale[ch] = static_cast<float>(gamma[ch] / std::sqrt(v + eps));
  }
#if CMV3_SIMD
  if (blocked) {
    BlockedNormalize(act, bs, x, mean, scale.data(), beta, y);
    return info.Env().Undefined();
  }
#endif
  Dispatch(act, [&](auto a) { Normalize<decltype(a)::value>(rows, c, x, mean, scale.data(), beta, y, y_half); });
  return info.Env().Undefined();
}

// (rows, c, x, gamma, beta, mean, variance, eps, act, y, block?, hw?)
Napi::Value BnActForwardInference(const Napi::CallbackInfo& info) {
  BnArgs s = ReadShape(info);
  const int64_t rows = s.rows, c = s.c;
  const float* x = F32Arg(info, 2, "x", rows * c);
  const float* gamma = F32Arg(info, 3, "gamma", c);
  const float* beta = F32Arg(info, 4, "beta", c);
  const float* mean = F32Arg(info, 5, "mean", c);
  const float* variance = F32Arg(info, 6, "variance", c);
  double eps = NumArg(info, 7, "eps");
  int act = static_cast<int>(IntArg(info, 8, "act", 0, kActCount - 1));
  float* y = F32Arg(info, 9, "y", rows * c);
  std::vector<float> scale(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    scale[ch] = static_cast<float>(gamma[ch] / std::sqrt(static_cast<double>(variance[ch]) + eps));
  }
  BlockedShape bs;
#if CMV3_SIMD
  if (ReadBlocked(info, 10, s, &bs)) {
    BlockedNormalize(act, bs, x, mean, scale.data(), beta, y);
    return info.Env().Undefined();
  }
#else
  ReadBlocked(info, 10, s, &bs);  // throws for any block: this build has no vector width
#endif
  Dispatch(act, [&](auto a) { Normalize<decltype(a)::value>(rows, c, x, mean, scale.data(), beta, y); });
  return info.Env().Undefined();
}

namespace {

// From the sums of dz and dz * xhat (total[0, c) and total[c, 2c)): the parameter gradients, and
// pass 2's constants dx = a * (dz - b - xhat * k).
void GradConstants(int64_t rows, int64_t c, const double* total, const float* gamma, const float* rstd, float* dgamma,
                   float* dbeta, float* a, float* b, float* k) {
  for (int64_t ch = 0; ch < c; ++ch) {
    dbeta[ch] = static_cast<float>(total[ch]);
    dgamma[ch] = static_cast<float>(total[c + ch]);
    a[ch] = gamma[ch] * rstd[ch];
    b[ch] = static_cast<float>(total[ch] / rows);
    k[ch] = static_cast<float>(total[c + ch] / rows);
  }
}

// Pass 1: dz = dy * act'(gamma * xhat + beta) stored in dx, with per-thread sums of dz and
// dz * xhat. Pass 2 (after the reduction): dx = gamma*rstd * (dz - dbeta/rows - xhat*dgamma/rows),
// stored in dx, or only rounded to bfloat16 into dx_half when that is given (the producing
// convolution reads its gradient in bfloat16: one narrow store instead of a store and a pass).
template <int A>
void BnBackward(int64_t rows, int64_t c, const float* x, const float* dy, const float* gamma,
                const float* beta, const float* mean, const float* rstd, float* dx, float* dgamma,
                float* dbeta, uint16_t* dx_half) {
  std::vector<double> partial(static_cast<size_t>(Threads()) * 2 * c, 0.0);
  int parts = 1;
  const bool parallel = rows * c >= kParallelMin;
#pragma omp parallel num_threads(Threads()) if (parallel)
  {
#pragma omp single
    parts = omp_get_num_threads();
    int64_t r0, r1;
    RowRange(rows, &r0, &r1);
    double* __restrict sdz = partial.data() + omp_get_thread_num() * 2 * c;
    double* __restrict sdzx = sdz + c;
    BlockedSums(r0, r1, c, sdz, sdzx, [&](int64_t r, float* __restrict bz, float* __restrict bzx) {
      const float* __restrict xr = x + r * c;
      const float* __restrict dyr = dy + r * c;
      float* __restrict dzr = dx + r * c;
#if CMV3_SIMD
      if constexpr (kVectorAct<A>) {
        ForEachV(c, [=](auto tail, int64_t ch, VB m) {
          constexpr bool kT = decltype(tail)::value;
          VF xhat = Mul(Sub(LoadV<kT>(xr + ch, m), LoadV<kT>(mean + ch, m)), LoadV<kT>(rstd + ch, m));
          VF z = Fmadd(LoadV<kT>(gamma + ch, m), xhat, LoadV<kT>(beta + ch, m));
          VF dz = Mul(LoadV<kT>(dyr + ch, m), ActGradV<A>(z));
          StoreV<kT>(dzr + ch, m, dz);
          StoreV<kT>(bz + ch, m, Add(LoadV<kT>(bz + ch, m), dz));
          StoreV<kT>(bzx + ch, m, Fmadd(dz, xhat, LoadV<kT>(bzx + ch, m)));
        });
        return;
      }
#endif
#pragma omp simd
      for (int64_t ch = 0; ch < c; ++ch) {
        float xhat = (xr[ch] - mean[ch]) * rstd[ch];
        float dz = dyr[ch] * ActGrad<A>(gamma[ch] * xhat + beta[ch]);
        dzr[ch] = dz;
        bz[ch] += dz;
        bzx[ch] += dz * xhat;
      }
    });
  }
  std::vector<double> total(2 * c);
  ReducePartials(partial, parts, c, total.data());
  std::vector<float> a(c), b(c), k(c);
  GradConstants(rows, c, total.data(), gamma, rstd, dgamma, dbeta, a.data(), b.data(), k.data());
  const float *pa = a.data(), *pb = b.data(), *pk = k.data();
#pragma omp parallel for num_threads(Threads()) if (parallel) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * c;
    float* __restrict dxr = dx + r * c;
    if (dx_half != nullptr) {
      uint16_t* __restrict hr = dx_half + r * c;
#if CMV3_AVX512_BF16_STORE
      // GCC's loop for this form was slower than the float32 store it replaces.
      ForEachV(c, [=](auto tail, int64_t ch, VB m) {
        constexpr bool kT = decltype(tail)::value;
        VF xhat = Mul(Sub(LoadV<kT>(xr + ch, m), LoadV<kT>(mean + ch, m)), LoadV<kT>(rstd + ch, m));
        VF d = Sub(Sub(LoadV<kT>(dxr + ch, m), LoadV<kT>(pb + ch, m)), Mul(xhat, LoadV<kT>(pk + ch, m)));
        StoreBf16V<kT>(hr + ch, m, Mul(LoadV<kT>(pa + ch, m), d));
      });
      continue;
#endif
#pragma omp simd
      for (int64_t ch = 0; ch < c; ++ch) {
        float xhat = (xr[ch] - mean[ch]) * rstd[ch];
        hr[ch] = Bf16Bits(pa[ch] * (dxr[ch] - pb[ch] - xhat * pk[ch]));
      }
      continue;
    }
#pragma omp simd
    for (int64_t ch = 0; ch < c; ++ch) {
      float xhat = (xr[ch] - mean[ch]) * rstd[ch];
      dxr[ch] = pa[ch] * (dxr[ch] - pb[ch] - xhat * pk[ch]);
    }
  }
}

}  // namespace

Napi::Value ActivationBlock(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), CMV3_SIMD); }

// (rows, c, x, dy, gamma, beta, mean, variance, eps, act, dx, dgamma, dbeta, dxHalf?, block?, hw?)
// With dxHalf (a Uint16Array) the gradient goes there in bfloat16 and dx is only scratch.
Napi::Value BnActBackward(const Napi::CallbackInfo& info) {
  BnArgs s = ReadShape(info);
  const int64_t rows = s.rows, c = s.c;
  const float* x = F32Arg(info, 2, "x", rows * c);
  const float* dy = F32Arg(info, 3, "dy", rows * c);
  const float* gamma = F32Arg(info, 4, "gamma", c);
  const float* beta = F32Arg(info, 5, "beta", c);
  const float* mean = F32Arg(info, 6, "mean", c);
  const float* variance = F32Arg(info, 7, "variance", c);
  double eps = NumArg(info, 8, "eps");
  int act = static_cast<int>(IntArg(info, 9, "act", 0, kActCount - 1));
  float* dx = F32Arg(info, 10, "dx", rows * c);
  float* dgamma = F32Arg(info, 11, "dgamma", c);
  float* dbeta = F32Arg(info, 12, "dbeta", c);
  uint16_t* dx_half = info[13].IsNull() || info[13].IsUndefined() ? nullptr : U16Arg(info, 13, "dxHalf", rows * c);
  BlockedShape bs;
  const bool blocked = ReadBlocked(info, 14, s, &bs);
  if (blocked && dx_half != nullptr) ThrowNative(info.Env(), "ERR_ARG", "bfloat16 gradients (dxHalf) are not built for the blocked layout");
  std::vector<float> rstd(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    rstd[ch] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(variance[ch]) + eps));
  }
#if CMV3_SIMD
  if (blocked) {
    std::vector<double> total(2 * c);
    BlockedBackwardSums(act, bs, x, dy, gamma, beta, mean, rstd.data(), dx, total.data(), total.data() + c);
    std::vector<float> a(c), b(c), k(c);
    GradConstants(rows, c, total.data(), gamma, rstd.data(), dgamma, dbeta, a.data(), b.data(), k.data());
    BlockedBackwardApply(bs, x, mean, rstd.data(), a.data(), b.data(), k.data(), dx);
    return info.Env().Undefined();
  }
#endif
  Dispatch(act, [&](auto a) {
    BnBackward<decltype(a)::value>(rows, c, x, dy, gamma, beta, mean, rstd.data(), dx, dgamma, dbeta, dx_half);
  });
  return info.Env().Undefined();
}

}  // namespace cmv3
