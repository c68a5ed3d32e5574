// Stride-1 depthwise convolutions over blocks of output rows: native/depthwise.cc's forward and
// backward data for 3x3 and 5x5 at stride 1, the kernels (BlockPixels) and the passes over a
// tensor (ForwardBlocks, BackwardDataBlocks). Included by depthwise.cc only.
//
// Why blocks of rows: one output row at a time (ForwardRow) loads every source vector once per
// output row it feeds, and each 4-pixel block reloads its weights, so the loads keep pace with
// the FMAs. A block of two output rows x 8 pixels (4 without AVX-512: kBlockPixels) loads (K + 1) x (K + 7) source vectors for
// 2 x 8 x K x K FMAs (3x3: 40 source loads for 144 FMAs; one row x 4 pixels: 18 for 36).
// Measured on one core, in cache, one image (2026-12-06, a standalone copy of both loops):
// 32x32x144 3x3 45.7 -> 85.5 GFLOP/s, 16x16x288 5x5 39.1 -> 114.8 (this machine's sgemm runs
// at about 113 per core). Every output still sums its taps in the same order as ForwardRow /
// BackwardDataRow: rows in the order given, columns in ascending source pixel. One difference:
// rows outside the image are zero rows here (the old kernels skipped them), which changes the
// sign of an exact zero at most, or gives NaN where a weight is infinite (0 x Inf).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common.h"
#include "depthwise.h"
#include "depthwise_rows.h"
#include "ops.h"

namespace cmv3 {
namespace {

// One block of R output rows: out row o (0 <= o < R) is the correlation of source rows
// rows[o .. o + K - 1] with weight rows 0 .. K - 1, and within a row out pixel x reads source
// pixels x .. x + K - 1 with weight columns 0 .. K - 1. The weight of (row tap i, column tap j)
// for channel ch is w[i*wk + j*wt + ch]; the steps may be negative (backward data flips them).
struct BlockTaps {
  const float* const* rows;  // R + K - 1 source rows (padded; zero rows outside the image)
  float* const* outs;        // R output rows
  const float* w;
  int64_t wk, wt, co;        // weight steps, channels per pixel
  const float* bias;         // per channel, or null (then the sums start at 0)
};

template <int L, int K, int R, int P>
inline void BlockPixels(int64_t cb, const BlockTaps& t, int64_t ox) {
  using V = typename VecOf<L>::T;
  const int64_t co = t.co;
  V a[R][P];
  const V init = t.bias != nullptr ? Load<L>(t.bias + cb) : V{};
#pragma GCC unroll 4
  for (int o = 0; o < R; ++o)
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) a[o][p] = init;
#pragma GCC unroll 8
  for (int k = 0; k < R + K - 1; ++k) {
    const float* src = t.rows[k] + ox * co + cb;
#pragma GCC unroll 12
    for (int q = 0; q < P + K - 1; ++q) {
      const V xv = Load<L>(src + q * co);
#pragma GCC unroll 4
      for (int o = 0; o < R; ++o) {
        if (k - o < 0 || k - o >= K) continue;
#pragma GCC unroll 8
        for (int p = 0; p < P; ++p) {
          if (q - p >= 0 && q - p < K) a[o][p] += xv * Load<L>(t.w + (k - o) * t.wk + (q - p) * t.wt + cb);
        }
      }
    }
  }
#pragma GCC unroll 4
  for (int o = 0; o < R; ++o)
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) Store<L>(t.outs[o] + (ox + p) * co + cb, a[o][p]);
}

// Pixels per block: 2 rows x 8 pixels of accumulators fit AVX-512's 32 registers; with 16 (AVX2)
// they spilled, and 4 pixels measured faster there (bench:dw, 2026-12-06).
constexpr int kBlockPixels = CMV3_SIMD == 16 ? 8 : 4;

// All pixels of one channel block: kBlockPixels at a time, then 4, then 1.
template <int L, int K, int R>
inline void BlockRow(int64_t cb, const BlockTaps& t, int64_t width) {
  int64_t ox = 0;
  for (; ox + kBlockPixels <= width; ox += kBlockPixels) BlockPixels<L, K, R, kBlockPixels>(cb, t, ox);
  if constexpr (kBlockPixels > 4) for (; ox + 4 <= width; ox += 4) BlockPixels<L, K, R, 4>(cb, t, ox);
  for (; ox < width; ++ox) BlockPixels<L, K, R, 1>(cb, t, ox);
}

// The block's R (1 or 2) and K (3 or 5) as compile-time constants, over channel blocks of
// 16, 8, 4, 1 (ForChannelBlocks' F::Run<L, S, K> with S standing for R here).
struct BlockRun {
  template <int L, int R, int K>
  static void Run(int64_t cb, const BlockTaps& t, int64_t width) { BlockRow<L, K, R>(cb, t, width); }
};

// Rows per block: two measured best for both kernel sizes (R = 4 with 4 pixels was as fast for
// 3x3 and 9% slower for 5x5).
constexpr int64_t kBlockRows = 2;

inline bool BlockKernel(int64_t stride, int64_t kh, int64_t kw) { return stride == 1 && kh == kw && (kw == 3 || kw == 5); }

