// float32 CONV_2D and DEPTHWISE_CONV_2D of the deployment graph's float engine (calibration, float
// .tflite inference): the fast path of the float facets in src/deploy/ops/conv-2d.ts and
// depthwise-conv-2d.ts, which stay the reference (test 57b checks that both give the same bits).
// The arithmetic is theirs: each output starts at its float32 bias and adds the products of float32
// inputs and weights in float64, in the same order (ky, kx, then input channel), skipping padded
// taps. A product of two float32 values is exact in float64, so a fused multiply-add rounds as the
// separate multiply and add of the reference do; vectorizing across output channels leaves each
// channel's order alone. The fused activation is applied in float64 and the result rounded to
// float32 once, as the reference's Float32Array store does.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common.h"
#include "ops.h"

namespace cmv3 {
namespace {

// Order matches packFloatGeometry in src/deploy/ops/conv-native.ts. multiplier 0 is a full
// convolution, m >= 1 a depthwise one (output channel c reads input channel c / m); act 0 none,
// 1 RELU, 2 RELU6.
struct Geom {
  int32_t n, h, w, cin, cout, kh, kw, stride, oh, ow, pad_t, pad_l, multiplier, act;
};
constexpr int kGeomLength = 14;

// Output channels per accumulator block: 16 doubles are four AVX2 (two AVX-512) registers, so the
// block stays in registers across the whole reduction.
constexpr int kTile = 16;

// The reference's applyFused on a float64 value: Math.max(v, 0) turns -0 into +0 and keeps NaN;
// Math.min(v, 6) keeps NaN.
inline float Activate(double v, int act) {
  if (act != 0 && !(v > 0) && !std::isnan(v)) v = 0;
  if (act == 2 && v > 6) v = 6;
  return static_cast<float>(v);
}

// One output row (b, oy, :, :): per pixel and block of kTile output channels, the accumulators
// start at the bias and `tap(acc, iy, ix, c0)` adds each tap inside the image, in (ky, kx) order.
template <class Tap>
void Row(const Geom& g, const float* bias, int b, int oy, float* y, Tap tap) {
  for (int ox = 0; ox < g.ow; ++ox) {
    float* out = y + ((static_cast<int64_t>(b) * g.oh + oy) * g.ow + ox) * g.cout;
    for (int c0 = 0; c0 < g.cout; c0 += kTile) {
      const int lanes = std::min(kTile, g.cout - c0);
      double acc[kTile];
      for (int t = 0; t < kTile; ++t) acc[t] = t < lanes ? static_cast<double>(bias[c0 + t]) : 0.0;
      for (int ky = 0; ky < g.kh; ++ky) {
        const int iy = oy * g.stride - g.pad_t + ky;
        if (iy < 0 || iy >= g.h) continue;
        for (int kx = 0; kx < g.kw; ++kx) {
          const int ix = ox * g.stride - g.pad_l + kx;
          if (ix < 0 || ix >= g.w) continue;
          tap(acc, ky * g.kw + kx, (static_cast<int64_t>(b) * g.h + iy) * g.w + ix, c0);
        }
      }
      for (int t = 0; t < lanes; ++t) out[c0 + t] = Activate(acc[t], g.act);
    }
  }
}

// A full convolution's row: wt (KH*KW*Cin, coutp) with zero columns past Cout, so every block
// has kTile lanes; each tap adds its Cin input channels in order.
void ConvRow(const Geom& g, const float* x, const float* wt, const float* bias, int coutp, int b, int oy, float* y) {
  Row(g, bias, b, oy, y, [&](double* acc, int64_t k, int64_t pixel, int c0) {
    const float* xs = x + pixel * g.cin;
    const float* wr = wt + k * g.cin * coutp + c0;
    for (int i = 0; i < g.cin; ++i) {
      const double xv = xs[i];
      const float* __restrict wi = wr + static_cast<int64_t>(i) * coutp;
#pragma omp simd
      for (int t = 0; t < kTile; ++t) acc[t] += xv * static_cast<double>(wi[t]);
    }
  });
}

// A depthwise convolution's row over xe (N, H, W, coutp): input channel c / m at lane c, zeros
// past Cout; wp (KH*KW, coutp) likewise.
void DepthwiseRow(const Geom& g, const float* xe, const float* wp, const float* bias, int coutp, int b, int oy, float* y) {
  Row(g, bias, b, oy, y, [&](double* acc, int64_t k, int64_t pixel, int c0) {
    const float* __restrict xs = xe + pixel * coutp + c0;
    const float* __restrict wr = wp + k * coutp + c0;
#pragma omp simd
    for (int t = 0; t < kTile; ++t) acc[t] += static_cast<double>(xs[t]) * static_cast<double>(wr[t]);
  });
}

}  // namespace

// (geom Int32Array(14), x, w, bias, y); see Geom for the order. Weights (Cout, KH, KW, Cin) for a
// full convolution, (1, KH, KW, Cout) for a depthwise one, as in the TFLite graph.
Napi::Value FloatConv(const Napi::CallbackInfo& info) {
  const int32_t* gp = I32Arg(info, 0, "geometry", kGeomLength);
  Geom g;
  static_assert(sizeof(Geom) == kGeomLength * sizeof(int32_t), "Geom is the packed Int32Array");
  std::copy(gp, gp + kGeomLength, reinterpret_cast<int32_t*>(&g));
  const bool depthwise = g.multiplier > 0;
  if (g.n < 1 || g.h < 1 || g.w < 1 || g.cin < 1 || g.cout < 1 || g.kh < 1 || g.kw < 1 || g.stride < 1 ||
      g.oh < 1 || g.ow < 1 || g.multiplier < 0 || g.act < 0 || g.act > 2 || (depthwise && g.cout != g.cin * g.multiplier)) {
    ThrowNative(info.Env(), "ERR_ARG", "Expected a valid float convolution geometry but received an inconsistent one");
  }
  const int64_t taps = static_cast<int64_t>(g.kh) * g.kw, pixels = static_cast<int64_t>(g.n) * g.h * g.w;
  const float* x = F32Arg(info, 1, "x", pixels * g.cin);
  const float* w = F32Arg(info, 2, "w", depthwise ? taps * g.cout : taps * g.cin * g.cout);
  const float* bias = F32Arg(info, 3, "bias", g.cout);
  float* y = F32Arg(info, 4, "y", static_cast<int64_t>(g.n) * g.oh * g.ow * g.cout);
  const int coutp = (g.cout + kTile - 1) / kTile * kTile;
  const int64_t k = depthwise ? taps : taps * g.cin;
  // Weights as (taps [* Cin], coutp); depthwise weights already are (taps, Cout), conv weights
  // (Cout, taps * Cin) are transposed.
  std::vector<float> wt(k * coutp, 0.0f);
  for (int64_t c = 0; c < g.cout; ++c) {
    for (int64_t i = 0; i < k; ++i) wt[i * coutp + c] = depthwise ? w[i * g.cout + c] : w[c * k + i];
  }
  std::vector<float> xe;
  if (depthwise) {
    xe.assign(pixels * coutp, 0.0f);
    for (int64_t p = 0; p < pixels; ++p) {
      for (int c = 0; c < g.cout; ++c) xe[p * coutp + c] = x[p * g.cin + c / g.multiplier];
    }
  }
  const int64_t rows = static_cast<int64_t>(g.n) * g.oh;
  const int64_t work = rows * g.ow * coutp * k;
#pragma omp parallel for num_threads(Threads()) schedule(static) if (work >= (int64_t(1) << 18))
  for (int64_t r = 0; r < rows; ++r) {
    const int b = static_cast<int>(r / g.oh), oy = static_cast<int>(r % g.oh);
    if (depthwise) DepthwiseRow(g, xe.data(), wt.data(), bias, coutp, b, oy, y);
    else ConvRow(g, x, wt.data(), bias, coutp, b, oy, y);
  }
  return info.Env().Undefined();
}

}  // namespace cmv3
