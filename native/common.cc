// Argument access, NativeError plumbing and the thread-count setting.
#include "common.h"

#include <omp.h>
#include <xmmintrin.h>

#include <atomic>
#include <new>
#include <stdexcept>

#include "oneapi/dnnl/dnnl.hpp"
#include "ops.h"

namespace cmv3 {
namespace {

// Per-env (main thread and each worker) reference to the JS NativeError class.
struct ErrorClass {
  Napi::FunctionReference ctor;
};

std::atomic<int> g_threads{2};

std::string ArgError(const char* name, const char* what) {
  return std::string("Expected ") + what + " for " + name;
}

}  // namespace

const char* DnnlStatusCode(int status) {
  switch (status) {
    case dnnl_unimplemented: return "ERR_DNNL_UNIMPLEMENTED";
    case dnnl_invalid_arguments: return "ERR_DNNL_INVALID_ARGUMENTS";
    case dnnl_out_of_memory: return "ERR_DNNL_OUT_OF_MEMORY";
    default: return "ERR_DNNL";
  }
}

void ThrowNative(Napi::Env env, const char* code, const std::string& message) {
  ErrorClass* cls = env.GetInstanceData<ErrorClass>();
  Napi::Object err = (cls != nullptr && !cls->ctor.IsEmpty())
                         ? cls->ctor.New({Napi::String::New(env, message)})
                         : Napi::Error::New(env, message).Value();
  err.Set("code", Napi::String::New(env, code));
  throw Napi::Error(env, err);
}

void RethrowAsNative(Napi::Env env) {
  try {
    throw;
  } catch (const dnnl::error& e) {
    ThrowNative(env, DnnlStatusCode(e.status), e.what());
  } catch (const std::bad_alloc&) {
    ThrowNative(env, "ERR_NO_MEMORY", "out of memory");
  } catch (const std::exception& e) {
    ThrowNative(env, "ERR_NATIVE", e.what());
  } catch (...) {
    ThrowNative(env, "ERR_NATIVE", "unknown native exception");
  }
}

int Threads() { return g_threads.load(std::memory_order_relaxed); }

static Napi::TypedArray TypedArg(const Napi::CallbackInfo& info, size_t i, const char* name,
                                 napi_typedarray_type type, const char* type_name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    ThrowNative(info.Env(), "ERR_ARG", ArgError(name, type_name));
  }
  return v.As<Napi::TypedArray>();
}

static void CheckLength(const Napi::CallbackInfo& info, const char* name, size_t got, int64_t expected) {
  if (expected < 0 || got != static_cast<size_t>(expected)) {
    ThrowNative(info.Env(), "ERR_SHAPE",
                "Expected length " + std::to_string(expected) + " for " + name + " but received " +
                    std::to_string(got));
  }
}

float* F32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected) {
  auto a = TypedArg(info, i, name, napi_float32_array, "a Float32Array").As<Napi::Float32Array>();
  CheckLength(info, name, a.ElementLength(), expected);
  return a.Data();
}

float* F32ArgOrNull(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return F32Arg(info, i, name, expected);
}

const int32_t* I32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected) {
  auto a = TypedArg(info, i, name, napi_int32_array, "an Int32Array").As<Napi::Int32Array>();
  CheckLength(info, name, a.ElementLength(), expected);
  return a.Data();
}

const int32_t* I32ArgOrNull(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return I32Arg(info, i, name, expected);
}

uint16_t* U16Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected) {
  auto a = TypedArg(info, i, name, napi_uint16_array, "a Uint16Array").As<Napi::Uint16Array>();
  CheckLength(info, name, a.ElementLength(), expected);
  return a.Data();
}

ActTensor F32OrBf16Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected) {
  Napi::Value v = info[i];
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array) {
    return {U16Arg(info, i, name, expected), true};
  }
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    ThrowNative(info.Env(), "ERR_ARG", ArgError(name, "a Float32Array or a Uint16Array (bfloat16)"));
  }
  return {F32Arg(info, i, name, expected), false};
}

int8_t* I8Arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t expected) {
  auto a = TypedArg(info, i, name, napi_int8_array, "an Int8Array").As<Napi::TypedArrayOf<int8_t>>();
  CheckLength(info, name, a.ElementLength(), expected);
  return a.Data();
}

int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  double d = NumArg(info, i, name);
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != static_cast<double>(static_cast<int64_t>(d))) {
    ThrowNative(info.Env(), "ERR_ARG",
                ArgError(name, ("an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]").c_str()));
  }
  return static_cast<int64_t>(d);
}

double NumArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) ThrowNative(info.Env(), "ERR_ARG", ArgError(name, "a number"));
  return info[i].As<Napi::Number>().DoubleValue();
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) ThrowNative(info.Env(), "ERR_ARG", ArgError("cls", "a class"));
  ErrorClass* cls = info.Env().GetInstanceData<ErrorClass>();
  if (cls == nullptr) {
    cls = new ErrorClass();
    info.Env().SetInstanceData(cls);  // freed by node-addon-api when the env goes away
  }
  cls->ctor = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// Denormal floats (below 1.2e-38) take a slow microcode path on x86, tens of times slower
// per operation, and a long training run can produce them (vanishing gradients, saturated SE
// gates). Like TensorFlow,
// flush them to zero (FTZ) and treat denormal inputs as zero (DAZ) in every thread that runs
// our kernels or oneDNN's: the main thread and the OpenMP pool (MXCSR is per thread).
static bool g_flush_denormals = true;

void ApplyDenormalMode() {
  auto apply = [] {
    unsigned csr = _mm_getcsr();
    _mm_setcsr(g_flush_denormals ? (csr | 0x8040u) : (csr & ~0x8040u));
  };
  apply();
#pragma omp parallel num_threads(Threads())
  apply();
}

Napi::Value SetFlushDenormals(const Napi::CallbackInfo& info) {
  if (!info[0].IsBoolean()) ThrowNative(info.Env(), "ERR_ARG", ArgError("on", "true or false"));
  g_flush_denormals = info[0].As<Napi::Boolean>().Value();
  ApplyDenormalMode();
  return info.Env().Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int n = static_cast<int>(IntArg(info, 0, "n", 1, 1024));
  if (n != g_threads.exchange(n)) {
    // oneDNN kernels balance work for the thread count seen at creation time.
    ClearConvCache();
  }
  omp_set_num_threads(n);
  ApplyDenormalMode();  // a larger team has new threads with the default MXCSR
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Threads());
}

}  // namespace cmv3
