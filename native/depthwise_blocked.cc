// Depthwise forward over blocked activations ([N][C/B][H*W][B], B = CMV3_SIMD), for any kernel
// size, stride and channel multiplier m. One input plane (image b, block k) is copied once into a
// zero-padded plane, so no tap needs a bounds check; it feeds output blocks k*m .. k*m + m - 1.
// Output block j = k*m + jj reads only input block k: output lane l is input channel (jB + l) / m,
// a fixed lane permutation of the loaded vector (one vpermps per load), so there is no expansion
// pass. Accumulators: 2 output rows x 4 pixels of one block in registers, each loaded source
// vector feeding both rows (the NHWC kernels' row blocks, depthwise_block.h). Probe on the AVX2
// EPYC (2026-12-07): the nine stride-1 layers of cmv3 width 0.5 at batch 128 in 17.1-17.6 ms
// against 23.0 on the NHWC kernels.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "common.h"
#include "depthwise.h"
#include "ops.h"
#include "simd.h"

#if CMV3_SIMD
namespace cmv3 {
namespace {

constexpr int64_t B = CMV3_SIMD;

#if CMV3_SIMD == 16
using VI = __m512i;
inline VF Permute(VF v, VI idx) { return _mm512_permutexvar_ps(idx, v); }
inline VI LoadIdx(const int32_t* p) { return _mm512_loadu_si512(p); }
#else
using VI = __m256i;
inline VF Permute(VF v, VI idx) { return _mm256_permutevar8x32_ps(v, idx); }
inline VI LoadIdx(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
#endif

inline VF Load(const float* p) { return LoadV<false>(p, VB{}); }
inline void Store(float* p, VF v) { StoreV<false>(p, VB{}, v); }

// What one output plane reads: the padded input plane (pw pixels per row), its weights
// (taps x B, tap t at w + t * ws) and bias (B lanes or null), and the lane permutation.
struct PlaneArgs {
  const float* xp;
  int64_t pw;
  const float* w;
  int64_t ws;
  const float* bias;
  VI perm;
  bool permute;
};

inline VF Src(const PlaneArgs& a, const float* p) { return a.permute ? Permute(Load(p), a.perm) : Load(p); }

// Output pixels (oy, ox) for ox in [ox0, ox1) one at a time: the rows' and pixels' tails.
void Pixels(const DwShape& s, const PlaneArgs& a, int64_t oy, int64_t ox0, int64_t ox1, float* y) {
  for (int64_t ox = ox0; ox < ox1; ++ox) {
    VF acc = a.bias ? Load(a.bias) : Zero();
    for (int64_t ky = 0; ky < s.kh; ++ky) {
      const float* row = a.xp + ((oy * s.stride + ky) * a.pw + ox * s.stride) * B;
      for (int64_t kx = 0; kx < s.kw; ++kx) acc = Fmadd(Src(a, row + kx * B), Load(a.w + (ky * s.kw + kx) * a.ws), acc);
    }
    Store(y + (oy * s.ow + ox) * B, acc);
  }
}

// Rows oy, oy + 1 and pixels ox .. ox + 3, K x K taps at stride S, all compile-time, as is
// whether the source lanes are permuted (a runtime test in these loops cost a third).
template <int K, int S, bool kPerm>
inline void Block2x4(const float* __restrict xp, int64_t pw, const float* __restrict w, int64_t ws, VF b0, VI perm,
                     int64_t oy, int64_t ox, int64_t ow, float* __restrict y) {
  constexpr int kIn = 3 * S + K;  // source pixels the 4 outputs of one row read
  VF acc[2][4];
  for (auto& r : acc) for (VF& v : r) v = b0;
  for (int r = 0; r < K + S; ++r) {  // source rows of both output rows
    const float* row = xp + ((oy * S + r) * pw + ox * S) * B;
    VF in[kIn];
    for (int i = 0; i < kIn; ++i) in[i] = kPerm ? Permute(Load(row + i * B), perm) : Load(row + i * B);
    for (int o = 0; o < 2; ++o) {
      const int ky = r - o * S;
      if (ky < 0 || ky >= K) continue;
      for (int kx = 0; kx < K; ++kx) {
        const VF wv = Load(w + (ky * K + kx) * ws);
        for (int p = 0; p < 4; ++p) acc[o][p] = Fmadd(in[p * S + kx], wv, acc[o][p]);
      }
    }
  }
  for (int o = 0; o < 2; ++o) for (int p = 0; p < 4; ++p) Store(y + ((oy + o) * ow + ox + p) * B, acc[o][p]);
}

template <int K, int S, bool kPerm>
void PlaneFixed(const DwShape& s, const PlaneArgs& a, float* y) {
  const int64_t ow4 = s.ow / 4 * 4;
  const VF b0 = a.bias ? Load(a.bias) : Zero();
  int64_t oy = 0;
  for (; oy + 2 <= s.oh; oy += 2) {
    for (int64_t ox = 0; ox < ow4; ox += 4) Block2x4<K, S, kPerm>(a.xp, a.pw, a.w, a.ws, b0, a.perm, oy, ox, s.ow, y);
    for (int64_t r = oy; r < oy + 2; ++r) Pixels(s, a, r, ow4, s.ow, y);
  }
  for (; oy < s.oh; ++oy) Pixels(s, a, oy, 0, s.ow, y);
}

template <int K, int S>
void PlaneFixed(const DwShape& s, const PlaneArgs& a, float* y) {
  if (a.permute) PlaneFixed<K, S, true>(s, a, y);
  else PlaneFixed<K, S, false>(s, a, y);
}

void Plane(const DwShape& s, const PlaneArgs& a, float* y) {
  const bool square = s.kh == s.kw;
  if (square && s.kh == 3 && s.stride == 1) return PlaneFixed<3, 1>(s, a, y);
  if (square && s.kh == 3 && s.stride == 2) return PlaneFixed<3, 2>(s, a, y);
  if (square && s.kh == 5 && s.stride == 1) return PlaneFixed<5, 1>(s, a, y);
  if (square && s.kh == 5 && s.stride == 2) return PlaneFixed<5, 2>(s, a, y);
  for (int64_t oy = 0; oy < s.oh; ++oy) Pixels(s, a, oy, 0, s.ow, y);
}

// dz[iy][ix] = sum over taps of dy[oy][ox] * w[ky][kx], oy * stride + ky - pt = iy (the same for
// x), one input pixel at a time: the general path of the backward data pass (stride > 1, other
// kernel sizes).
void GatherPlane(const DwShape& s, const float* dy, const float* w, int64_t ws, float* dz) {
  for (int64_t iy = 0; iy < s.h; ++iy) {
    for (int64_t ix = 0; ix < s.w; ++ix) {
      VF acc = Zero();
      // Only the taps of this pixel's residue class reach it: ky = (iy + pt) mod stride, + stride, ...
      for (int64_t ky = (iy + s.pt) % s.stride; ky < s.kh; ky += s.stride) {
        const int64_t oy = (iy + s.pt - ky) / s.stride;
        if (iy + s.pt < ky || oy >= s.oh) continue;
        for (int64_t kx = (ix + s.pl) % s.stride; kx < s.kw; kx += s.stride) {
          const int64_t ox = (ix + s.pl - kx) / s.stride;
          if (ix + s.pl < kx || ox >= s.ow) continue;
          acc = Fmadd(Load(dy + (oy * s.ow + ox) * B), Load(w + (ky * s.kw + kx) * ws), acc);
        }
      }
      Store(dz + (iy * s.w + ix) * B, acc);
    }
  }
}

}  // namespace

// At stride 1 the data gradient is the forward's correlation over dy padded by K - 1 - pad, with
// the taps flipped: Plane runs it into dz in output-channel lanes. With m > 1 each input lane
// then sums its m output lanes, block by block in order (lane permutations times 0/1 masks).
void DepthwiseBackwardDataBlocked(const DwShape& s, const float* dy, const float* w, float* dx) {
  const int64_t cbi = s.c / B, cout = s.c * s.m, cbo = cout / B, ihw = s.h * s.w, ohw = s.oh * s.ow;
  const bool fixed = s.stride == 1 && s.kh == s.kw && (s.kh == 3 || s.kh == 5);
  // Stride 1: dy padded so that plane row iy + a reads dy row iy + a - (K - 1 - pt).
  const int64_t ay = s.kh - 1 - s.pt, ax = s.kw - 1 - s.pl;
  const int64_t qh = s.h + s.kh - 1, qw = s.w + s.kw - 1;
  const DwShape plane_shape{s.n, qh, qw, s.c, 1, s.kh, s.kw, 1, s.h, s.w, 0, 0};
#pragma omp parallel num_threads(Threads()) if (s.n * ohw * cout * s.kh * s.kw >= kParallelMin)
  {
    std::vector<float> q(fixed ? static_cast<size_t>(qh * qw * B) : 0), dz(static_cast<size_t>(ihw * B));
    std::vector<float> flipped(static_cast<size_t>(s.kh * s.kw * B));
#pragma omp for schedule(static)
    for (int64_t plane = 0; plane < s.n * cbi; ++plane) {
      const int64_t b = plane / cbi, k = plane % cbi;
      float* out = dx + plane * ihw * B;
      for (int64_t jj = 0; jj < s.m; ++jj) {
        const int64_t j = k * s.m + jj;
        const float* dyj = dy + (b * cbo + j) * ohw * B;
        float* target = s.m == 1 ? out : dz.data();
        if (fixed) {
          for (int64_t qy = 0; qy < qh; ++qy) {
            float* row = q.data() + qy * qw * B;
            std::fill(row, row + qw * B, 0.0f);
            const int64_t oy = qy - ay;
            if (oy < 0 || oy >= s.oh) continue;
            const int64_t x0 = std::max<int64_t>(0, ax), x1 = std::min<int64_t>(qw, ax + s.ow);
            if (x1 > x0) std::copy(dyj + (oy * s.ow + (x0 - ax)) * B, dyj + (oy * s.ow + (x1 - ax)) * B, row + x0 * B);
          }
          for (int64_t t = 0; t < s.kh * s.kw; ++t) std::copy(w + (s.kh * s.kw - 1 - t) * cout + j * B, w + (s.kh * s.kw - 1 - t) * cout + j * B + B, flipped.data() + t * B);
          const PlaneArgs a{q.data(), qw, flipped.data(), B, nullptr, VI{}, false};
          Plane(plane_shape, a, target);
        } else {
          GatherPlane(s, dyj, w + j * B, cout, target);
        }
        if (s.m == 1) continue;
        if (jj == 0) std::fill(out, out + ihw * B, 0.0f);
        // Input lane l takes output lanes l' with (jj B + l') / m == l: for each offset r < m in
        // its group, l' = l m + r - jj B when that is a lane of this block. One permute and one
        // masked add per r, for all lanes at once.
        for (int64_t r = 0; r < s.m; ++r) {
          alignas(64) int32_t idx[B];
          alignas(64) float keep[B];
          bool any = false;
          for (int64_t l = 0; l < B; ++l) {
            const int64_t src = l * s.m + r - jj * B;
            const bool in = src >= 0 && src < B;
            idx[l] = static_cast<int32_t>(in ? src : 0);
            keep[l] = in ? 1.0f : 0.0f;
            any = any || in;
          }
          if (!any) continue;
          const VI perm = LoadIdx(idx);
          const VF mask = Load(keep);
          for (int64_t p = 0; p < ihw; ++p) {
            Store(out + p * B, Fmadd(Permute(Load(dz.data() + p * B), perm), mask, Load(out + p * B)));
          }
        }
      }
    }
  }
}

void DepthwiseForwardBlocked(const DwShape& s, const float* x, const float* w, const float* bias, float* y) {
  const int64_t cbi = s.c / B, cout = s.c * s.m, cbo = cout / B;
  // The padded plane covers every tap of every output; rows and columns outside x stay zero.
  const int64_t ph = (s.oh - 1) * s.stride + s.kh, pw = (s.ow - 1) * s.stride + s.kw;
  const int64_t ihw = s.h * s.w, ohw = s.oh * s.ow;
#pragma omp parallel num_threads(Threads()) if (s.n * s.oh * s.ow * cout * s.kh * s.kw >= kParallelMin)
  {
    std::vector<float> padded(static_cast<size_t>(ph * pw * B), 0.0f);
#pragma omp for schedule(static)
    for (int64_t plane = 0; plane < s.n * cbi; ++plane) {
      const int64_t b = plane / cbi, k = plane % cbi;
      const float* src = x + plane * ihw * B;
      for (int64_t py = 0; py < ph; ++py) {
        const int64_t iy = py - s.pt;
        float* dst = padded.data() + py * pw * B;
        std::fill(dst, dst + pw * B, 0.0f);
        if (iy < 0 || iy >= s.h) continue;
        const int64_t x0 = std::max<int64_t>(0, s.pl), x1 = std::min<int64_t>(pw, s.pl + s.w);
        if (x1 > x0) std::copy(src + (iy * s.w + (x0 - s.pl)) * B, src + (iy * s.w + (x1 - s.pl)) * B, dst + x0 * B);
      }
      for (int64_t jj = 0; jj < s.m; ++jj) {
        const int64_t j = k * s.m + jj;
        alignas(64) int32_t idx[B];
        for (int64_t l = 0; l < B; ++l) idx[l] = static_cast<int32_t>((j * B + l) / s.m - k * B);
        const PlaneArgs a{padded.data(), pw, w + j * B, cout, bias ? bias + j * B : nullptr, LoadIdx(idx), s.m > 1};
        Plane(s, a, y + (b * cbo + j) * ohw * B);
      }
    }
  }
}

}  // namespace cmv3
#endif  // CMV3_SIMD
