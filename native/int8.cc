// int8 CONV_2D and DEPTHWISE_CONV_2D with TensorFlow Lite's integer arithmetic: the fast path
// of the TypeScript kernels in src/deploy/int8/conv.ts, which stay the reference (test 57
// checks that both give the same bytes). Same accumulator (bias + sum w * (x - input_zp),
// padded taps contribute 0), same three requantizations:
//   0 double rounding  MultiplyByQuantizedMultiplier (reference kernels, TFLite Micro)
//   1 single rounding  ruy's (x * m + 2^(s-1)) >> s (TFLite's builtin CONV_2D)
//   2 fp32             lrintf(float(acc) * scale[c]) (XNNPACK's QC8 microkernels)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

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

// Requantizes one pixel's accumulators, all output channels at once, one branch-free loop per
// mode. A per-element switch with 64-bit arithmetic shifts stayed scalar and cost more than the
// multiply-adds of the narrower convolutions (16 -> 288 channels: 6.2 -> 2.7 ns per output).
// GCC 12 vectorizes modes 0 (TFLite Micro, the default) and 2 with AVX2 (-fopt-info-vec) and leaves
// mode 1 scalar. The clamp bounds are moved before the zero point is added,
// so no lane leaves int32.
struct Quant {
  const int32_t* mult;
  const float* scale;
  std::vector<int32_t> left, right, total;  // per channel: mode 0's two shifts, mode 1's one
  int mode, out_zp, lo, hi;
  Quant(const int32_t* m, const int32_t* shift, const float* s, int count, int mode_, int zp, int lo_, int hi_)
      : mult(m), scale(s), left(count), right(count), total(count), mode(mode_), out_zp(zp), lo(lo_), hi(hi_) {
    for (int c = 0; c < count; ++c) {
      left[c] = shift[c] > 0 ? shift[c] : 0;
      right[c] = shift[c] > 0 ? 0 : -shift[c];
      total[c] = 31 - shift[c];
    }
  }

  void Row(const int32_t* __restrict acc, int n, int8_t* __restrict out) const {
    const int32_t qlo = lo - out_zp, qhi = hi - out_zp;
    const int32_t *__restrict m = mult, *__restrict ls = left.data(), *__restrict rs = right.data(), *__restrict ts = total.data();
    if (mode == 0) {
      // MultiplyByQuantizedMultiplier: x * 2^left wraps in int32 as in TFLite, then gemmlowp's
      // SaturatingRoundingDoublingHighMul (the product's high half, truncated toward zero after
      // the nudge) and RoundingDivideByPOT (ties away from zero).
#pragma omp simd
      for (int c = 0; c < n; ++c) {
        const int32_t xs = static_cast<int32_t>(static_cast<uint32_t>(acc[c]) << ls[c]);
        const int64_t ab = static_cast<int64_t>(xs) * m[c];
        const int64_t nudged = ab + (ab >= 0 ? (int64_t(1) << 30) : 1 - (int64_t(1) << 30));
        const int64_t toward_zero = nudged + (nudged < 0 ? (int64_t(1) << 31) - 1 : 0);
        int32_t high = static_cast<int32_t>(static_cast<uint64_t>(toward_zero) >> 31);
        high = (xs == INT32_MIN && m[c] == INT32_MIN) ? INT32_MAX : high;
        const int32_t mask = static_cast<int32_t>((uint32_t(1) << rs[c]) - 1);
        const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
        int32_t v = (high >> rs[c]) + ((high & mask) > threshold ? 1 : 0);
        v = v < qlo ? qlo : v > qhi ? qhi : v;
        out[c] = static_cast<int8_t>(v + out_zp);
      }
    } else if (mode == 1) {
      // ruy: (x * m + 2^(total-1)) >> total, an arithmetic shift written as a logical one on the
      // sign-flipped value.
#pragma omp simd
      for (int c = 0; c < n; ++c) {
        const int64_t p = static_cast<int64_t>(acc[c]) * m[c] + (int64_t(1) << (ts[c] - 1));
        const int64_t sign = p < 0 ? -1 : 0;
        int64_t v = static_cast<int64_t>((static_cast<uint64_t>(p ^ sign)) >> ts[c]) ^ sign;
        v = v < qlo ? qlo : v > qhi ? qhi : v;
        out[c] = static_cast<int8_t>(v + out_zp);
      }
    } else {
      const float* __restrict sc = scale;
#pragma omp simd
      for (int c = 0; c < n; ++c) {
        float v = std::nearbyint(static_cast<float>(acc[c]) * sc[c]);
        v = v < qlo ? qlo : v > qhi ? qhi : v;
        // NaN (a 0 accumulator times an infinite scale) is stored as 0, as an Int8Array stores it.
        out[c] = v == v ? static_cast<int8_t>(static_cast<int32_t>(v) + out_zp) : 0;
      }
    }
  }
};

