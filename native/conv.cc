// Convolutions through oneDNN (depthwise ones partly through the hand-written kernels, see
// native/conv_route.cc). Prepare: the first call for an (op, geometry, precision) builds the
// primitive, its weight reorder and buffers, and caches them. Eval: later calls only point
// the cached dnnl::memory objects at the JS buffers and execute.
// Precision bf16 (dense convolutions only): a pass whose activation inputs (src, diff_dst) come as
// Uint16Arrays of bfloat16 values reads them as they are and its float32 weights rounded to
// bfloat16 by the weight reorder; the arithmetic accumulates in float32 and every output (dst,
// diff_src, diff_weights, diff_bias) is float32.
#include <omp.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <initializer_list>
#include <unordered_map>

#include "common.h"
#include "conv_geom.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "ops.h"

namespace cmv3 {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;
constexpr auto kBf16 = memory::data_type::bf16;

enum Precision : int { kPrecF32 = 0, kPrecBf16 = 1 };

// Leaked on purpose: nothing oneDNN-related runs during process teardown.
dnnl::engine& Engine() {
  static auto* e = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *e;
}
dnnl::stream& Stream() {
  static auto* s = new dnnl::stream(Engine());
  return *s;
}

// NHWC, or the blocked layout nChw8c / nChw16c. Never `any`: oneDNN's choice pads channels to 16
// and leaves the activations to reference code (measured 5x slower); ReadGeom checks the blocks.
memory::desc ActDesc(int64_t n, int64_t c, int64_t h, int64_t w, memory::data_type t, int64_t block) {
  return {{n, c, h, w}, t, block == 0 ? tag::nhwc : block == 8 ? tag::nChw8c : tag::nChw16c};
}

memory::dims WeightDims(const Geom& g) {
  if (g.groups == 1) return {g.cout, g.cin, g.kh, g.kw};
  return {g.groups, g.cout / g.groups, g.cin / g.groups, g.kh, g.kw};
}
// The JS layout (KH, KW, Cin/g, Cout) with Cout = (g, Cout/g) group-major.
memory::desc UserWeights(const Geom& g) { return {WeightDims(g), kF32, g.groups == 1 ? tag::hwio : tag::hwigo}; }
// Weights are small and reordered once per call, so let oneDNN pick its best layout.
memory::desc AnyWeights(const Geom& g, memory::data_type t = kF32) { return {WeightDims(g), t, tag::any}; }
memory::desc BiasDesc(const Geom& g) { return {{g.cout}, kF32, tag::a}; }

// The data type the pass reads its activations, gradients and weights in.
memory::data_type In(Precision p) { return p == kPrecBf16 ? kBf16 : kF32; }

dnnl::convolution_forward::primitive_desc FwdPd(const Geom& g, bool bias, const dnnl::primitive_attr& attr, Precision pr) {
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                    ActDesc(g.n, g.cin, g.h, g.w, In(pr), g.sb), AnyWeights(g, In(pr)),
                                    bias ? BiasDesc(g) : memory::desc(),
                                    ActDesc(g.n, g.cout, g.oh, g.ow, kF32, g.db), {g.stride, g.stride}, {g.pt, g.pl},
                                    {g.pb, g.pr});
  return {d, attr, Engine()};
}

// One scratchpad shared by all primitives (scratchpad_mode::user): calls are serialized by
// g_mutex, so the largest need is enough. 64-byte aligned for the AVX-512 kernels.
struct Scratch {
  void* ptr = nullptr;
  size_t size = 0;
  void* Get(size_t need) {
    if (need > size) {
      std::free(ptr);
      size = (need + 63) / 64 * 64;
      ptr = std::aligned_alloc(64, size);
      if (ptr == nullptr) {
        size = 0;
        throw std::bad_alloc();
      }
    }
    return ptr;
  }
};

