// Batch norm + activation over blocked activations: [N][C/B][HW][B] with B = CMV3_SIMD, so one
// plane (image n, channel block cb) is HW pixels of one vector each. Per plane the channel
// constants and the sums stay in registers and every load is contiguous, where the NHWC rows of
// bn_act.cc reload them per vector (probe, 2026-12-07: 10-15% less time). bn_act.cc's entry
// points call these when given a block size, and finish the statistics as for NHWC.
#pragma once

#include <cstdint>

namespace cmv3 {

struct BlockedShape {
  int64_t n, hw, c;  // c a multiple of CMV3_SIMD
};

// Per-channel sums of (x - shift) and (x - shift)^2 into sum[0, c) and sq[0, c), shift[0, c) =
// the first pixel of image 0 (the NHWC path's first row): it cuts the cancellation in
// E[x^2] - E[x]^2 when |mean| >> std.
void BlockedStats(const BlockedShape& s, const float* x, float* shift, double* sum, double* sq);

// y = act((x - mean) * scale + beta).
void BlockedNormalize(int act, const BlockedShape& s, const float* x, const float* mean, const float* scale,
                      const float* beta, float* y);

// Backward pass 1: dz = dy * act'(gamma * xhat + beta) into dx, with per-channel sums of dz and
// dz * xhat (xhat = (x - mean) * rstd) into sdz and sdzx.
void BlockedBackwardSums(int act, const BlockedShape& s, const float* x, const float* dy, const float* gamma,
                         const float* beta, const float* mean, const float* rstd, float* dx, double* sdz, double* sdzx);

// Backward pass 2, in place on dx: dx = a * (dz - b - xhat * k).
void BlockedBackwardApply(const BlockedShape& s, const float* x, const float* mean, const float* rstd, const float* a,
                          const float* b, const float* k, float* dx);

}  // namespace cmv3