// Products w * (x - zp) fit in int16 (|w| <= 128, |x - zp| <= 255: at most 32,640) and a sum of
// two fits in int32, which is what vpmaddwd computes: the full convolution multiplies pairs of
// taps against pairs of weights, 4 pixels x 16 output channels at a time, the accumulators (8
// AVX2 registers) staying in registers over the whole reduction. Integer sums are exact in any
// order, so the bytes are the reference's.
constexpr int kPixelBlock = 4;
constexpr int kChannelBlock = 16;

// Conv weights packed for that: (K / 2 pairs, coutp, 2) int16, K rounded up to even and Cout up
// to kChannelBlock with zero weights. Packed once per graph (int8PackConv, the engine's Prepare):
// packing on every call cost as much as the arithmetic in the small late layers.
struct PackedWeights {
  int kp, coutp;
  const int16_t* w;
};

int PackedK(int64_t k) { return static_cast<int>((k + 1) / 2 * 2); }
int PackedCout(int cout) { return (cout + kChannelBlock - 1) / kChannelBlock * kChannelBlock; }

void PackConvWeights(const int8_t* w, int64_t k, int cout, int16_t* out) {
  const int coutp = PackedCout(cout);
  std::fill(out, out + static_cast<int64_t>(PackedK(k)) * coutp, int16_t(0));
  for (int64_t c = 0; c < cout; ++c) {
    for (int64_t i = 0; i < k; ++i) out[((i / 2) * coutp + c) * 2 + (i & 1)] = w[c * k + i];
  }
}

// acc (NP, coutp) = patch (NP, kp) x weights: NP pixels' sums without the bias.
template <int NP>
void ConvBlock(const int16_t* patch, const PackedWeights& pw, int32_t* acc) {
  const int pairs = pw.kp / 2;
  for (int c0 = 0; c0 < pw.coutp; c0 += kChannelBlock) {
#if defined(__AVX2__)
    __m256i s[NP][2];
    for (int p = 0; p < NP; ++p) s[p][0] = s[p][1] = _mm256_setzero_si256();
    for (int j = 0; j < pairs; ++j) {
      const int16_t* wj = pw.w + (static_cast<int64_t>(j) * pw.coutp + c0) * 2;
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wj));
      const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wj + 16));
      for (int p = 0; p < NP; ++p) {
        int32_t pair;
        std::memcpy(&pair, patch + p * pw.kp + 2 * j, sizeof pair);
        const __m256i xp = _mm256_set1_epi32(pair);
        s[p][0] = _mm256_add_epi32(s[p][0], _mm256_madd_epi16(w0, xp));
        s[p][1] = _mm256_add_epi32(s[p][1], _mm256_madd_epi16(w1, xp));
      }
    }
    for (int p = 0; p < NP; ++p) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + p * pw.coutp + c0), s[p][0]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + p * pw.coutp + c0 + 8), s[p][1]);
    }
#else
    // The same sums, for targets without AVX2.
    for (int p = 0; p < NP; ++p) {
      for (int t = 0; t < kChannelBlock; ++t) {
        int32_t sum = 0;
        for (int j = 0; j < pairs; ++j) {
          const int16_t* wj = pw.w + (static_cast<int64_t>(j) * pw.coutp + c0 + t) * 2;
          sum += wj[0] * patch[p * pw.kp + 2 * j] + wj[1] * patch[p * pw.kp + 2 * j + 1];
        }
        acc[p * pw.coutp + c0 + t] = sum;
      }
    }
#endif
  }
}

// One output row (N, oy, :, :) of a full convolution. patch (kPixelBlock, kp) and acc
// (kPixelBlock, coutp) are the thread's scratch.
void ConvRow(const Geom& g, const int8_t* x, const PackedWeights& pw, const int32_t* bias, const Quant& q,
             int b, int oy, int16_t* patch, int32_t* acc, int8_t* y) {
  for (int ox0 = 0; ox0 < g.ow; ox0 += kPixelBlock) {
    const int np = std::min(kPixelBlock, g.ow - ox0);
    for (int p = 0; p < np; ++p) {
      int16_t* row = patch + p * pw.kp;
      int i = 0;
      for (int ky = 0; ky < g.kh; ++ky) {
        const int iy = oy * g.stride - g.pad_t + ky;
        for (int kx = 0; kx < g.kw; ++kx, i += g.cin) {
          const int ix = (ox0 + p) * g.stride - g.pad_l + kx;
          int16_t* __restrict dst = row + i;
          if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) {
            for (int c = 0; c < g.cin; ++c) dst[c] = 0;  // padded taps contribute 0
            continue;
          }
          const int8_t* __restrict src = x + ((static_cast<int64_t>(b) * g.h + iy) * g.w + ix) * g.cin;
          for (int c = 0; c < g.cin; ++c) dst[c] = static_cast<int16_t>(src[c] - g.in_zp);
        }
      }
      if (i < pw.kp) row[i] = 0;  // the odd tap's partner
    }
    if (np == kPixelBlock) {
      ConvBlock<kPixelBlock>(patch, pw, acc);
    } else {
      for (int p = 0; p < np; ++p) ConvBlock<1>(patch + p * pw.kp, pw, acc + p * pw.coutp);
    }
    for (int p = 0; p < np; ++p) {
      int32_t* a = acc + p * pw.coutp;
      if (bias) {
        for (int c = 0; c < g.cout; ++c) a[c] += bias[c];
      }
      q.Row(a, g.cout, y + ((static_cast<int64_t>(b) * g.oh + oy) * g.ow + ox0 + p) * g.cout);
    }
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
    q.Row(a, cout, y + ((static_cast<int64_t>(b) * g.oh + oy) * g.ow + ox) * cout);
  }
}

}  // namespace

