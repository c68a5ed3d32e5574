// Depthwise convolutions (groups == Cin, Cout = Cin * m) on NHWC data, written by hand because
// oneDNN 2.6 is slow on most of cmv3's shapes: with m > 1 it is not its "depthwise" case (that
// needs Cout/groups = 1) and falls to a generic grouped path, and its weight gradient is slow
// even for m = 1 (native/conv_route.cc picks per pass). The ops do KH*KW FMAs per output value and
// are close to memory-bound, so the kernels stream over rows and vectorize over the contiguous
// channels of a pixel.
//
// Three ideas keep the inner loops simple:
//  - Padded row copies. Source rows are copied, once per thread, into a buffer with zero pixels
//    on both sides (RowCache), so no tap ever needs a bounds check.
//  - Channel multiplier by expansion. For m > 1 the copy also expands the row to Cout channels
//    (xe[c*m + j] = x[c]), so output channel o reads xe[o]: plain contiguous loads, no gather.
//    Backward data accumulates in Cout space and contracts once per dx row (sum over j).
//  - Register accumulators. Each kernel keeps one block of 16 (8, 4, 1 at the channel tail)
//    channels of 4 neighbouring outputs in registers over all taps, with stride and kernel
//    size compile-time for 3x3 and 5x5, so each load feeds several FMAs. GCC keeps a
//    `#pragma omp simd` loop's accumulator in memory across an enclosing tap loop (and does
//    not vectorize the lane loop as an outer loop), so these use GCC vector types.
//  - Blocks of output rows at stride 1 (3x3, 5x5; depthwise_block.h): forward and backward
//    data compute two output rows x 8 pixels at once, so each source vector loaded serves both
//    rows (about half as many loads per FMA). Measured in a training step's shapes, not only
//    in cache (DEVELOPERS.md).
#include "depthwise.h"
#include "depthwise_rows.h"
#include "depthwise_block.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common.h"
#include "ops.h"

namespace cmv3 {
namespace {

// The three passes are all 1-D correlations along a row, with unit-stride taps once a stride-s
// row is split into its s residue classes (pixels r, r+s, r+2s, ...). These two blocks do the
// arithmetic for P neighbouring outputs and T taps, both compile-time so the accumulators and
// weights stay in registers, and each loaded source vector feeds up to min(P, T) FMAs.

// acc[p] += sum_t src[(p + t)*ss] * w[t*ws], p < P, t < T.
template <int L, int T, int P>
inline void CorrBlock(typename VecOf<L>::T* acc, const float* src, int64_t ss, const float* w, int64_t ws) {
  typename VecOf<L>::T wv[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) wv[t] = Load<L>(w + t * ws);
#pragma GCC unroll 16
  for (int q = 0; q < P + T - 1; ++q) {
    const auto xv = Load<L>(src + q * ss);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) {
      if (q - p >= 0 && q - p < T) acc[p] += xv * wv[q - p];
    }
  }
}

// Any tap count: chunks of at most 5 taps (5x5 stride 1 is the widest cmv3 uses).
template <int L, int P>
inline void Corr(typename VecOf<L>::T* acc, const float* src, int64_t ss, const float* w, int64_t ws, int64_t taps) {
  for (int64_t t0 = 0; t0 < taps; t0 += 5) {
    const float* s = src + t0 * ss;
    const float* wt = w + t0 * ws;
    switch (std::min<int64_t>(5, taps - t0)) {
      case 1: CorrBlock<L, 1, P>(acc, s, ss, wt, ws); break;
      case 2: CorrBlock<L, 2, P>(acc, s, ss, wt, ws); break;
      case 3: CorrBlock<L, 3, P>(acc, s, ss, wt, ws); break;
      case 4: CorrBlock<L, 4, P>(acc, s, ss, wt, ws); break;
      default: CorrBlock<L, 5, P>(acc, s, ss, wt, ws); break;
    }
  }
}

// out[k*ok + t*ot] += sum_{o < n} rows[k][(o + t)*ss] * d[o*ds] for k < KR, t < T: one output
// row's weight-gradient taps for KR input rows. Outputs in blocks of 4 share the dy loads
// across all KR rows and each source load across up to 4 taps; KR*T accumulators (at most
// 25, for 5x5) stay in registers.
template <int L, int KR, int T>
void CorrGrad(const float* const* rows, int64_t off, int64_t ss, const float* d, int64_t ds, int64_t n, float* out,
              int64_t ok, int64_t ot) {
  using V = typename VecOf<L>::T;
  V a[KR][T];
#pragma GCC unroll 8
  for (int k = 0; k < KR; ++k)
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) a[k][t] = V{};
  int64_t o = 0;
  for (; o + 4 <= n; o += 4) {
    V dv[4];
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) dv[p] = Load<L>(d + (o + p) * ds);
#pragma GCC unroll 8
    for (int k = 0; k < KR; ++k) {
      const float* src = rows[k] + off + o * ss;
#pragma GCC unroll 16
      for (int q = 0; q < 4 + T - 1; ++q) {
        const V xv = Load<L>(src + q * ss);
#pragma GCC unroll 4
        for (int p = 0; p < 4; ++p) {
          if (q - p >= 0 && q - p < T) a[k][q - p] += xv * dv[p];
        }
      }
    }
  }
  for (; o < n; ++o) {
    const V dv = Load<L>(d + o * ds);
#pragma GCC unroll 8
    for (int k = 0; k < KR; ++k)
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) a[k][t] += Load<L>(rows[k] + off + (o + t) * ss) * dv;
  }
