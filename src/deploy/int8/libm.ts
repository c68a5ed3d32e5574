// The float math functions the TFLite WASM build calls when it fills lookup tables, ported
// from musl (emscripten links musl's libm into the .wasm; no Math.* import is used). A LUT
// entry flips when the true value sits near a rounding boundary, so "close to expf" is not
// enough: these reproduce musl's float results exactly. wasm has no FMA contraction and
// double_t/float_t are plain double/float there, so JS doubles + Math.fround match.
//
// - expf: musl src/math/expf.c + exp2f_data.c (ARM optimized-routines, musl >= 1.1.20).
// - expm1f, tanhf: musl src/math/expm1f.c, tanhf.c (FreeBSD-derived float code).

const f32 = Math.fround;
const buf = new DataView(new ArrayBuffer(8));

function bitsOfFloat(x: number): number {
  buf.setFloat32(0, x);
  return buf.getUint32(0);
}

function floatOfBits(u: number): number {
  buf.setUint32(0, u >>> 0);
  return buf.getFloat32(0);
}

// exp2f_data.c: tab[i] = bits(2^(i/32)) - (i << 47), as [high word, low word].
const TAB: ReadonlyArray<readonly [number, number]> = [
  [0x3ff00000, 0x00000000], [0x3fefd9b0, 0xd3158574], [0x3fefb558, 0x6cf9890f], [0x3fef9301, 0xd0125b51],
  [0x3fef72b8, 0x3c7d517b], [0x3fef5487, 0x3168b9aa], [0x3fef387a, 0x6e756238], [0x3fef1e9d, 0xf51fdee1],
  [0x3fef06fe, 0x0a31b715], [0x3feef1a7, 0x373aa9cb], [0x3feedea6, 0x4c123422], [0x3feece08, 0x6061892d],
  [0x3feebfda, 0xd5362a27], [0x3feeb42b, 0x569d4f82], [0x3feeab07, 0xdd485429], [0x3feea47e, 0xb03a5585],
  [0x3feea09e, 0x667f3bcd], [0x3fee9f75, 0xe8ec5f74], [0x3feea114, 0x73eb0187], [0x3feea589, 0x994cce13],
  [0x3feeace5, 0x422aa0db], [0x3feeb737, 0xb0cdc5e5], [0x3feec491, 0x82a3f090], [0x3feed503, 0xb23e255d],
  [0x3feee89f, 0x995ad3ad], [0x3feeff76, 0xf2fb5e47], [0x3fef199b, 0xdd85529c], [0x3fef3720, 0xdcef9069],
  [0x3fef5818, 0xdcfba487], [0x3fef7c97, 0x337b9b5f], [0x3fefa4af, 0xa2a490da], [0x3fefd076, 0x5b6e4540],
];
const N = 32;
const INV_LN2_N = 1.4426950408889634 * N; // 0x1.71547652b82fep+0 * N
const SHIFT = 6755399441055744; // 0x1.8p+52
const C0 = 0.05550361559341535 / N / N / N; // 0x1.c6af84b912394p-5
const C1 = 0.2402284522445722 / N / N; // 0x1.ebfce50fac4f3p-3
const C2 = 0.6931471806916203 / N; // 0x1.62e42ff0c52d6p-1

/** musl expf. */
export function expf(xIn: number): number {
  const x = f32(xIn);
  const abstop = (bitsOfFloat(x) >>> 20) & 0x7ff;
  if (abstop >= 0x42b) {
    // |x| >= 88 or nan
    if (x === -Infinity) return 0;
    if (abstop >= 0x7f8) return x + x;
    if (x > 88.72283172607422) return Infinity; // 0x1.62e42ep6f
    if (x < -103.97207641601562) return 0; // -0x1.9fe368p6f
  }
  const z = INV_LN2_N * x;
  // kd = z + SHIFT rounds z to an integer (ties to even) in the low mantissa bits.
  let kd = z + SHIFT;
  buf.setFloat64(0, kd);
  const ki = buf.getUint32(4); // low word: k mod 2^32 (two's complement)
  kd -= SHIFT;
  const r = z - kd;
  // t = T[ki % N] + (ki << 47) mod 2^64: ki << 47 has a zero low word, so only the high word
  // changes, by k * 2^15 (k = the low word read as int32; the table already took i << 47 off).
  const [th, tl] = TAB[ki & (N - 1)];
  const hiAdd = (ki | 0) * 32768;
  buf.setUint32(0, (th + hiAdd) >>> 0);
  buf.setUint32(4, tl);
  const s = buf.getFloat64(0);
  const zz = C0 * r + C1;
  const r2 = r * r;
  let y = C2 * r + 1;
  y = zz * r2 + y;
  y = y * s;
  return f32(y);
}

