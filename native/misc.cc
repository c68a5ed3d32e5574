// Small memory-bound ops of the squeeze-and-excite / residual path, over (N, HW, C) NHWC data.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "oneapi/dnnl/dnnl.h"

#include "common.h"
#include "ops.h"

namespace cmv3 {
namespace {

struct NhwC {
  int64_t n, hw, c;
};

NhwC ReadNhwC(const Napi::CallbackInfo& info) {
  const int64_t big = int64_t(1) << 40;
  return {IntArg(info, 0, "n", 1, big), IntArg(info, 1, "hw", 1, big), IntArg(info, 2, "c", 1, big)};
}

}  // namespace

// (n, hw, c, x, y): y[n,c] = mean_p x[n,p,c]
Napi::Value GapForward(const Napi::CallbackInfo& info) {
  const NhwC s = ReadNhwC(info);
  const float* x = F32Arg(info, 3, "x", s.n * s.hw * s.c);
  float* y = F32Arg(info, 4, "y", s.n * s.c);
  const int64_t hw = s.hw, c = s.c;
#pragma omp parallel num_threads(Threads()) if (s.n * hw * c >= kParallelMin)
  {
    std::vector<double> acc(c);  // double: hw can be large and the mean is taken once
    double* __restrict a = acc.data();
#pragma omp for schedule(static)
    for (int64_t b = 0; b < s.n; ++b) {
      for (int64_t ch = 0; ch < c; ++ch) a[ch] = 0.0;
      for (int64_t p = 0; p < hw; ++p) {
        const float* __restrict xr = x + (b * hw + p) * c;
#pragma omp simd
        for (int64_t ch = 0; ch < c; ++ch) a[ch] += xr[ch];
      }
      for (int64_t ch = 0; ch < c; ++ch) y[b * c + ch] = static_cast<float>(a[ch] / hw);
    }
  }
  return info.Env().Undefined();
}

// (n, hw, c, dy, dx): dx[n,p,c] = dy[n,c] / hw
Napi::Value GapBackward(const Napi::CallbackInfo& info) {
  const NhwC s = ReadNhwC(info);
  const float* dy = F32Arg(info, 3, "dy", s.n * s.c);
  float* dx = F32Arg(info, 4, "dx", s.n * s.hw * s.c);
  const int64_t hw = s.hw, c = s.c, rows = s.n * s.hw;
  const float inv = 1.0f / static_cast<float>(hw);
#pragma omp parallel for num_threads(Threads()) if (rows * c >= kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict g = dy + (r / hw) * c;
    float* __restrict out = dx + r * c;
#pragma omp simd
    for (int64_t ch = 0; ch < c; ++ch) out[ch] = g[ch] * inv;
  }
  return info.Env().Undefined();
}

// (n, hw, c, x, s, y): y[n,p,c] = x[n,p,c] * s[n,c]
Napi::Value ChannelScaleForward(const Napi::CallbackInfo& info) {
  const NhwC s = ReadNhwC(info);
  const int64_t hw = s.hw, c = s.c, rows = s.n * s.hw;
  const float* x = F32Arg(info, 3, "x", rows * c);
  const float* sc = F32Arg(info, 4, "s", s.n * c);
  float* y = F32Arg(info, 5, "y", rows * c);
#pragma omp parallel for num_threads(Threads()) if (rows * c >= kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict k = sc + (r / hw) * c;
    const float* xr = x + r * c;
    float* yr = y + r * c;  // may alias xr (in-place rescale): same index only
#pragma omp simd
    for (int64_t ch = 0; ch < c; ++ch) yr[ch] = xr[ch] * k[ch];
  }
  return info.Env().Undefined();
}

// (n, hw, c, x, s, dy, dx, ds): dx = dy * s, ds[n,c] = sum_p dy * x
Napi::Value ChannelScaleBackward(const Napi::CallbackInfo& info) {
  const NhwC s = ReadNhwC(info);
  const int64_t hw = s.hw, c = s.c, rows = s.n * s.hw;
  const float* x = F32Arg(info, 3, "x", rows * c);
  const float* sc = F32Arg(info, 4, "s", s.n * c);
  const float* dy = F32Arg(info, 5, "dy", rows * c);
  float* dx = F32Arg(info, 6, "dx", rows * c);
  float* ds = F32Arg(info, 7, "ds", s.n * c);
#pragma omp parallel num_threads(Threads()) if (rows * c >= kParallelMin)
  {
    std::vector<double> acc(c);
    double* __restrict a = acc.data();
#pragma omp for schedule(static)
    for (int64_t b = 0; b < s.n; ++b) {
      const float* __restrict k = sc + b * c;
      for (int64_t ch = 0; ch < c; ++ch) a[ch] = 0.0;
      for (int64_t p = 0; p < hw; ++p) {
        const int64_t off = (b * hw + p) * c;
        const float* __restrict xr = x + off;
        const float* gr = dy + off;
        float* dr = dx + off;  // may alias dy: same index only
#pragma omp simd
        for (int64_t ch = 0; ch < c; ++ch) {
          float g = gr[ch];
          a[ch] += static_cast<double>(g) * xr[ch];
          dr[ch] = g * k[ch];
        }
      }
      for (int64_t ch = 0; ch < c; ++ch) ds[b * c + ch] = static_cast<float>(a[ch]);
    }
  }
  return info.Env().Undefined();
}