// (w Int8Array (Cout, KH, KW, Cin), k = KH*KW*Cin, Cout) -> the packed Int16Array Int8Conv takes.
Napi::Value Int8PackConv(const Napi::CallbackInfo& info) {
  const int64_t k = IntArg(info, 1, "k", 1, INT32_MAX / 2), cout = IntArg(info, 2, "cout", 1, INT32_MAX / 2);
  if (k * cout > (int64_t(1) << 31)) ThrowNative(info.Env(), "ERR_ARG", "Expected at most 2^31 weights");
  const int8_t* w = I8Arg(info, 0, "w", k * cout);
  auto packed = Napi::TypedArrayOf<int16_t>::New(info.Env(), static_cast<size_t>(PackedK(k)) * PackedCout(static_cast<int>(cout)));
  PackConvWeights(w, k, static_cast<int>(cout), packed.Data());
  return packed;
}

// (geom Int32Array(18), x, w, bias | null, mult, shift, scale, y[, packed]); see Geom for the
// order. packed: a full convolution's weights from int8PackConv (else they are packed per call).
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
  const int32_t* shift = I32Arg(info, 5, "shift", g.cout);
  for (int c = 0; c < g.cout; ++c) {
    if (shift[c] < -31 || shift[c] > 30) ThrowNative(info.Env(), "ERR_ARG", "Expected requantization shifts in [-31, 30]");
  }
  const Quant q(I32Arg(info, 4, "mult", g.cout), shift, F32Arg(info, 6, "scale", g.cout), g.cout, g.requant, g.out_zp,
                g.act_min, g.act_max);
  int8_t* y = I8Arg(info, 7, "y", static_cast<int64_t>(g.n) * g.oh * g.ow * g.cout);
  const int64_t rows = static_cast<int64_t>(g.n) * g.oh;
  const int64_t work = rows * g.ow * g.cout * (g.depthwise ? taps : taps * g.cin);
  const int64_t k = g.depthwise ? taps : taps * g.cin;
  // Depthwise weights as int16 (taps, Cout), as they are in the graph; conv weights packed in pairs.
  std::vector<int16_t> wt(g.depthwise ? k * g.cout : 0);
  if (g.depthwise) std::copy(w, w + k * g.cout, wt.begin());
  std::vector<int16_t> packed_here;
  PackedWeights pw{PackedK(k), PackedCout(g.cout), nullptr};
  if (!g.depthwise) {
    const int64_t length = static_cast<int64_t>(pw.kp) * pw.coutp;
    const bool given = info.Length() > 8 && !info[8].IsNull() && !info[8].IsUndefined();
    if (given) {
      if (!info[8].IsTypedArray() || info[8].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array) {
        ThrowNative(info.Env(), "ERR_ARG", "Expected packed weights as an Int16Array from int8PackConv");
      }
      auto a = info[8].As<Napi::TypedArrayOf<int16_t>>();
      if (static_cast<int64_t>(a.ElementLength()) != length) {
        ThrowNative(info.Env(), "ERR_SHAPE", "Expected length " + std::to_string(length) + " for packed but received " + std::to_string(a.ElementLength()));
      }
      pw.w = a.Data();
    } else {
      packed_here.resize(length);
      PackConvWeights(w, k, g.cout, packed_here.data());
      pw.w = packed_here.data();
    }
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
    std::vector<int16_t> patch(g.depthwise ? 0 : static_cast<int64_t>(kPixelBlock) * pw.kp);
    std::vector<int32_t> acc(g.depthwise ? g.cout : kPixelBlock * pw.coutp);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int b = static_cast<int>(r / g.oh), oy = static_cast<int>(r % g.oh);
      if (g.depthwise) DepthwiseRow(g, xe.data(), wt.data(), bias, q, b, oy, acc.data(), y);
      else ConvRow(g, x, pw, bias, q, b, oy, patch.data(), acc.data(), y);
    }
  }
  return info.Env().Undefined();
}

}  // namespace cmv3
