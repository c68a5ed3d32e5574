// Shared plumbing for every native op: argument access with checks, errors thrown as the
// JS NativeError class, and the exception guard that wraps each export.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace cmv3 {

// Throws an instance of the class given to setErrorClass (plain Error before that), with .code.
[[noreturn]] void ThrowNative(Napi::Env env, const char* code, const std::string& message);

// Maps a dnnl_status_t to the .code of the NativeError (ERR_DNNL_UNIMPLEMENTED, ...).
const char* DnnlStatusCode(int status);

// Converts the in-flight C++ exception (dnnl::error, bad_alloc, ...) into ThrowNative.
// Must be called from inside a catch block.
[[noreturn]] void RethrowAsNative(Napi::Env env);

// Every export goes through this, so no C++ exception ever escapes into N-API (which would
// terminate the process); node-addon-api itself only converts Napi::Error.
using Method = Napi::Value (*)(const Napi::CallbackInfo&);
template <Method F>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    RethrowAsNative(info.Env());
  }
}

// Float32Array argument i with exactly `expected` elements (ERR_SHAPE / ERR_ARG otherwise).
float* F32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected);
// Same, but null/undefined gives nullptr.
float* F32ArgOrNull(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected);
// Int32Array argument i with exactly `expected` elements.
const int32_t* I32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected);
// Same, but null/undefined gives nullptr.
const int32_t* I32ArgOrNull(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected);
// An activation tensor argument: a Float32Array (float32) or a Uint16Array (bfloat16: the upper
// halves of float32 values), with exactly `expected` elements.
struct ActTensor {
  void* data;
  bool bf16;
};
ActTensor F32OrBf16Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected);
// Uint16Array argument i with exactly `expected` elements.
uint16_t* U16Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected);
// Int8Array argument i with exactly `expected` elements.
int8_t* I8Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected);
// Integer number argument i, required to be in [min, max].
int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max);
double NumArg(const Napi::CallbackInfo& info, size_t i, const char* name);

// Below this many elements an OpenMP fork costs more than it saves.
constexpr int64_t kParallelMin = 1 << 14;

// The bfloat16 bits of float32 bits b: nearest, ties to even; a NaN stays a (quiet) NaN.
// src/backend/bf16.ts bf16Bits is the reference. Branch-free, so loops over it vectorize.
inline uint16_t Bf16Bits(uint32_t b) {
  const bool nan = (b & 0x7fffffffu) > 0x7f800000u;
  return nan ? static_cast<uint16_t>((b >> 16) | 0x40u) : static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}
inline uint16_t Bf16Bits(float f) {
  uint32_t b;
  __builtin_memcpy(&b, &f, 4);
  return Bf16Bits(b);
}

}  // namespace cmv3
