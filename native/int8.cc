// int8 CONV_2D and DEPTHWISE_CONV_2D with TensorFlow Lite's integer arithmetic: the fast path
// of the TypeScript kernels in src/deploy/int8/conv.ts, which stay the reference (test 57
// checks that both give the same bytes). Same accumulator (bias + sum w * (x - input_zp),
// padded taps contribute 0), same three requantizations:
//   0 double rounding  MultiplyByQuantizedMultiplier (reference kernels, TFLite Micro)
//   1 single rounding  ruy's (x * m + 2^(s-1)) >> s (TFLite's builtin CONV_2D)
//   2 fp32             lrintf(float(acc) * scale[c]) (XNNPACK's QC8 microkernels)
#include <cmath>
#include <cstdint>
#include <vector>

#include "common.h"
#include "ops.h"

namespace cmv3 {
namespace {

// Order matches packInt8Geometry in src/deploy/int8/native.ts.
struct Geom {
  int32_t n, h, w, cin, cout, kh, kw, stride, oh, ow, pad_t, pad_l, depthwise, in_zp, out_zp,
      act_min, act_max, requant;
};
constexpr int kGeomLength = 18;

// gemmlowp SaturatingRoundingDoublingHighMul.
inline int32_t Srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = static_cast<int64_t>(a) * b;
  const int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t(1) << 31));  // truncating, as in C++ there
}

// gemmlowp RoundingDivideByPOT: ties away from zero.
inline int32_t RoundingDivideByPot(int32_t x, int e) {
  if (e == 0) return x;
  const int32_t mask = e >= 31 ? 0x7fffffff : static_cast<int32_t>((uint32_t(1) << e) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

inline int64_t Requantize(int32_t acc, int mode, int32_t m, int32_t shift, float scale) {
  if (mode == 0) {
    const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    // x * (1 << left_shift) is an int32 product in TFLite; it wraps in practice.
    const int32_t xs = left ? static_cast<int32_t>(static_cast<uint32_t>(acc) << left) : acc;
    return RoundingDivideByPot(Srdhm(xs, m), right);
  }
  if (mode == 1) {
    const int total = 31 - shift;
    return (static_cast<int64_t>(acc) * m + (int64_t(1) << (total - 1))) >> total;
  }
  return static_cast<int64_t>(std::nearbyint(static_cast<float>(acc) * scale));
}

struct Quant {
  const int32_t* mult;
  const int32_t* shift;
  const float* scale;
  int mode, out_zp, lo, hi;
  int8_t Out(int32_t acc, int c) const {
    int64_t v = Requantize(acc, mode, mult[c], shift[c], scale[c]) + out_zp;
    return static_cast<int8_t>(v < lo ? lo : v > hi ? hi : v);
  }
};

// Products w * (x - zp) fit in int16 (|w| <= 128, |x - zp| <= 255: at most 32,640), so the inner
// loops multiply int16 by int16 and widen once to the int32 accumulator, vectorized over output
// channels; weights are laid out (taps, Cout) as int16 once per call.

// One output row (N, oy, :, :) of a full convolution; wt (KH*KW*Cin, Cout) int16.
void ConvRow(const Geom& g, const int8_t* x, const int16_t* wt, const int32_t* bias, const Quant& q,
             int b, int oy, int16_t* patch, int32_t* acc, int8_t* y) {
  const int k = g.kh * g.kw * g.cin, cout = g.cout;
  for (int ox = 0; ox < g.ow; ++ox) {
    int p = 0;
    for (int ky = 0; ky < g.kh; ++ky) {
      const int iy = oy * g.stride - g.pad_t + ky;
      for (int kx = 0; kx < g.kw; ++kx, p += g.cin) {
        const int ix = ox * g.stride - g.pad_l + kx;
        int16_t* __restrict dst = patch + p;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) {
          for (int c = 0; c < g.cin; ++c) dst[c] = 0;  // padded taps contribute 0
          continue;
        }
        const int8_t* __restrict src = x + ((static_cast<int64_t>(b) * g.h + iy) * g.w + ix) * g.cin;
        for (int c = 0; c < g.cin; ++c) dst[c] = static_cast<int16_t>(src[c] - g.in_zp);
      }
    }
    int32_t* __restrict a = acc;
    for (int c = 0; c < cout; ++c) a[c] = bias ? bias[c] : 0;
    for (int i = 0; i < k; ++i) {
      const int16_t xv = patch[i];
      const int16_t* __restrict wr = wt + static_cast<int64_t>(i) * cout;
#pragma omp simd
      for (int c = 0; c < cout; ++c) a[c] += static_cast<int16_t>(wr[c] * xv);
    }
    int8_t* out = y + ((static_cast<int64_t>(b) * g.oh + oy) * g.ow + ox) * cout;
    for (int c = 0; c < cout; ++c) out[c] = q.Out(a[c], c);
  }
}

// One output row of a depthwise convolution over xe (N, H, W, Cout) int16 = x - zp with input
// channel ic repeated for its m output channels ic * m + j; wt (KH*KW, Cout) int16.
void DepthwiseRow(const Geom& g, const int16_t* xe, const int16_t* wt, const int32_t* bias, const Quant& q,
                  int b, int oy, int32_t* acc, int8_t* y) {
  const int cout = g.cout;
  for (int ox = 0; ox < g.ow; ++ox) {
    int32_t* __restrict a = acc;
    for (int c = 0; c < cout; ++c) a[c] = bias ? bias[c] : 0;
    for (int ky = 0; ky < g.kh; ++ky) {
      const int iy = oy * g.stride - g.pad_t + ky;
      if (iy < 0 || iy >= g.h) continue;
      for (int kx = 0; kx < g.kw; ++kx) {
        const int ix = ox * g.stride - g.pad_l + kx;
        if (ix < 0 || ix >= g.w) continue;
        const int16_t* __restrict xs = xe + ((static_cast<int64_t>(b) * g.h + iy) * g.w + ix) * cout;
        const int16_t* __restrict wr = wt + static_cast<int64_t>(ky * g.kw + kx) * cout;
#pragma omp simd
        for (int c = 0; c < cout; ++c) a[c] += static_cast<int16_t>(wr[c] * xs[c]);
      }
    }
    int8_t* out = y + ((static_cast<int64_t>(b) * g.oh + oy) * g.ow + ox) * cout;
    for (int c = 0; c < cout; ++c) out[c] = q.Out(a[c], c);
  }
}

}  // namespace