struct Plan {
  dnnl::primitive prim;
  std::unordered_map<int, memory> args;  // JS-backed entries get a new handle on every call
  memory user_w;                         // the JS weights (fwd, bwd data) or weight gradient
  memory inner_w;                        // the layout the primitive chose; == user_w if the same
  bool reorder_w = false;
  dnnl::reorder w_reorder;               // user->inner before (fwd, bwd data), inner->user after
  std::unordered_map<int, memory> w_args;
  size_t scratch_bytes = 0;
};

std::mutex g_mutex;
Scratch g_scratch;
// Heap-allocated and never freed, like the engine.
auto& g_plans = *new std::map<std::array<int64_t, kGeomLen + 3>, std::unique_ptr<Plan>>();

memory Unbound(const memory::desc& md) { return memory(md, Engine(), nullptr); }

// Wires the weight memories: when oneDNN's chosen layout differs from HWIO, a cached reorder
// and an internal buffer bridge the two.
void SetupWeights(Plan& p, const Geom& g, const memory::desc& chosen, bool to_user) {
  p.user_w = Unbound(UserWeights(g));
  if (chosen == p.user_w.get_desc()) {
    p.inner_w = p.user_w;
    return;
  }
  p.inner_w = memory(chosen, Engine());
  p.reorder_w = true;
  p.w_reorder = to_user ? dnnl::reorder(p.inner_w, p.user_w) : dnnl::reorder(p.user_w, p.inner_w);
  p.w_args = {{DNNL_ARG_FROM, to_user ? p.inner_w : p.user_w}, {DNNL_ARG_TO, to_user ? p.user_w : p.inner_w}};
}

void SetupScratch(Plan& p, const memory::desc& md) {
  p.scratch_bytes = md.get_size();
  if (p.scratch_bytes > 0) p.args[DNNL_ARG_SCRATCHPAD] = Unbound(md);
}

// oneDNN 2.6's 1x1 weight gradients (jit_1x1 for AVX2 and AVX-512; the bf16 one is built alike)
// copy a strided NHWC source into a unit-stride workspace ("rtus") at ic_block spacing in space
// sized for IC channels: with fewer input channels than a block (8 or 16) and stride > 1 they write
// past their share of the scratchpad. Found here as test 20 failing 1 run in 4 (a wrong weight
// gradient, then a batch norm reading a corrupted heap); 18-20 of 20 calls wrong at n 32, 32x32,
// cin 4 or 7 (uxlfoundation/oneDNN#6035). Such convolutions take oneDNN's next implementation:
// none of cmv3's own networks has one, a spec with a strided pointwise layer may.
std::string Describe(const Geom& g);
bool RtusOverflowRisk(const Geom& g) { return g.kh == 1 && g.kw == 1 && g.stride > 1 && g.cin / g.groups < 16; }

template <typename Pd>
void AvoidRtusOverflow(Pd& pd, const Geom& g) {
  if (!RtusOverflowRisk(g)) return;
  while (std::string(pd.impl_info_str()).find("1x1") != std::string::npos) {
    if (!pd.next_impl()) throw std::runtime_error("no oneDNN weight gradient without the 1x1 stride workspace for " + Describe(g));
  }
}

