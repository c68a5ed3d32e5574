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
#include "depthwise_blocked.h"
#include "depthwise_rows.h"
#include "ops.h"
#include "simd.h"

#if CMV3_SIMD
namespace cmv3 {
namespace {

// What one output plane reads: the padded input plane (pw pixels per row), its weights
// (taps x B, tap t at w + t * ws) and bias (B lanes or null), and the lane permutation; and
// where it writes: output pixel p at y + p * ys (ys = B, or m * B for the data gradient's
// output-channel-space planes that Contract then sums).
struct PlaneArgs {
  const float* xp;
  int64_t pw;
  const float* w;
  int64_t ws;
  const float* bias;
  VI perm;
  bool permute;
  int64_t ys;
  const float* next;  // what to prefetch meanwhile (PrefetchPart), or null
  int64_t next_len;
};

inline VF Src(const PlaneArgs& a, const float* p) { return a.permute ? Permute(LoadVec(p), a.perm) : LoadVec(p); }

// Output pixels (oy, ox) for ox in [ox0, ox1) one at a time: the rows' and pixels' tails.
void Pixels(const DwShape& s, const PlaneArgs& a, int64_t oy, int64_t ox0, int64_t ox1, float* y) {
  for (int64_t ox = ox0; ox < ox1; ++ox) {
    VF acc = a.bias ? LoadVec(a.bias) : Zero();
    for (int64_t ky = 0; ky < s.kh; ++ky) {
      const float* row = a.xp + ((oy * s.stride + ky) * a.pw + ox * s.stride) * B;
      for (int64_t kx = 0; kx < s.kw; ++kx) acc = Fmadd(Src(a, row + kx * B), LoadVec(a.w + (ky * s.kw + kx) * a.ws), acc);
    }
    StoreVec(y + (oy * s.ow + ox) * a.ys, acc);
  }
}

// Rows oy, oy + 1 and pixels ox .. ox + 3, K x K taps at stride S, all compile-time, as is
// whether the source lanes are permuted (a runtime test in these loops cost a third).
template <int K, int S, bool kPerm>
inline void Block2x4(const float* __restrict xp, int64_t pw, const float* __restrict w, int64_t ws, VF b0, VI perm,
                     int64_t oy, int64_t ox, int64_t ow, int64_t ys, float* __restrict y) {
  constexpr int kIn = 3 * S + K;  // source pixels the 4 outputs of one row read
  VF acc[2][4];
  for (auto& r : acc) for (VF& v : r) v = b0;
  for (int r = 0; r < K + S; ++r) {  // source rows of both output rows
    const float* row = xp + ((oy * S + r) * pw + ox * S) * B;
    VF in[kIn];
    for (int i = 0; i < kIn; ++i) in[i] = kPerm ? Permute(LoadVec(row + i * B), perm) : LoadVec(row + i * B);
    for (int o = 0; o < 2; ++o) {
      const int ky = r - o * S;
      if (ky < 0 || ky >= K) continue;
      for (int kx = 0; kx < K; ++kx) {
        const VF wv = LoadVec(w + (ky * K + kx) * ws);
        for (int p = 0; p < 4; ++p) acc[o][p] = Fmadd(in[p * S + kx], wv, acc[o][p]);
      }
    }
  }
  for (int o = 0; o < 2; ++o) for (int p = 0; p < 4; ++p) StoreVec(y + ((oy + o) * ow + ox + p) * ys, acc[o][p]);
}

template <int K, int S, bool kPerm>
void PlaneFixed(const DwShape& s, const PlaneArgs& a, float* y) {
  const int64_t ow4 = s.ow / 4 * 4;
  const VF b0 = a.bias ? LoadVec(a.bias) : Zero();
  int64_t oy = 0;
  for (; oy + 2 <= s.oh; oy += 2) {
    PrefetchPart(a.next, a.next_len, oy / 2, s.oh / 2);
    for (int64_t ox = 0; ox < ow4; ox += 4) Block2x4<K, S, kPerm>(a.xp, a.pw, a.w, a.ws, b0, a.perm, oy, ox, s.ow, a.ys, y);
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

// The data gradient at any stride s as s x s unit-stride correlations: input pixels of residue
// class (py, px) (iy = a s + py, ix = b s + px) are reached only by the taps ky = ky0 + s t,
// kx = kx0 + s u with ky0 = (py + pt) mod s (the same for x), from dy row a + cy - t and column
// b + cx - u, cy = (py + pt - ky0) / s. Over a dy plane padded by (ay, ax) in front those reads
// never leave it. What one class reads and writes:
struct ClassArgs {
  const float* q;  // padded dy plane, qw pixels per row: q pixel (r + ay, c + ax) is dy (r, c)
  int64_t qw, ay, ax;
  const float* w;  // tap (ky, kx) at w + (ky * kw + kx) * ws
  int64_t ws, kw, s;
  int64_t py, px, ky0, kx0, cy, cx, na, nb;  // the class, its first taps and its pixel counts
  float* dz;  // pixel (iy, ix) at dz + (iy * width + ix) * ys
  int64_t width, ys;
};

// TY x TX taps per class pixel, 4 neighbouring class pixels of a row per step: each loaded dy
// vector feeds up to min(4, TX) of them.
template <int TY, int TX>
void ClassCorr(const ClassArgs& c) {
  VF wv[TY][TX];
  for (int t = 0; t < TY; ++t)
    for (int u = 0; u < TX; ++u) wv[t][u] = LoadVec(c.w + ((c.ky0 + c.s * t) * c.kw + c.kx0 + c.s * u) * c.ws);
  for (int64_t a = 0; a < c.na; ++a) {
    float* out = c.dz + ((a * c.s + c.py) * c.width + c.px) * c.ys;
    int64_t b = 0;
    for (; b + 4 <= c.nb; b += 4) {
      VF acc[4] = {Zero(), Zero(), Zero(), Zero()};
      for (int t = 0; t < TY; ++t) {
        // dy column b + p + cx - u: the TX + 3 vectors from b + cx - (TX - 1) on.
        const float* row = c.q + ((a + c.cy - t + c.ay) * c.qw + b + c.cx - (TX - 1) + c.ax) * B;
        for (int i = 0; i < TX + 3; ++i) {
          const VF v = LoadVec(row + i * B);
          for (int p = 0; p < 4; ++p) {
            const int u = TX - 1 - (i - p);
            if (u >= 0 && u < TX) acc[p] = Fmadd(v, wv[t][u], acc[p]);
          }
        }
      }
      for (int p = 0; p < 4; ++p) StoreVec(out + (b + p) * c.s * c.ys, acc[p]);
    }
    for (; b < c.nb; ++b) {
      VF acc = Zero();
      for (int t = 0; t < TY; ++t) {
        const float* row = c.q + ((a + c.cy - t + c.ay) * c.qw + b + c.cx + c.ax) * B;
        for (int u = 0; u < TX; ++u) acc = Fmadd(LoadVec(row - u * B), wv[t][u], acc);
      }
      StoreVec(out + b * c.s * c.ys, acc);
    }
  }
}

// Any tap counts, one pixel at a time (kernels wider than 3 taps per class).
void ClassCorrAny(const ClassArgs& c, int64_t ty, int64_t tx) {
  for (int64_t a = 0; a < c.na; ++a) {
    for (int64_t b = 0; b < c.nb; ++b) {
      VF acc = Zero();
      for (int64_t t = 0; t < ty; ++t) {
        const float* row = c.q + ((a + c.cy - t + c.ay) * c.qw + b + c.cx + c.ax) * B;
        const float* wt = c.w + ((c.ky0 + c.s * t) * c.kw + c.kx0) * c.ws;
        for (int64_t u = 0; u < tx; ++u) acc = Fmadd(LoadVec(row - u * B), LoadVec(wt + c.s * u * c.ws), acc);
      }
      StoreVec(c.dz + ((a * c.s + c.py) * c.width + b * c.s + c.px) * c.ys, acc);
    }
  }
}

template <int TY>
void ClassCorrRows(const ClassArgs& c, int64_t tx) {
  if (tx == 1) return ClassCorr<TY, 1>(c);
  if (tx == 2) return ClassCorr<TY, 2>(c);
  ClassCorr<TY, 3>(c);
}

// Padding of the dy plane for the class correlations: ay rows in front (the most taps of a class
// less one), and enough rows after for the last class pixel's first tap.
struct ClassPad {
  int64_t ay, ax, qh, qw;
};

ClassPad ClassPadding(const DwShape& s) {
  auto axis = [&](int64_t in, int64_t k, int64_t pad, int64_t out, int64_t* front, int64_t* len) {
    *front = (k + s.stride - 1) / s.stride - 1;
    int64_t last = out + *front;  // every dy row fits
    for (int64_t p = 0; p < s.stride && p < in; ++p) {
      const int64_t k0 = (p + pad) % s.stride, n = (in - 1 - p) / s.stride + 1;
      last = std::max(last, n - 1 + (p + pad - k0) / s.stride + *front + 1);
    }
    *len = last;
  };
  ClassPad c{};
  axis(s.h, s.kh, s.pt, s.oh, &c.ay, &c.qh);
  axis(s.w, s.kw, s.pl, s.ow, &c.ax, &c.qw);
  return c;
}

// Every class of one input plane from one padded dy plane q.
void ClassPlanes(const DwShape& s, const ClassPad& pad, const float* q, const float* w, int64_t ws, float* dz,
                 int64_t ys) {
  for (int64_t py = 0; py < s.stride && py < s.h; ++py) {
    for (int64_t px = 0; px < s.stride && px < s.w; ++px) {
      const int64_t ky0 = (py + s.pt) % s.stride, kx0 = (px + s.pl) % s.stride;
      const ClassArgs c{q, pad.qw, pad.ay, pad.ax, w, ws, s.kw, s.stride, py, px, ky0, kx0,
                        (py + s.pt - ky0) / s.stride, (px + s.pl - kx0) / s.stride,
                        (s.h - 1 - py) / s.stride + 1, (s.w - 1 - px) / s.stride + 1, dz, s.w, ys};
      const int64_t ty = ClassTaps(s.kh, s.stride, ky0), tx = ClassTaps(s.kw, s.stride, kx0);
      if (ty == 0 || tx == 0) {
        for (int64_t a = 0; a < c.na; ++a)
          for (int64_t b = 0; b < c.nb; ++b) StoreVec(dz + ((a * s.stride + py) * s.w + b * s.stride + px) * ys, Zero());
      } else if (ty > 3 || tx > 3) {
        ClassCorrAny(c, ty, tx);
      } else if (ty == 1) {
        ClassCorrRows<1>(c, tx);
      } else if (ty == 2) {
        ClassCorrRows<2>(c, tx);
      } else {
        ClassCorrRows<3>(c, tx);
      }
    }
  }
}

}  // namespace

// At stride 1 with 3x3 / 5x5 the data gradient is the forward's correlation over dy padded by
// K - 1 - pad, with the taps flipped (Plane's 2 x 4 blocks); otherwise one unit-stride
// correlation per residue class (ClassPlanes). With m > 1 each output block's result goes into
// its lanes of an output-channel-space plane (m B floats per pixel, as the NHWC kernels'
// Cout-space rows), and Contract sums each input channel's m outputs once per plane.
void DepthwiseBackwardDataBlocked(const DwShape& s, const float* dy, const float* w, float* dx) {
  const int64_t cbi = s.c / B, cout = s.c * s.m, cbo = cout / B, ihw = s.h * s.w, ohw = s.oh * s.ow;
  const bool fixed = s.stride == 1 && s.kh == s.kw && (s.kh == 3 || s.kh == 5) && s.pt < s.kh && s.pl < s.kw;
  ClassPad pad{};
  if (fixed) pad = {s.kh - 1 - s.pt, s.kw - 1 - s.pl, s.h + s.kh - 1, s.w + s.kw - 1};
  else pad = ClassPadding(s);
  const DwShape plane_shape{s.n, pad.qh, pad.qw, s.c, 1, s.kh, s.kw, 1, s.h, s.w, 0, 0};
  const int64_t ys = s.m * B;
#pragma omp parallel num_threads(Threads()) if (s.n * ohw * cout * s.kh * s.kw >= kParallelMin)
  {
    std::vector<float> q(static_cast<size_t>(pad.qh * pad.qw * B));
    std::vector<float> e(s.m > 1 ? static_cast<size_t>(2 * ihw * ys) : 0);  // Cout-space plane + Contract's scratch
    std::vector<float> flipped(static_cast<size_t>(s.kh * s.kw * B));
#pragma omp for schedule(static)
    for (int64_t plane = 0; plane < s.n * cbi; ++plane) {
      const int64_t b = plane / cbi, k = plane % cbi;
      float* out = dx + plane * ihw * B;
      for (int64_t jj = 0; jj < s.m; ++jj) {
        const int64_t j = k * s.m + jj;
        const float* dyj = dy + (b * cbo + j) * ohw * B;
        PadPlane(dyj, s.oh, s.ow, pad.ay, pad.ax, pad.qh, pad.qw, q.data());
        // The next dy plane this thread pads is the adjacent one (j + 1, or image b + 1's first).
        const float* next = b * cbo + j + 1 < s.n * cbo ? dyj + ohw * B : nullptr;
        float* target = s.m == 1 ? out : e.data() + jj * B;
        const int64_t step = s.m == 1 ? B : ys;
        if (fixed) {
          for (int64_t t = 0; t < s.kh * s.kw; ++t) {
            const float* src = w + (s.kh * s.kw - 1 - t) * cout + j * B;
            std::copy(src, src + B, flipped.data() + t * B);
          }
          const PlaneArgs a{q.data(), pad.qw, flipped.data(), B, nullptr, VI{}, false, step, next, ohw * B};
          Plane(plane_shape, a, target);
        } else {
          ClassPlanes(s, pad, q.data(), w + j * B, cout, target, step);
        }
      }
      if (s.m > 1) Contract(e.data(), ihw * B, s.m, out, e.data() + ihw * ys);
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
      PadPlane(x + plane * ihw * B, s.h, s.w, s.pt, s.pl, ph, pw, padded.data());
      for (int64_t jj = 0; jj < s.m; ++jj) {
        const int64_t j = k * s.m + jj;
        const float* next = jj == 0 && plane + 1 < s.n * cbi ? x + (plane + 1) * ihw * B : nullptr;
        const PlaneArgs a{padded.data(), pw, w + j * B, cout, bias ? bias + j * B : nullptr, MultiplierLanes(j, k, s.m), s.m > 1, B,
                          next, ihw * B};
        Plane(s, a, y + (b * cbo + j) * ohw * B);
      }
    }
  }
}

}  // namespace cmv3
#endif  // CMV3_SIMD