// (geom Int32Array(18), x, w, bias | null, mult, shift, scale, y); see Geom for the order.
Napi::Value Int8Conv(const Napi::CallbackInfo& info) {
  const int32_t* gp = I32Arg(info, 0, "geometry", kGeomLength);
  Geom g;
  static_assert(sizeof(Geom) == kGeomLength * sizeof(int32_t), "Geom is the packed Int32Array");
  std::copy(gp, gp + kGeomLength, reinterpret_cast<int32_t*>(&g));
  if (g.n < 1 || g.h < 1 || g.w < 1 || g.cin < 1 || g.cout < 1 || g.kh < 1 || g.kw < 1 || g.stride < 1 ||
      g.oh < 1 || g.ow < 1 || g.requant < 0 || g.requant > 2 || (g.depthwise && g.cout % g.cin != 0)) {
    ThrowNative(info.Env(), "ERR_ARG", "Expected a valid int8 convolution geometry but received an inconsistent one");
  }
  // int8 zero points keep |x - zp| <= 255, which the int16 products rely on.
  auto int8_range = [](int32_t v) { return v >= -128 && v <= 127; };
  if (!int8_range(g.in_zp) || !int8_range(g.out_zp) || !int8_range(g.act_min) || !int8_range(g.act_max)) {
    ThrowNative(info.Env(), "ERR_ARG", "Expected int8 zero points and activation bounds in [-128, 127]");
  }
  const int64_t taps = static_cast<int64_t>(g.kh) * g.kw;
  const int8_t* x = I8Arg(info, 1, "x", static_cast<int64_t>(g.n) * g.h * g.w * g.cin);
  const int8_t* w = I8Arg(info, 2, "w", g.depthwise ? taps * g.cout : taps * g.cin * g.cout);
  const int32_t* bias = I32ArgOrNull(info, 3, "bias", g.cout);
  Quant q{I32Arg(info, 4, "mult", g.cout), I32Arg(info, 5, "shift", g.cout), F32Arg(info, 6, "scale", g.cout),
          g.requant, g.out_zp, g.act_min, g.act_max};
  int8_t* y = I8Arg(info, 7, "y", static_cast<int64_t>(g.n) * g.oh * g.ow * g.cout);
  for (int c = 0; c < g.cout; ++c) {
    if (q.shift[c] < -31 || q.shift[c] > 30) ThrowNative(info.Env(), "ERR_ARG", "Expected requantization shifts in [-31, 30]");
  }
  const int64_t rows = static_cast<int64_t>(g.n) * g.oh;
  const int64_t work = rows * g.ow * g.cout * (g.depthwise ? taps : taps * g.cin);
  const int64_t k = g.depthwise ? taps : taps * g.cin;
  // Weights as int16 (taps, Cout): depthwise weights already are (1, KH, KW, Cout); conv
  // weights (Cout, KH, KW, Cin) are transposed.
  std::vector<int16_t> wt(k * g.cout);
  for (int64_t c = 0; c < g.cout; ++c) {
    for (int64_t i = 0; i < k; ++i) wt[i * g.cout + c] = g.depthwise ? w[i * g.cout + c] : w[c * k + i];
  }
  std::vector<int16_t> xe;
  if (g.depthwise) {
    const int m = g.cout / g.cin;
    const int64_t pixels = static_cast<int64_t>(g.n) * g.h * g.w;
    xe.resize(pixels * g.cout);
    for (int64_t p = 0; p < pixels; ++p) {
      for (int c = 0; c < g.cout; ++c) xe[p * g.cout + c] = static_cast<int16_t>(x[p * g.cin + c / m] - g.in_zp);
    }
  }
#pragma omp parallel num_threads(Threads()) if (work >= (int64_t(1) << 18))
  {
    std::vector<int16_t> patch(g.depthwise ? 0 : k);
    std::vector<int32_t> acc(g.cout);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int b = static_cast<int>(r / g.oh), oy = static_cast<int>(r % g.oh);
      if (g.depthwise) DepthwiseRow(g, xe.data(), wt.data(), bias, q, b, oy, acc.data(), y);
      else ConvRow(g, x, wt.data(), bias, q, b, oy, patch.data(), acc.data(), y);
    }
  }
  return info.Env().Undefined();
}

}  // namespace cmv3