std::unique_ptr<Plan> Prepare(ConvOp op, const Geom& g, bool bias, Precision pr) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  auto p = std::make_unique<Plan>();
  if (op == kFwd) {
    auto pd = FwdPd(g, bias, attr, pr);
    p->prim = dnnl::convolution_forward(pd);
    SetupWeights(*p, g, pd.weights_desc(), false);
    p->args = {{DNNL_ARG_SRC, Unbound(pd.src_desc())}, {DNNL_ARG_WEIGHTS, p->inner_w},
               {DNNL_ARG_DST, Unbound(pd.dst_desc())}};
    if (bias) p->args[DNNL_ARG_BIAS] = Unbound(pd.bias_desc());
    SetupScratch(*p, pd.scratchpad_desc());
  } else if (op == kBwdData) {
    dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, ActDesc(g.n, g.cin, g.h, g.w, kF32, g.sb),
                                            AnyWeights(g, In(pr)),
                                            ActDesc(g.n, g.cout, g.oh, g.ow, In(pr), g.db),
                                            {g.stride, g.stride}, {g.pt, g.pl}, {g.pb, g.pr});
    dnnl::convolution_backward_data::primitive_desc pd(d, attr, Engine(), FwdPd(g, false, attr, pr));
    p->prim = dnnl::convolution_backward_data(pd);
    SetupWeights(*p, g, pd.weights_desc(), false);
    p->args = {{DNNL_ARG_DIFF_DST, Unbound(pd.diff_dst_desc())}, {DNNL_ARG_WEIGHTS, p->inner_w},
               {DNNL_ARG_DIFF_SRC, Unbound(pd.diff_src_desc())}};
    SetupScratch(*p, pd.scratchpad_desc());
  } else {
    // The weight gradient stays float32 (the master weights are float32).
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, ActDesc(g.n, g.cin, g.h, g.w, In(pr), g.sb),
                                               AnyWeights(g), bias ? BiasDesc(g) : memory::desc(),
                                               ActDesc(g.n, g.cout, g.oh, g.ow, In(pr), g.db), {g.stride, g.stride},
                                               {g.pt, g.pl}, {g.pb, g.pr});
    // The hint outlives the constructor: the descriptor's iterator reads it again in next_impl().
    const auto hint = FwdPd(g, bias, attr, pr);
    dnnl::convolution_backward_weights::primitive_desc pd(d, attr, Engine(), hint);
    AvoidRtusOverflow(pd, g);
    p->prim = dnnl::convolution_backward_weights(pd);
    SetupWeights(*p, g, pd.diff_weights_desc(), true);
    p->args = {{DNNL_ARG_SRC, Unbound(pd.src_desc())}, {DNNL_ARG_DIFF_DST, Unbound(pd.diff_dst_desc())},
               {DNNL_ARG_DIFF_WEIGHTS, p->inner_w}};
    if (bias) p->args[DNNL_ARG_DIFF_BIAS] = Unbound(pd.diff_bias_desc());
    SetupScratch(*p, pd.scratchpad_desc());
  }
  return p;
}

std::string Describe(const Geom& g) {
  auto s = [](int64_t v) { return std::to_string(v); };
  return "n=" + s(g.n) + " h=" + s(g.h) + " w=" + s(g.w) + " cin=" + s(g.cin) + " cout=" + s(g.cout) +
         " k=" + s(g.kh) + "x" + s(g.kw) + " stride=" + s(g.stride) + " groups=" + s(g.groups) + " out=" +
         s(g.oh) + "x" + s(g.ow) + " pad=" + s(g.pt) + "," + s(g.pl) + "," + s(g.pb) + "," + s(g.pr) +
         (g.sb || g.db ? " blocks=" + s(g.sb) + "," + s(g.db) : "");
}

Geom ReadGeom(const Napi::CallbackInfo& info) {
  const int32_t* v = I32Arg(info, 0, "geometry", kGeomLen);
  Geom g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16]};
  auto block_ok = [](int64_t b, int64_t c) { return b == 0 || ((b == 8 || b == 16) && c % b == 0); };
  bool ok = g.n > 0 && g.h > 0 && g.w > 0 && g.cin > 0 && g.cout > 0 && g.kh > 0 && g.kw > 0 && g.stride > 0 &&
            g.groups > 0 && g.oh > 0 && g.ow > 0 && g.pt >= 0 && g.pl >= 0 && g.pb >= 0 && g.pr >= 0 &&
            g.cin % g.groups == 0 && g.cout % g.groups == 0 && block_ok(g.sb, g.cin) && block_ok(g.db, g.cout);
  if (!ok) ThrowNative(info.Env(), "ERR_SHAPE", "Invalid convolution geometry: " + Describe(g));
  return g;
}