#pragma GCC unroll 8
  for (int k = 0; k < KR; ++k)
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      float* p = out + k * ok + t * ot;
      Store<L>(p, Load<L>(p) + a[k][t]);
    }
}

// CorrGrad over KR rows in groups whose KR*T accumulators, 4 dy vectors and a source vector fit
// the vector registers (32 with AVX-512: 5x5 in one group; 16 with AVX2: 5x5 in groups of 2, 2
// and 1, which spilled as one). Each accumulator is one (row, tap) sum over the same outputs in
// the same order, so the grouping changes no bit.
template <int L, int KR, int T>
void CorrGradRows(const float* const* rows, int64_t off, int64_t ss, const float* d, int64_t ds, int64_t n,
                  float* out, int64_t ok, int64_t ot) {
  constexpr int G = std::min(KR, std::max(1, (kVectorRegisters - 5) / T));
  CorrGrad<L, G, T>(rows, off, ss, d, ds, n, out, ok, ot);
  if constexpr (G < KR) CorrGradRows<L, KR - G, T>(rows + G, off, ss, d, ds, n, out + G * ok, ok, ot);
}

// One input row, any tap count (chunks of at most 5): the path for kernel sizes without a
// compile-time specialization.
template <int L>
void CorrGradAny(const float* row, int64_t ss, const float* d, int64_t ds, int64_t n, float* out, int64_t ot,
                 int64_t taps) {
  for (int64_t t0 = 0; t0 < taps; t0 += 5) {
    const float* s = row + t0 * ss;
    float* o = out + t0 * ot;
    switch (std::min<int64_t>(5, taps - t0)) {
      case 1: CorrGrad<L, 1, 1>(&s, 0, ss, d, ds, n, o, 0, ot); break;
      case 2: CorrGrad<L, 1, 2>(&s, 0, ss, d, ds, n, o, 0, ot); break;
      case 3: CorrGrad<L, 1, 3>(&s, 0, ss, d, ds, n, o, 0, ot); break;
      case 4: CorrGrad<L, 1, 4>(&s, 0, ss, d, ds, n, o, 0, ot); break;
      default: CorrGrad<L, 1, 5>(&s, 0, ss, d, ds, n, o, 0, ot); break;
    }
  }
}

// One output row's source rows and weights, shared by the kernels below (which add the
// channel block's offset to every pointer).
struct RowTaps {
  const float* const* rows;  // per valid ky: the padded source row (x, or dy for backward data)
  const float* const* wts;   // per valid ky: w + ky*KW*Cout (forward, backward data)
  int64_t nk, kw, co, stride;
};