const LN2_HI = f32(6.9313812256e-1);
const LN2_LO = f32(9.0580006145e-6);
const INV_LN2 = f32(1.4426950216);
const Q1 = f32(-3.3333212137e-2);
const Q2 = f32(1.5807170421e-3);

/** musl expm1f (float_t = float). */
export function expm1f(xIn: number): number {
  let x = f32(xIn);
  const u = bitsOfFloat(x);
  const hx = u & 0x7fffffff;
  const sign = u >>> 31;
  if (hx >= 0x4195b844) {
    if (hx > 0x7f800000) return x;
    if (sign) return -1;
    if (hx > 0x42b17217) return Infinity;
  }
  let k: number;
  let c = 0;
  if (hx > 0x3eb17218) {
    let hi: number;
    let lo: number;
    if (hx < 0x3f851592) {
      if (!sign) {
        hi = f32(x - LN2_HI);
        lo = LN2_LO;
        k = 1;
      } else {
        hi = f32(x + LN2_HI);
        lo = -LN2_LO;
        k = -1;
      }
    } else {
      k = Math.trunc(f32(f32(INV_LN2 * x) + (sign ? -0.5 : 0.5)));
      const t = k;
      hi = f32(x - f32(t * LN2_HI));
      lo = f32(t * LN2_LO);
    }
    x = f32(hi - lo);
    c = f32(f32(hi - x) - lo);
  } else if (hx < 0x33000000) {
    return x;
  } else k = 0;
  const hfx = f32(0.5 * x);
  const hxs = f32(x * hfx);
  const r1 = f32(1 + f32(hxs * f32(Q1 + f32(hxs * Q2))));
  const t = f32(3 - f32(r1 * hfx));
  let e = f32(hxs * f32(f32(r1 - t) / f32(6 - f32(x * t))));
  if (k === 0) return f32(x - f32(f32(x * e) - hxs));
  e = f32(f32(x * f32(e - c)) - c);
  e = f32(e - hxs);
  if (k === -1) return f32(f32(0.5 * f32(x - e)) - 0.5);
  if (k === 1) {
    if (x < -0.25) return f32(-2 * f32(e - f32(x + 0.5)));
    return f32(1 + f32(2 * f32(x - e)));
  }
  const twopk = floatOfBits((0x7f + k) << 23);
  if (k < 0 || k > 56) {
    let y = f32(f32(x - e) + 1);
    y = k === 128 ? f32(f32(y * 2) * 1.7014118346046923e38) : f32(y * twopk);
    return f32(y - 1);
  }
  const uf = floatOfBits((0x7f - k) << 23);
  if (k < 23) return f32(f32(f32(x - e) + f32(1 - uf)) * twopk);
  return f32(f32(f32(x - f32(e + uf)) + 1) * twopk);
}

/** musl tanhf (current musl; the 2012 version differs). */
export function tanhf(xIn: number): number {
  const u = bitsOfFloat(f32(xIn));
  const sign = u >>> 31;
  const w = u & 0x7fffffff;
  const x = floatOfBits(w);
  let t: number;
  if (w > 0x3f0c9f54) {
    if (w > 0x41200000) t = 1;
    else {
      t = expm1f(f32(2 * x));
      t = f32(1 - f32(2 / f32(t + 2)));
    }
  } else if (w > 0x3e82c578) {
    t = expm1f(f32(2 * x));
    t = f32(t / f32(t + 2));
  } else if (w >= 0x00800000) {
    t = expm1f(f32(-2 * x));
    t = f32(-t / f32(t + 2));
  } else t = x;
  return sign ? -t : t;
}
