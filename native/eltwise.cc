// Stand-alone activations: y = act(x) and dx = dy * act'(x).
#include "eltwise.h"

#include <algorithm>

#include "act_vec.h"
#include "common.h"
#include "ops.h"

namespace cmv3 {
namespace {

#if CMV3_SIMD
// Blocks of this many elements are the unit of work of the threads; each block runs in vector
// steps (simd.h), the last one masked.
constexpr int64_t kBlock = 1024;

template <int A>
void ForwardLoop(int64_t len, const float* x, float* y) {
  const int64_t blocks = (len + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(Threads()) if (len >= kParallelMin) schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const float* xb = x + b * kBlock;
    float* yb = y + b * kBlock;
    ForEachV(std::min(kBlock, len - b * kBlock), [=](auto tail, int64_t i, VB m) {
      constexpr bool kT = decltype(tail)::value;
      StoreV<kT>(yb + i, m, ActV<A>(LoadV<kT>(xb + i, m)));
    });
  }
}

template <int A>
void BackwardLoop(int64_t len, const float* x, const float* dy, float* dx) {
  const int64_t blocks = (len + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(Threads()) if (len >= kParallelMin) schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const float *xb = x + b * kBlock, *dyb = dy + b * kBlock;
    float* dxb = dx + b * kBlock;
    ForEachV(std::min(kBlock, len - b * kBlock), [=](auto tail, int64_t i, VB m) {
      constexpr bool kT = decltype(tail)::value;
      StoreV<kT>(dxb + i, m, Mul(LoadV<kT>(dyb + i, m), ActGradV<A>(LoadV<kT>(xb + i, m))));
    });
  }
}
#else
// Plain functions, not lambdas: pointers captured by a lambda are reloaded from the closure
// every iteration, which stops GCC from vectorizing.
template <int A>
void ForwardLoop(int64_t len, const float* x, float* y) {
#pragma omp parallel for simd num_threads(Threads()) if (len >= kParallelMin) schedule(static)
  for (int64_t i = 0; i < len; ++i) y[i] = ActF<A>(x[i]);
}

template <int A>
void BackwardLoop(int64_t len, const float* x, const float* dy, float* dx) {
#pragma omp parallel for simd num_threads(Threads()) if (len >= kParallelMin) schedule(static)
  for (int64_t i = 0; i < len; ++i) dx[i] = dy[i] * ActGrad<A>(x[i]);
}
#endif

}  // namespace

static int64_t LengthOf(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsTypedArray()) ThrowNative(info.Env(), "ERR_ARG", std::string("Expected a Float32Array for ") + name);
  return static_cast<int64_t>(info[i].As<Napi::TypedArray>().ElementLength());
}

Napi::Value ActForward(const Napi::CallbackInfo& info) {
  int act = static_cast<int>(IntArg(info, 0, "act", 0, kActCount - 1));
  int64_t len = LengthOf(info, 1, "x");
  const float* x = F32Arg(info, 1, "x", len);
  float* y = F32Arg(info, 2, "y", len);
  Dispatch(act, [&](auto a) { ForwardLoop<decltype(a)::value>(len, x, y); });
  return info.Env().Undefined();
}

Napi::Value ActBackward(const Napi::CallbackInfo& info) {
  int act = static_cast<int>(IntArg(info, 0, "act", 0, kActCount - 1));
  int64_t len = LengthOf(info, 1, "x");
  const float* x = F32Arg(info, 1, "x", len);
  const float* dy = F32Arg(info, 2, "dy", len);
  float* dx = F32Arg(info, 3, "dx", len);
  Dispatch(act, [&](auto a) { BackwardLoop<decltype(a)::value>(len, x, dy, dx); });
  return info.Env().Undefined();
}

}  // namespace cmv3