// y[ox] = bias + sum_{ky,kx} xp[ky][ox*s + kx] * w[ky][kx] for all ox of one output row, with
// kx = r + s*t: for residue r, output ox reads padded pixels ox*s + r + s*t.
struct ForwardRow {
  template <int L, int S, int K, int P>
  static void Pixels(int64_t cb, const RowTaps& t, int64_t ox, const float* bias, float* y) {
    using V = typename VecOf<L>::T;
    const int64_t co = t.co, s = S ? S : t.stride, kw = K ? K : t.kw;
    V acc[P];
    for (int p = 0; p < P; ++p) acc[p] = bias != nullptr ? Load<L>(bias + cb) : V{};
    for (int64_t k = 0; k < t.nk; ++k) {
      for (int64_t r = 0; r < s && r < kw; ++r) {
        Corr<L, P>(acc, t.rows[k] + (ox * s + r) * co + cb, s * co, t.wts[k] + r * co + cb, s * co,
                   ClassTaps(kw, s, r));
      }
    }
    for (int p = 0; p < P; ++p) Store<L>(y + (ox + p) * co + cb, acc[p]);
  }
  template <int L, int S, int K>
  static void Run(int64_t cb, const RowTaps& t, int64_t ow, const float* bias, float* y) {
    int64_t ox = 0;
    for (; ox + 4 <= ow; ox += 4) Pixels<L, S, K, 4>(cb, t, ox, bias, y);
    for (; ox < ow; ++ox) Pixels<L, S, K, 1>(cb, t, ox, bias, y);
  }
};

// One dx row (in Cout space) as a gather over padded dy rows. Pixel ix takes the taps
// kx = r + s*t with r = (ix + pl) mod s, reading dy pixel (ix + pl - kx)/s, stored at + lp in
// the padded row. Within residue class r the pixels ix, ix + s, ... read neighbouring dy
// pixels: a unit-stride correlation with the class's taps in reverse order.
struct BackwardDataRow {
  template <int L, int S, int K, int P>
  static void Pixels(int64_t cb, const RowTaps& t, int64_t ix, int64_t r, int64_t pl, int64_t lp, float* out) {
    using V = typename VecOf<L>::T;
    const int64_t co = t.co, s = S ? S : t.stride, kw = K ? K : t.kw;
    const int64_t taps = ClassTaps(kw, s, r), last = r + s * (taps - 1);
    V acc[P];
    for (int p = 0; p < P; ++p) acc[p] = V{};
    if (taps > 0) {
      const int64_t first = (ix + pl - last) / s + lp;  // dy pixel of (ix, kx = last), >= 0
      for (int64_t k = 0; k < t.nk; ++k) {
        Corr<L, P>(acc, t.rows[k] + first * co + cb, co, t.wts[k] + last * co + cb, -s * co, taps);
      }
    }
    for (int p = 0; p < P; ++p) Store<L>(out + (ix + p * s) * co + cb, acc[p]);
  }
  template <int L, int S, int K>
  static void Run(int64_t cb, const RowTaps& t, int64_t width, int64_t pl, int64_t lp, float* out) {
    const int64_t s = S ? S : t.stride;
    for (int64_t r = 0; r < s; ++r) {
      int64_t ix = ((r - pl) % s + s) % s;  // first pixel with (ix + pl) mod s == r
      for (; ix + 3 * s < width; ix += 4 * s) Pixels<L, S, K, 4>(cb, t, ix, r, pl, lp, out);
      for (; ix < width; ix += s) Pixels<L, S, K, 1>(cb, t, ix, r, pl, lp, out);
    }
  }
};