inline void RunBlock(int64_t r, int64_t k, int64_t co, const BlockTaps& t, int64_t width) {
  if (k == 3) {
    if (r == 2) ForChannelBlocks<BlockRun, 2, 3>(co, t, width);
    else ForChannelBlocks<BlockRun, 1, 3>(co, t, width);
  } else {
    if (r == 2) ForChannelBlocks<BlockRun, 2, 5>(co, t, width);
    else ForChannelBlocks<BlockRun, 1, 5>(co, t, width);
  }
}

// Stride 1, 3x3 or 5x5: parallel over blocks of kBlockRows output rows of one image (the last
// block of an image may be shorter). Rows above and below the image are zero rows.
void ForwardBlocks(const DwShape& s, const float* x, const float* w, const float* bias, float* y) {
  const int64_t co = s.c * s.m, k = s.kh, per = (s.oh + kBlockRows - 1) / kBlockRows, blocks = s.n * per;
#pragma omp parallel num_threads(Threads()) if (Work(s) >= kParallelMin)
  {
    RowCache cache(x, s.h, s.w, s.c, s.m, s.pl, PaddedWidth(s), k + kBlockRows - 1);
    const float* rows[kBlockRows + 4];
    float* outs[kBlockRows];
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t n = b / per, oy0 = (b % per) * kBlockRows, r = std::min(kBlockRows, s.oh - oy0);
      for (int64_t i = 0; i < r + k - 1; ++i) {
        const int64_t iy = oy0 + i - s.pt;
        rows[i] = iy < 0 || iy >= s.h ? cache.Zeros() : cache.Row(n, iy);
      }
      for (int64_t o = 0; o < r; ++o) outs[o] = y + ((n * s.oh) + oy0 + o) * s.ow * co;
      if (b + 1 < blocks) {  // the rows the next block adds, and its output
        const int64_t n1 = (b + 1) / per, oy1 = ((b + 1) % per) * kBlockRows;
        for (int64_t i = k - 1; i < k - 1 + kBlockRows; ++i) cache.Prefetch(n1, oy1 + i - s.pt);
        PrefetchForWrite(y + ((n1 * s.oh) + oy1) * s.ow * co, std::min(kBlockRows, s.oh - oy1) * s.ow * co);
      }
      const BlockTaps t{rows, outs, w, k * co, co, co, bias};
      RunBlock(r, k, co, t, s.ow);
    }
  }
}

// Stride 1, 3x3 or 5x5: parallel over blocks of kBlockRows dx rows of one image. dx row iy
// gathers dy rows iy + pt - ky (ky = 0 .. K-1) with weight row ky, and dy pixel ix + pl - kx
// with weight column kx, so the block's dy rows go in descending order and its dx rows come out
// last first (BlockTaps' out row o' is dx row iy0 + r - 1 - o'), with the weight columns flipped:
// the same order of terms as BackwardDataRow.
void BackwardDataBlocks(const DwShape& s, const float* dy, const float* w, float* dx) {
  const int64_t co = s.c * s.m, k = s.kh, per = (s.h + kBlockRows - 1) / kBlockRows, blocks = s.n * per;
  const int64_t lp = std::max<int64_t>(0, k - 1 - s.pl), padded = s.w + s.pl + lp;
  const int64_t shift = (s.pl - (k - 1) + lp) * co;  // dy pixel of dx pixel 0's first tap, in the padded row
#pragma omp parallel num_threads(Threads()) if (Work(s) >= kParallelMin)
  {
    RowCache cache(dy, s.oh, s.ow, co, 1, lp, padded, k + kBlockRows - 1);
    // Cout-space rows (m > 1) for the block, then Contract's scratch.
    std::vector<float> acc(s.m > 1 ? (kBlockRows + 1) * s.w * co : 0);
    const float* rows[kBlockRows + 4];
    float* outs[kBlockRows];
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t n = b / per, iy0 = (b % per) * kBlockRows, r = std::min(kBlockRows, s.h - iy0);
      for (int64_t i = 0; i < r + k - 1; ++i) {
        const int64_t oy = iy0 + r - 1 + s.pt - i;
        rows[i] = oy < 0 || oy >= s.oh ? cache.Zeros() + shift : cache.Row(n, oy) + shift;
      }
      for (int64_t o = 0; o < r; ++o) {
        float* dxr = dx + ((n * s.h) + iy0 + r - 1 - o) * s.w * s.c;
        outs[o] = s.m > 1 ? acc.data() + o * s.w * co : dxr;
      }
      if (b + 1 < blocks) {
        const int64_t n1 = (b + 1) / per, iy1 = ((b + 1) % per) * kBlockRows;
        for (int64_t i = 0; i < kBlockRows; ++i) cache.Prefetch(n1, iy1 + i + s.pt);
        PrefetchForWrite(dx + ((n1 * s.h) + iy1) * s.w * s.c, std::min(kBlockRows, s.h - iy1) * s.w * s.c);
      }
      const BlockTaps t{rows, outs, w + (k - 1) * co, k * co, -co, co, nullptr};
      RunBlock(r, k, co, t, s.w);
      if (s.m > 1) {
        for (int64_t o = 0; o < r; ++o) {
          Contract(outs[o], s.w * s.c, s.m, dx + ((n * s.h) + iy0 + r - 1 - o) * s.w * s.c, acc.data() + kBlockRows * s.w * co);
        }
      }
    }
  }
}

}  // namespace
}  // namespace cmv3