// Cached plan for (op, g, bias, precision), built on first use. Caller holds g_mutex.
Plan& GetPlan(const Napi::CallbackInfo& info, ConvOp op, const Geom& g, bool bias, Precision pr) {
  // oneDNN sizes its work split by the OpenMP thread count of the calling thread.
  if (omp_get_max_threads() != Threads()) omp_set_num_threads(Threads());
  std::array<int64_t, kGeomLen + 3> key{op, bias, pr, g.n, g.h, g.w, g.cin, g.cout, g.kh, g.kw,
                                        g.stride, g.groups, g.oh, g.ow, g.pt, g.pl, g.pb, g.pr, g.sb, g.db};
  auto it = g_plans.find(key);
  if (it != g_plans.end()) return *it->second;
  static const char* kOpNames[] = {"forward", "backward data", "backward weights"};
  try {
    return *g_plans.emplace(key, Prepare(op, g, bias, pr)).first->second;
  } catch (const dnnl::error& e) {
    ThrowNative(info.Env(), DnnlStatusCode(e.status),
                std::string("oneDNN convolution ") + kOpNames[op] + " failed (" + e.what() + ") for " + Describe(g));
  }
}

void Run(Plan& p, bool reorder_before) {
  dnnl::stream& s = Stream();
  if (p.scratch_bytes > 0) p.args.at(DNNL_ARG_SCRATCHPAD).set_data_handle(g_scratch.Get(p.scratch_bytes));
  if (p.reorder_w && reorder_before) p.w_reorder.execute(s, p.w_args);
  p.prim.execute(s, p.args);
  if (p.reorder_w && !reorder_before) p.w_reorder.execute(s, p.w_args);
  s.wait();
}

void Bind(Plan& p, int arg, const void* data) { p.args.at(arg).set_data_handle(const_cast<void*>(data)); }

// The pass's precision from its activation inputs' type: bfloat16 (Uint16Array) for dense
// convolutions only, and every input of the pass in the same type.
Precision InputPrecision(const Napi::CallbackInfo& info, const Geom& g, std::initializer_list<ActTensor> inputs) {
  const bool bf16 = inputs.begin()->bf16;
  for (const ActTensor& t : inputs) {
    if (t.bf16 != bf16) ThrowNative(info.Env(), "ERR_ARG", "x and dy must both be Float32Arrays or both Uint16Arrays (bfloat16)");
  }
  const Precision pr = bf16 ? kPrecBf16 : kPrecF32;
  // Without bfloat16 instructions oneDNN emulates them, slower than float32: refuse instead.
  if (pr == kPrecBf16 && !HasBf16()) {
    ThrowNative(info.Env(), "ERR_BF16_UNSUPPORTED",
                "bfloat16 convolutions need a CPU with AVX512_BF16 (or AMX), which this one lacks; train with precision f32");
  }
  if (pr == kPrecBf16 && (g.sb != 0 || g.db != 0)) {
    ThrowNative(info.Env(), "ERR_ARG", "precision bf16 is not built for blocked activations");
  }
  if (pr == kPrecBf16 && g.groups != 1) {
    ThrowNative(info.Env(), "ERR_ARG", "precision bf16 is for dense convolutions (groups 1) but received groups=" +
                                           std::to_string(g.groups));
  }
  // oneDNN 2.6's bf16 1x1 backward-data kernel (jit_bf16_1x1, NHWC) reads past the last output
  // channel when their count is not a multiple of 8: dx came out wrong in test 20.
  if (pr == kPrecBf16 && g.cout % 8 != 0) {
    ThrowNative(info.Env(), "ERR_ARG", "precision bf16 needs output channels in multiples of 8 but received cout=" +
                                           std::to_string(g.cout));
  }
  return pr;
}

}  // namespace

// Asked once: oneDNN fixes its ISA (CPU and ONEDNN_MAX_CPU_ISA) at its first use in a process.
bool HasBf16() {
  static const bool has = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
  }();
  return has;
}