// For every (ky, kx): racc[ky][kx] += sum_ox xp[ky][ox*s + kx] * dy[ox] over one output row.
// All KH rows are given (zero rows outside the image). Residue class r of kx reads padded pixels
// ox*s + r + s*t.
struct BackwardWeightsRow {
  template <int L, int S, int K>
  static void Run(int64_t cb, const RowTaps& t, int64_t ow, const float* dy, float* racc) {
    const int64_t co = t.co;
    if constexpr (K > 0) {  // all K rows at once: the dy loads are shared
      static_assert(S == 1 || S == 2, "");
      CorrGradRows<L, K, (K + S - 1) / S>(t.rows, cb, S * co, dy + cb, co, ow, racc + cb, K * co, S * co);
      if constexpr (S == 2) CorrGradRows<L, K, K / 2>(t.rows, co + cb, 2 * co, dy + cb, co, ow, racc + co + cb, K * co, 2 * co);
    } else {
      const int64_t s = t.stride, kw = t.kw;
      for (int64_t k = 0; k < t.nk; ++k) {
        for (int64_t r = 0; r < s && r < kw; ++r) {
          CorrGradAny<L>(t.rows[k] + r * co + cb, s * co, dy + cb, co, ow, racc + (k * kw + r) * co + cb, s * co,
                         ClassTaps(kw, s, r));
        }
      }
    }
  }
};

}  // namespace

// Parallel over output rows (n, oy).
void DepthwiseForward(const DwShape& s, const float* x, const float* w, const float* bias, float* y) {
  if (BlockKernel(s.stride, s.kh, s.kw)) return ForwardBlocks(s, x, w, bias, y);
  const int64_t co = s.c * s.m, rows = s.n * s.oh;
#pragma omp parallel num_threads(Threads()) if (Work(s) >= kParallelMin)
  {
    RowCache cache(x, s.h, s.w, s.c, s.m, s.pl, PaddedWidth(s), s.kh);
    std::vector<const float*> xr(s.kh), wr(s.kh);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = r / s.oh, oy = r % s.oh;
      int64_t nk = 0;
      for (int64_t ky = 0; ky < s.kh; ++ky) {
        const int64_t iy = oy * s.stride + ky - s.pt;
        if (iy < 0 || iy >= s.h) continue;  // zero padding rows contribute nothing
        xr[nk] = cache.Row(n, iy);
        wr[nk++] = w + ky * s.kw * co;
      }
      if (r + 1 < rows) {  // the rows the next output row adds (s of them)
        const int64_t n1 = (r + 1) / s.oh, oy1 = (r + 1) % s.oh;
        for (int64_t ky = s.kh - s.stride; ky < s.kh; ++ky) cache.Prefetch(n1, oy1 * s.stride + ky - s.pt);
        PrefetchForWrite(y + (r + 1) * s.ow * co, s.ow * co);
      }
      const RowTaps t{xr.data(), wr.data(), nk, s.kw, co, s.stride};
      ForKernel<ForwardRow>(s.stride, s.kh, s.kw, co, t, s.ow, bias, y + r * s.ow * co);
    }
  }
}

// Parallel over dx rows (n, iy), so no two threads write the same dx. A dx row gathers the dy
// rows oy with oy*s + ky - pt == iy, from copies padded so every kx of every pixel is in bounds.
void DepthwiseBackwardData(const DwShape& s, const float* dy, const float* w, float* dx) {
  if (BlockKernel(s.stride, s.kh, s.kw)) return BackwardDataBlocks(s, dy, w, dx);
  const int64_t co = s.c * s.m, rows = s.n * s.h;
  // dy pixel (ix + pl - kx)/s ranges over [-lp, (W - 1 + pl)/s]: lp zeros before, zeros after.
  const int64_t lp = s.kw - 1 - s.pl > 0 ? (s.kw - 1 - s.pl + s.stride - 1) / s.stride : 0;
  const int64_t padded = (s.w - 1 + s.pl) / s.stride + lp + 1;
#pragma omp parallel num_threads(Threads()) if (Work(s) >= kParallelMin)
  {
    RowCache cache(dy, s.oh, s.ow, co, 1, lp, padded, s.kh);
    std::vector<float> acc(s.m > 1 ? 2 * s.w * co : 0);  // Cout-space row + Contract's scratch
    std::vector<const float*> dr(s.kh), wr(s.kh);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = r / s.h, iy = r % s.h;
      int64_t nk = 0;
      for (int64_t ky = 0; ky < s.kh; ++ky) {
        const int64_t t = iy + s.pt - ky;
        if (t < 0 || t % s.stride != 0 || t / s.stride >= s.oh) continue;
        dr[nk] = cache.Row(n, t / s.stride);
        wr[nk++] = w + ky * s.kw * co;
      }
      if (r + 1 < rows) {
        const int64_t n1 = (r + 1) / s.h, iy1 = (r + 1) % s.h;
        for (int64_t ky = 0; ky < s.kh; ++ky) {
          const int64_t t1 = iy1 + s.pt - ky;
          if (t1 >= 0 && t1 % s.stride == 0) cache.Prefetch(n1, t1 / s.stride);
        }
        PrefetchForWrite(dx + (r + 1) * s.w * s.c, s.w * s.c);
      }
      const RowTaps t{dr.data(), wr.data(), nk, s.kw, co, s.stride};
      float* dxr = dx + r * s.w * s.c;
      float* out = s.m > 1 ? acc.data() : dxr;
      ForKernel<BackwardDataRow>(s.stride, s.kh, s.kw, co, t, s.w, s.pl, lp, out);
      if (s.m > 1) Contract(out, s.w * s.c, s.m, dxr, acc.data() + s.w * co);
    }
  }
}

