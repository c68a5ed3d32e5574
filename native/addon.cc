// The addon's export list; the ops live in the other files of native/.
#include <napi.h>

#include "common.h"
#include "ops.h"

namespace cmv3 {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Method> kExports[] = {
      {"setErrorClass", Guarded<SetErrorClass>},
      {"setThreads", Guarded<SetThreads>},
      {"getThreads", Guarded<GetThreads>},
      {"setFlushDenormals", Guarded<SetFlushDenormals>},
      {"clearCache", Guarded<ClearCache>},
      {"cacheSize", Guarded<CacheSize>},
      {"convForward", Guarded<ConvForward>},
      {"convBackwardData", Guarded<ConvBackwardData>},
      {"convBackwardWeights", Guarded<ConvBackwardWeights>},
      {"bnActForwardTraining", Guarded<BnActForwardTraining>},
      {"bnActForwardInference", Guarded<BnActForwardInference>},
      {"bnActBackward", Guarded<BnActBackward>},
      {"activationBlock", Guarded<ActivationBlock>},
      {"actForward", Guarded<ActForward>},
      {"actBackward", Guarded<ActBackward>},
      {"gapForward", Guarded<GapForward>},
      {"gapBackward", Guarded<GapBackward>},
      {"channelScaleForward", Guarded<ChannelScaleForward>},
      {"channelScaleBackward", Guarded<ChannelScaleBackward>},
      {"add", Guarded<Add>},
      {"layoutReorder", Guarded<LayoutReorder>},
      {"toBf16", Guarded<ToBf16>},
      {"bf16Supported", Guarded<Bf16Supported>},
      {"sgemm", Guarded<Sgemm>},
      {"int8Conv", Guarded<Int8Conv>},
      {"int8PackConv", Guarded<Int8PackConv>},
      {"int8Lookup", Guarded<Int8Lookup>},
      {"int8PairLookup", Guarded<Int8PairLookup>},
      {"floatConv", Guarded<FloatConv>},
  };
  for (const auto& [name, fn] : kExports) exports.Set(name, Napi::Function::New(env, fn, name));
  ApplyDenormalMode();
  return exports;
}

NODE_API_MODULE(cmv3_native, Init)

}  // namespace cmv3
