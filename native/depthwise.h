// Hand-written NHWC depthwise convolutions (native/depthwise.cc), used by native/conv_route.cc for
// convs with groups == cin instead of oneDNN. Layouts as in src/backend/types.ts: weights
// (KH, KW, 1, Cout) with Cout = Cin * m, output channel c*m + j reads input channel c.
#pragma once

#include <cstdint>

namespace cmv3 {

struct DwShape {
  int64_t n, h, w, c, m, kh, kw, stride, oh, ow, pt, pl;  // c = Cin, Cout = c * m
};

// y = conv(x, w) + bias (bias may be null). Overwrites y.
void DepthwiseForward(const DwShape& s, const float* x, const float* w, const float* bias, float* y);
// The same over blocked activations (x and y both [N][C/B][H*W][B], B = CMV3_SIMD; C and C*m
// multiples of B): native/depthwise_blocked.cc. Only with CMV3_SIMD.
void DepthwiseForwardBlocked(const DwShape& s, const float* x, const float* w, const float* bias, float* y);
void DepthwiseBackwardDataBlocked(const DwShape& s, const float* dy, const float* w, float* dx);
// native/depthwise_blocked_weights.cc: x and dy blocked, dw and dbias as DepthwiseBackwardWeights.
void DepthwiseBackwardWeightsBlocked(const DwShape& s, const float* x, const float* dy, float* dw, float* dbias);
// dx = conv_transpose(dy, w). Overwrites dx.
void DepthwiseBackwardData(const DwShape& s, const float* dy, const float* w, float* dx);
// dw = sum over pixels of dy * x, dbias = sum of dy (dbias may be null). Overwrites both.
void DepthwiseBackwardWeights(const DwShape& s, const float* x, const float* dy, float* dw, float* dbias);

}  // namespace cmv3