// (a, b, y): y = a + b; y may alias a (or b).
Napi::Value Add(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) ThrowNative(info.Env(), "ERR_ARG", "Expected a Float32Array for a");
  const int64_t len = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
  const float* a = F32Arg(info, 0, "a", len);
  const float* b = F32Arg(info, 1, "b", len);
  float* y = F32Arg(info, 2, "y", len);
#pragma omp parallel for simd num_threads(Threads()) if (len >= kParallelMin) schedule(static)
  for (int64_t i = 0; i < len; ++i) y[i] = a[i] + b[i];
  return info.Env().Undefined();
}

// (x, y): y = x rounded to bfloat16 (nearest, ties to even; a NaN stays a NaN), stored as the
// upper 16 bits of each float32: the input of a bf16 convolution (src/backend/bf16.ts roundBf16
// is the reference). Plain integer arithmetic that GCC vectorizes; denormals are rounded, not
// flushed, as the reference does.
Napi::Value ToBf16(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) ThrowNative(info.Env(), "ERR_ARG", "Expected a Float32Array for x");
  const int64_t len = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
  const uint32_t* x = reinterpret_cast<const uint32_t*>(F32Arg(info, 0, "x", len));
  uint16_t* y = U16Arg(info, 1, "y", len);
#pragma omp parallel for simd num_threads(Threads()) if (len >= kParallelMin) schedule(static)
  for (int64_t i = 0; i < len; ++i) y[i] = Bf16Bits(x[i]);
  return info.Env().Undefined();
}

// (m, n, k, a, b, c): c = a (m x k) * b (k x n), row-major, through oneDNN's sgemm. Not used in
// training: bench:train times it to measure the machine's compute limit at our thread count.
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  const int64_t big = int64_t(1) << 20;
  const int64_t m = IntArg(info, 0, "m", 1, big), n = IntArg(info, 1, "n", 1, big), k = IntArg(info, 2, "k", 1, big);
  const float* a = F32Arg(info, 3, "a", m * k);
  const float* b = F32Arg(info, 4, "b", k * n);
  float* c = F32Arg(info, 5, "c", m * n);
  if (omp_get_max_threads() != Threads()) omp_set_num_threads(Threads());
  dnnl_status_t st = dnnl_sgemm('N', 'N', m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
  if (st != dnnl_success) ThrowNative(info.Env(), DnnlStatusCode(st), "dnnl_sgemm failed");
  return info.Env().Undefined();
}

// (n, hw, c, block, src, dst, toBlocked): NHWC (n, hw, c) <-> blocked (n, c / block, hw, block),
// src/backend/layout.ts. For a layer between the layouts (a spatial convolution on NHWC that hands
// its output on in blocks). Parallel over (image, pixel) rows.
Napi::Value LayoutReorder(const Napi::CallbackInfo& info) {
  const NhwC s = ReadNhwC(info);
  const int64_t block = IntArg(info, 3, "block", 1, s.c);
  if (s.c % block != 0) ThrowNative(info.Env(), "ERR_ARG", "c must be a multiple of the block size");
  const float* src = F32Arg(info, 4, "src", s.n * s.hw * s.c);
  float* dst = F32Arg(info, 5, "dst", s.n * s.hw * s.c);
  const bool to_blocked = info[6].ToBoolean().Value();
  const int64_t hw = s.hw, c = s.c, planes = c / block, rows = s.n * hw;
#pragma omp parallel for num_threads(Threads()) if (rows * c >= kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t b = r / hw, p = r % hw;
    for (int64_t k = 0; k < planes; ++k) {
      float* __restrict blocked_px = const_cast<float*>(to_blocked ? dst : src) + ((b * planes + k) * hw + p) * block;
      float* __restrict row = const_cast<float*>(to_blocked ? src : dst) + r * c + k * block;
      if (to_blocked) std::copy(row, row + block, blocked_px);
      else std::copy(blocked_px, blocked_px + block, row);
    }
  }
  return info.Env().Undefined();
}

}  // namespace cmv3