Napi::Value Bf16Supported(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), HasBf16()); }

void ClearConvCache() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_plans.clear();
}

Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  ClearConvCache();
  return info.Env().Undefined();
}

Napi::Value CacheSize(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return Napi::Number::New(info.Env(), static_cast<double>(g_plans.size()));
}

// (geometry, x (Float32Array | Uint16Array bf16), w, bias | null, y)
Napi::Value ConvForward(const Napi::CallbackInfo& info) {
  Geom g = ReadGeom(info);
  const ActTensor x = F32OrBf16Arg(info, 1, "x", SrcLen(g));
  const float* w = F32Arg(info, 2, "w", WeightLen(g));
  const float* bias = F32ArgOrNull(info, 3, "bias", g.cout);
  float* y = F32Arg(info, 4, "y", DstLen(g));
  const Precision pr = InputPrecision(info, g, {x});
  if (pr == kPrecF32 && RoutedDepthwiseForward(g, static_cast<const float*>(x.data), w, bias, y)) return info.Env().Undefined();
  std::lock_guard<std::mutex> lock(g_mutex);
  Plan& p = GetPlan(info, kFwd, g, bias != nullptr, pr);
  Bind(p, DNNL_ARG_SRC, x.data);
  p.user_w.set_data_handle(const_cast<float*>(w));
  if (bias != nullptr) Bind(p, DNNL_ARG_BIAS, bias);
  Bind(p, DNNL_ARG_DST, y);
  Run(p, true);
  return info.Env().Undefined();
}

// (geometry, dy (Float32Array | Uint16Array bf16), w, dx)
Napi::Value ConvBackwardData(const Napi::CallbackInfo& info) {
  Geom g = ReadGeom(info);
  const ActTensor dy = F32OrBf16Arg(info, 1, "dy", DstLen(g));
  const float* w = F32Arg(info, 2, "w", WeightLen(g));
  float* dx = F32Arg(info, 3, "dx", SrcLen(g));
  const Precision pr = InputPrecision(info, g, {dy});
  if (pr == kPrecF32 && RoutedDepthwiseBackwardData(g, static_cast<const float*>(dy.data), w, dx)) return info.Env().Undefined();
  std::lock_guard<std::mutex> lock(g_mutex);
  Plan& p = GetPlan(info, kBwdData, g, false, pr);
  Bind(p, DNNL_ARG_DIFF_DST, dy.data);
  p.user_w.set_data_handle(const_cast<float*>(w));
  Bind(p, DNNL_ARG_DIFF_SRC, dx);
  Run(p, true);
  return info.Env().Undefined();
}

// (geometry, x, dy (both Float32Array or both Uint16Array bf16), dw, dbias | null)
Napi::Value ConvBackwardWeights(const Napi::CallbackInfo& info) {
  Geom g = ReadGeom(info);
  const ActTensor x = F32OrBf16Arg(info, 1, "x", SrcLen(g));
  const ActTensor dy = F32OrBf16Arg(info, 2, "dy", DstLen(g));
  float* dw = F32Arg(info, 3, "dw", WeightLen(g));
  float* dbias = F32ArgOrNull(info, 4, "dbias", g.cout);
  const Precision pr = InputPrecision(info, g, {x, dy});
  if (pr == kPrecF32 && RoutedDepthwiseBackwardWeights(g, static_cast<const float*>(x.data), static_cast<const float*>(dy.data), dw, dbias)) {
    return info.Env().Undefined();
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  Plan& p = GetPlan(info, kBwdWeights, g, dbias != nullptr, pr);
  Bind(p, DNNL_ARG_SRC, x.data);
  Bind(p, DNNL_ARG_DIFF_DST, dy.data);
  p.user_w.set_data_handle(dw);
  if (dbias != nullptr) Bind(p, DNNL_ARG_DIFF_BIAS, dbias);
  Run(p, false);
  return info.Env().Undefined();
}

}  // namespace cmv3
