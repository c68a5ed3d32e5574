{
  "targets": [
    {
      "target_name": "cmv3_native",
      "sources": [
        "native/addon.cc",
        "native/common.cc",
        "native/conv.cc",
        "native/conv_route.cc",
        "native/depthwise.cc",
        "native/depthwise_blocked.cc",
        "native/depthwise_blocked_weights.cc",
        "native/bn_act.cc",
        "native/bn_blocked.cc",
        "native/eltwise.cc",
        "native/misc.cc",
        "native/int8.cc",
        "native/int8_lookup.cc",
        "native/float_conv.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      # node-gyp defaults to -fno-exceptions; dnnl::error must be catchable.
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      # -fno-trapping-math lets GCC if-convert the clamps/selects in native/eltwise.h, without
      # it the sigmoid, mish and hswish loops stay scalar ("control flow in loop").
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fopenmp", "-fno-trapping-math"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "ldflags": ["-fopenmp"]
    }
  ]
}
