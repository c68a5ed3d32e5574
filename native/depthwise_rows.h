// Building blocks of native/depthwise.cc: a pass's size and padded width, GCC vector types, channel-multiplier expansion and
// contraction, prefetch helpers and RowCache (padded, expanded source rows). Included by
// depthwise.cc and depthwise_blocked.cc (Contract); everything is internal to each translation unit.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "depthwise.h"
#include "simd.h"

namespace cmv3 {
namespace {

// Multiply-adds of one pass (the OpenMP regions' size test).
inline int64_t Work(const DwShape& s) { return s.n * s.oh * s.ow * s.c * s.m * s.kh * s.kw; }

// Taps of residue class r of a kw-tap axis at stride s: kx = r, r + s, ... < kw.
inline int64_t ClassTaps(int64_t kw, int64_t s, int64_t r) { return r < kw ? (kw - r + s - 1) / s : 0; }

// Padded x rows for forward and backward weights: pl zeros on the left, and wide enough for
// the last output column's last tap.
inline int64_t PaddedWidth(const DwShape& s) { return (s.ow - 1) * s.stride + s.kw; }


// A GCC/Clang vector of L floats (plain float for L = 1); arithmetic on it is element-wise.
template <int L> struct VecOf;
template <> struct VecOf<16> { typedef float T __attribute__((vector_size(64))); };
template <> struct VecOf<8> { typedef float T __attribute__((vector_size(32))); };
template <> struct VecOf<4> { typedef float T __attribute__((vector_size(16))); };
template <> struct VecOf<1> { typedef float T; };

// Unaligned load/store (memcpy of a fixed size compiles to one vmovups).
template <int L>
inline typename VecOf<L>::T Load(const float* p) {
  typename VecOf<L>::T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <int L>
inline void Store(float* p, typename VecOf<L>::T v) {
  std::memcpy(p, &v, sizeof v);
}

// The widest channel block: one register. Without AVX-512 a 16-float vector is two ymm
// registers, and the kernels' accumulators (2 rows x 8 pixels in depthwise_block.h) spill.
constexpr int kWideBlock = CMV3_SIMD == 16 ? 16 : 8;

// Calls F::template Run<L, S, K>(cb, args...) over channels [0, co) in blocks of kWideBlock (16
// or 8), then 8, 4, 1. Each lane is one channel, so the blocking changes no sum's order of terms.
template <typename F, int S, int K, typename... A>
inline void ForChannelBlocks(int64_t co, A&&... args) {
  int64_t cb = 0;
  for (; cb + kWideBlock <= co; cb += kWideBlock) F::template Run<kWideBlock, S, K>(cb, args...);
  if (kWideBlock > 8 && cb + 8 <= co) F::template Run<8, S, K>(cb, args...), cb += 8;
  if (cb + 4 <= co) F::template Run<4, S, K>(cb, args...), cb += 4;
  for (; cb < co; ++cb) F::template Run<1, S, K>(cb, args...);
}

// Stride S and kernel width K as compile-time constants for cmv3's kernels (3x3, 5x5 at stride
// 1, 2), so tap counts, divisions by the stride and the chunk switch in Corr fold away; 0 means
// "read it from RowTaps at run time" (other kernel widths).
template <typename F, typename... A>
void ForKernel(int64_t stride, int64_t kh, int64_t kw, int64_t co, A&&... args) {
  if (kh != kw) ForChannelBlocks<F, 0, 0>(co, args...);
  else if (stride == 1 && kw == 3) ForChannelBlocks<F, 1, 3>(co, args...);
  else if (stride == 1 && kw == 5) ForChannelBlocks<F, 1, 5>(co, args...);
  else if (stride == 2 && kw == 3) ForChannelBlocks<F, 2, 3>(co, args...);
  else if (stride == 2 && kw == 5) ForChannelBlocks<F, 2, 5>(co, args...);
  else ForChannelBlocks<F, 0, 0>(co, args...);
}

// out[i*M + j] = x[i]. With M a constant GCC vectorizes the interleaved stores (M = 2, 3, 4;
// it does not for 6, hence the two-step split in Expand below).
template <int M>
void ExpandBy(const float* __restrict x, int64_t n, float* __restrict out) {
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < M; ++j) out[i * M + j] = x[i];
}

// out[i] = sum_j e[i*M + j], the adjoint of ExpandBy.
template <int M>
void ContractBy(const float* __restrict e, int64_t n, float* __restrict out) {
  for (int64_t i = 0; i < n; ++i) {
    float s = 0.0f;
    for (int j = 0; j < M; ++j) s += e[i * M + j];
    out[i] = s;
  }
}

// m = a*b with a, b in {2, 3, 4}: the factors, or false.
bool Split(int64_t m, int* a, int* b) {
  for (int f : {2, 3, 4}) {
    if (m % f == 0 && m / f >= 2 && m / f <= 4) {
      *a = f;
      *b = static_cast<int>(m / f);
      return true;
    }
  }
  return false;
}

void ExpandFixed(int f, const float* x, int64_t n, float* out) {
  if (f == 2) ExpandBy<2>(x, n, out);
  else if (f == 3) ExpandBy<3>(x, n, out);
  else ExpandBy<4>(x, n, out);
}

void ContractFixed(int f, const float* e, int64_t n, float* out) {
  if (f == 2) ContractBy<2>(e, n, out);
  else if (f == 3) ContractBy<3>(e, n, out);
  else ContractBy<4>(e, n, out);
}

// out[i*m + j] = x[i] for i < n, j < m (m >= 2). tmp holds n*m floats (used when m = a*b).
void Expand(const float* x, int64_t n, int64_t m, float* out, float* tmp) {
  int a, b;
  if (m <= 4) {
    ExpandFixed(static_cast<int>(m), x, n, out);
  } else if (Split(m, &a, &b)) {  // tmp[i*a + p] = x[i]; out[(i*a + p)*b + q] = tmp[i*a + p]
    ExpandFixed(a, x, n, tmp);
    ExpandFixed(b, tmp, n * a, out);
  } else {  // large or prime m: the inner loop is long enough to vectorize as a broadcast
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      float* __restrict o = out + i * m;
#pragma omp simd
      for (int64_t j = 0; j < m; ++j) o[j] = v;
    }
  }
}

// out[i] = sum_j e[i*m + j] for i < n (m >= 2). tmp holds n*m floats.
void Contract(const float* e, int64_t n, int64_t m, float* out, float* tmp) {
  int a, b;
  if (m <= 4) {
    ContractFixed(static_cast<int>(m), e, n, out);
  } else if (Split(m, &a, &b)) {
    ContractFixed(b, e, n * a, tmp);
    ContractFixed(a, tmp, n, out);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float* __restrict r = e + i * m;
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < m; ++j) s += r[j];
      out[i] = s;
    }
  }
}

