// Which depthwise passes leave oneDNN for the hand-written kernels (native/depthwise*.cc), and
// the calls that run them. native/conv.cc asks here first for every float32 pass.
#include <cstdlib>
#include <cstring>

#include "conv_geom.h"
#include "depthwise.h"
#include "simd.h"

namespace cmv3 {
namespace {

// Depthwise convs (groups == cin, any multiplier m = cout/cin) go to the hand-written kernels
// of native/depthwise.cc for the passes where those measured faster than oneDNN (cmv3 width 0.5
// at batch 128, 2 threads, each of its depthwise shapes timed alone):
//   - backward weights, always: 1.5-6x faster for m = 1 (oneDNN's is slow there; the one
//     exception, 48 channels 3x3 at 32x32, is ~15% slower) and 1.5-2.7x for m > 1;
//   - forward and backward data when m > 1, where oneDNN has no depthwise kernel and takes a
//     generic grouped path (1.4-2.3x forward, 3.4-4.6x backward data), or stride > 1 (1.2-1.4x);
//   - m = 1 at stride 1: 5x5 goes to the row-block kernels (depthwise_block.h; on cmv3's 48-
//     and 64-channel 16x16 layers 17-37% less time than oneDNN forward and 34-40% backward
//     data, `npm run bench:dw -- --modes default --baseline COPY --rounds 10`, 2026-12-06);
//     3x3 stays on oneDNN's own depthwise kernels (as fast forward, up to 30% faster backward
//     data on the 24-channel 32x32 layers).
// The environment variable CMV3_DW, read on every call, overrides that choice:
//   CMV3_DW=onednn  every depthwise pass through oneDNN (the previous path, for comparison)
//   CMV3_DW=custom  every depthwise pass through the hand-written kernels
//   unset / other   the measured choice above
// A geometry whose output size does not follow from its padding always goes to oneDNN, which
// rejects it with ERR_DNNL_INVALID_ARGUMENTS as for any other conv.
bool UseDepthwise(const Geom& g, ConvOp op) {
  if (g.groups != g.cin) return false;
  auto consistent = [&](int64_t in, int64_t k, int64_t lo, int64_t hi, int64_t out) {
    return in + lo + hi >= k && (in + lo + hi - k) / g.stride + 1 == out;
  };
  if (!consistent(g.h, g.kh, g.pt, g.pb, g.oh) || !consistent(g.w, g.kw, g.pl, g.pr, g.ow)) return false;
  // Over blocked activations every pass is written (depthwise_blocked*.cc) for blocks of this
  // build's vector width: oneDNN 2.6 runs multipliers and 5x5 weight gradients in nChw8c on its
  // reference code (1-6 s a pass).
  if (g.sb != 0 || g.db != 0) return g.sb == CMV3_SIMD && g.db == CMV3_SIMD;
  const char* env = std::getenv("CMV3_DW");
  if (env != nullptr && std::strcmp(env, "onednn") == 0) return false;
  if (env != nullptr && std::strcmp(env, "custom") == 0) return true;
  return op == kBwdWeights || g.cout != g.cin || g.stride > 1 || (g.kh == 5 && g.kw == 5);
}

DwShape ToDw(const Geom& g) {
  return {g.n, g.h, g.w, g.cin, g.cout / g.cin, g.kh, g.kw, g.stride, g.oh, g.ow, g.pt, g.pl};
}

}  // namespace

bool RoutedDepthwiseForward(const Geom& g, const float* x, const float* w, const float* bias, float* y) {
  if (!UseDepthwise(g, kFwd)) return false;
#if CMV3_SIMD
  if (g.sb != 0) {
    DepthwiseForwardBlocked(ToDw(g), x, w, bias, y);
    return true;
  }
#endif
  DepthwiseForward(ToDw(g), x, w, bias, y);
  return true;
}

bool RoutedDepthwiseBackwardData(const Geom& g, const float* dy, const float* w, float* dx) {
  if (!UseDepthwise(g, kBwdData)) return false;
#if CMV3_SIMD
  if (g.sb != 0) {
    DepthwiseBackwardDataBlocked(ToDw(g), dy, w, dx);
    return true;
  }
#endif
  DepthwiseBackwardData(ToDw(g), dy, w, dx);
  return true;
}

bool RoutedDepthwiseBackwardWeights(const Geom& g, const float* x, const float* dy, float* dw, float* dbias) {
  if (!UseDepthwise(g, kBwdWeights)) return false;
#if CMV3_SIMD
  if (g.sb != 0) {
    DepthwiseBackwardWeightsBlocked(ToDw(g), x, dy, dw, dbias);
    return true;
  }
#endif
  DepthwiseBackwardWeights(ToDw(g), x, dy, dw, dbias);
  return true;
}

}  // namespace cmv3
