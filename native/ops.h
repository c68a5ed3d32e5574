// Every function the addon exports (see addon.cc), grouped by source file.
#pragma once

#include <napi.h>

namespace cmv3 {

// common.cc
int Threads();  // the count set by setThreads (default 2), used by every OpenMP region
Napi::Value SetErrorClass(const Napi::CallbackInfo& info);
Napi::Value SetThreads(const Napi::CallbackInfo& info);
Napi::Value GetThreads(const Napi::CallbackInfo& info);
Napi::Value SetFlushDenormals(const Napi::CallbackInfo& info);
void ApplyDenormalMode();  // sets FTZ/DAZ (or clears them) in this thread and the OpenMP pool

// conv.cc
void ClearConvCache();
Napi::Value ClearCache(const Napi::CallbackInfo& info);
Napi::Value CacheSize(const Napi::CallbackInfo& info);
// oneDNN runs bfloat16 natively here (AVX512_BF16 or AMX; ONEDNN_MAX_CPU_ISA can lower it).
bool HasBf16();
Napi::Value Bf16Supported(const Napi::CallbackInfo& info);
Napi::Value ConvForward(const Napi::CallbackInfo& info);
Napi::Value ConvBackwardData(const Napi::CallbackInfo& info);
Napi::Value ConvBackwardWeights(const Napi::CallbackInfo& info);

// bn_act.cc
Napi::Value BnActForwardTraining(const Napi::CallbackInfo& info);
Napi::Value BnActForwardInference(const Napi::CallbackInfo& info);
Napi::Value BnActBackward(const Napi::CallbackInfo& info);
// The block size of the blocked activation layout this build's kernels take (its vector width), 0 for none.
Napi::Value ActivationBlock(const Napi::CallbackInfo& info);

// eltwise.cc
Napi::Value ActForward(const Napi::CallbackInfo& info);
Napi::Value ActBackward(const Napi::CallbackInfo& info);

// misc.cc
Napi::Value GapForward(const Napi::CallbackInfo& info);
Napi::Value GapBackward(const Napi::CallbackInfo& info);
Napi::Value ChannelScaleForward(const Napi::CallbackInfo& info);
Napi::Value ChannelScaleBackward(const Napi::CallbackInfo& info);
Napi::Value Add(const Napi::CallbackInfo& info);
Napi::Value LayoutReorder(const Napi::CallbackInfo& info);
Napi::Value ToBf16(const Napi::CallbackInfo& info);
Napi::Value Sgemm(const Napi::CallbackInfo& info);

// int8.cc
Napi::Value Int8Conv(const Napi::CallbackInfo& info);
Napi::Value Int8PackConv(const Napi::CallbackInfo& info);

// int8_lookup.cc
Napi::Value Int8Lookup(const Napi::CallbackInfo& info);
Napi::Value Int8PairLookup(const Napi::CallbackInfo& info);

// float_conv.cc
Napi::Value FloatConv(const Napi::CallbackInfo& info);

}  // namespace cmv3