// Parallel over output rows (n, oy). A row's weight gradient is summed in float (at most OW
// terms per weight), then added into the thread's own double (KH, KW, Cout) + (Cout)
// accumulator; those are reduced at the end.
void DepthwiseBackwardWeights(const DwShape& s, const float* x, const float* dy, float* dw, float* dbias) {
  const int64_t co = s.c * s.m, rows = s.n * s.oh, wlen = s.kh * s.kw * co;
  const int64_t slice = wlen + co;  // per thread: weights, then bias
  const int nt = Threads();
  std::vector<double> partial(static_cast<size_t>(nt * slice), 0.0);
#pragma omp parallel num_threads(nt) if (Work(s) >= kParallelMin)
  {
    RowCache cache(x, s.h, s.w, s.c, s.m, s.pl, PaddedWidth(s), s.kh);
    std::vector<const float*> xr(s.kh);
    std::vector<float> acc(static_cast<size_t>(slice), 0.0f);  // this image's sums, float
    float* __restrict fa = acc.data();
    double* __restrict part = partial.data() + omp_get_thread_num() * slice;
    int64_t image = -1;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = r / s.oh, oy = r % s.oh;
      if (n != image) {  // a new image: move the float sums into the double accumulator
#pragma omp simd
        for (int64_t i = 0; i < slice; ++i) part[i] += fa[i];
        std::fill(acc.begin(), acc.end(), 0.0f);
        image = n;
      }
      const float* dyr = dy + r * s.ow * co;
      for (int64_t ky = 0; ky < s.kh; ++ky) {  // padding rows read zeros: the kernels need all KH
        const int64_t iy = oy * s.stride + ky - s.pt;
        xr[ky] = iy < 0 || iy >= s.h ? cache.Zeros() : cache.Row(n, iy);
      }
      if (r + 1 < rows) {
        const int64_t n1 = (r + 1) / s.oh, oy1 = (r + 1) % s.oh;
        for (int64_t ky = s.kh - s.stride; ky < s.kh; ++ky) cache.Prefetch(n1, oy1 * s.stride + ky - s.pt);
        PrefetchForRead(dyr + s.ow * co, s.ow * co);
      }
      const RowTaps t{xr.data(), nullptr, s.kh, s.kw, co, s.stride};
      ForKernel<BackwardWeightsRow>(s.stride, s.kh, s.kw, co, t, s.ow, dyr, fa);
      if (dbias != nullptr) {
        float* __restrict fb = fa + wlen;
        for (int64_t ox = 0; ox < s.ow; ++ox) {
          const float* __restrict d = dyr + ox * co;
#pragma omp simd
          for (int64_t o = 0; o < co; ++o) fb[o] += d[o];
        }
      }
    }
#pragma omp simd
    for (int64_t i = 0; i < slice; ++i) part[i] += fa[i];
  }
  const int64_t outs = dbias != nullptr ? slice : wlen;
  for (int64_t i = 0; i < outs; ++i) {
    double v = 0.0;
    for (int t = 0; t < nt; ++t) v += partial[t * slice + i];
    if (i < wlen) dw[i] = static_cast<float>(v);
    else dbias[i - wlen] = static_cast<float>(v);
  }
}

}  // namespace cmv3
