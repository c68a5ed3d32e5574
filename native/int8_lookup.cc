// The int8 engine's table lookups: a 256-entry table per element (LUT activations, hard-swish,
// the Mish lookup chains) and a 65,536-entry table per pair of elements (ADD and MUL with their
// Prepare's parameters fixed). The fast path of lookupInt8 (src/deploy/int8/activations.ts) and
// lookupPairs (elementwise.ts), which stay the reference (test 57); one load per element, where
// V8's typed-array loop took about 4 ns.
#include <cstdint>

#include "common.h"
#include "ops.h"

namespace cmv3 {

// (table Int8Array(256), x, y, n): y[i] = table[x[i] & 255].
Napi::Value Int8Lookup(const Napi::CallbackInfo& info) {
  const int64_t n = IntArg(info, 3, "n", 0, INT32_MAX);
  const int8_t* table = I8Arg(info, 0, "table", 256);
  const int8_t* __restrict x = I8Arg(info, 1, "x", n);
  int8_t* __restrict y = I8Arg(info, 2, "y", n);
  for (int64_t i = 0; i < n; ++i) y[i] = table[static_cast<uint8_t>(x[i])];
  return info.Env().Undefined();
}

// (table Int8Array(65536), a, b, idxA | null, idxB | null, y, lengths Int32Array [na, nb, n]):
// y[i] = table[a[ia] << 8 | b[ib]] with ia = idxA ? idxA[i] : i, likewise ib (broadcasting).
Napi::Value Int8PairLookup(const Napi::CallbackInfo& info) {
  const int32_t* len = I32Arg(info, 6, "lengths", 3);
  const int64_t na = len[0], nb = len[1], n = len[2];
  if (na < 0 || nb < 0 || n < 0) ThrowNative(info.Env(), "ERR_ARG", "Expected non-negative lengths");
  const int8_t* table = I8Arg(info, 0, "table", 65536);
  const int8_t* a = I8Arg(info, 1, "a", na);
  const int8_t* b = I8Arg(info, 2, "b", nb);
  const int32_t* ia = I32ArgOrNull(info, 3, "idxA", n);
  const int32_t* ib = I32ArgOrNull(info, 4, "idxB", n);
  int8_t* y = I8Arg(info, 5, "y", n);
  if ((!ia && na != n) || (!ib && nb != n)) ThrowNative(info.Env(), "ERR_SHAPE", "Expected an index map for an input shorter than the output");
  // The maps come from JavaScript: every index is checked before anything is read.
  for (int64_t i = 0; i < n; ++i) {
    if ((ia && (ia[i] < 0 || ia[i] >= na)) || (ib && (ib[i] < 0 || ib[i] >= nb))) {
      ThrowNative(info.Env(), "ERR_ARG", "Expected broadcast indexes inside the inputs");
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t u = static_cast<uint8_t>(a[ia ? ia[i] : i]), v = static_cast<uint8_t>(b[ib ? ib[i] : i]);
    y[i] = table[(u << 8) | v];
  }
  return info.Env().Undefined();
}

}  // namespace cmv3
