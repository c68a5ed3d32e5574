// The geometry of one convolution call as native/conv.cc reads it, shared with the depthwise
// routing (native/conv_route.cc).
#pragma once

#include <cstdint>

namespace cmv3 {

enum ConvOp : int { kFwd = 0, kBwdData = 1, kBwdWeights = 2 };

// Same order as packGeometry() in src/backend/onednn.ts.
// sb, db: the source's and destination's block size, 0 for NHWC (src/backend/layout.ts).
struct Geom {
  int64_t n, h, w, cin, cout, kh, kw, stride, groups, oh, ow, pt, pl, pb, pr, sb, db;
};
constexpr int kGeomLen = 17;

inline int64_t SrcLen(const Geom& g) { return g.n * g.h * g.w * g.cin; }
inline int64_t DstLen(const Geom& g) { return g.n * g.oh * g.ow * g.cout; }
inline int64_t WeightLen(const Geom& g) { return g.kh * g.kw * (g.cin / g.groups) * g.cout; }

// Each runs the pass on the hand-written depthwise kernels and returns true when the routing
// chooses them for this float32 geometry; false leaves the pass to oneDNN.
bool RoutedDepthwiseForward(const Geom& g, const float* x, const float* w, const float* bias, float* y);
bool RoutedDepthwiseBackwardData(const Geom& g, const float* dy, const float* w, float* dx);
bool RoutedDepthwiseBackwardWeights(const Geom& g, const float* x, const float* dy, float* dw, float* dbias);

}  // namespace cmv3