// Each row prefetches what the next row will read (and write): at batch 128 this took the
// weight gradients of cmv3's depthwise convs from 41 to 32 ms in total, forward from 30 to 29
// (backward data unchanged).
inline void PrefetchForRead(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) __builtin_prefetch(p + i, 0);
}
inline void PrefetchForWrite(float* p, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) __builtin_prefetch(p + i, 1);
}

// Rows of an (N, rows, width, ch) tensor as padded copies in Cout = ch*m channels: `left` zero
// pixels, then the row's pixels (expanded if m > 1), then zeros up to `padded` pixels. A thread's
// rows come in order (static schedule) and consecutive rows share most of their taps' rows, so
// `slots` buffers indexed by row % slots (any `slots` consecutive rows land in distinct slots)
// make each source row be copied about once per thread.
class RowCache {
 public:
  RowCache(const float* src, int64_t rows, int64_t width, int64_t ch, int64_t m, int64_t left, int64_t padded,
           int64_t slots)
      : src_(src), rows_(rows), width_(width), ch_(ch), m_(m), left_(left), slots_(slots), len_(padded * ch * m),
        count_(std::max<int64_t>(0, std::min(width, padded - left))),
        buf_(static_cast<size_t>((slots + 1) * len_), 0.0f),  // zero borders, never overwritten; + Zeros()
        tmp_(static_cast<size_t>(m > 1 ? count_ * ch * m : 0)),
        tag_(static_cast<size_t>(slots), -1) {}

  const float* Row(int64_t n, int64_t r) {
    const int64_t slot = r % slots_, key = n * rows_ + r;
    float* dst = buf_.data() + slot * len_;
    if (tag_[slot] != key) {
      const float* s = src_ + key * width_ * ch_;
      float* d = dst + left_ * ch_ * m_;
      if (m_ == 1) std::memcpy(d, s, sizeof(float) * count_ * ch_);
      else Expand(s, count_ * ch_, m_, d, tmp_.data());
      tag_[slot] = key;
    }
    return dst;
  }

  // A padded row of zeros (for rows outside the image).
  const float* Zeros() const { return buf_.data() + slots_ * len_; }

  // Starts loading row r of image n from memory if it is not cached yet: called one output row
  // ahead, so the copy in Row() finds it in cache instead of stalling on DRAM.
  void Prefetch(int64_t n, int64_t r) const {
    if (r < 0 || r >= rows_ || tag_[r % slots_] == n * rows_ + r) return;
    PrefetchForRead(src_ + (n * rows_ + r) * width_ * ch_, count_ * ch_);
  }

 private:
  const float* src_;
  int64_t rows_, width_, ch_, m_, left_, slots_, len_, count_;
  std::vector<float> buf_, tmp_;
  std::vector<int64_t> tag_;
};

}  // namespace
}  // namespace cmv3
