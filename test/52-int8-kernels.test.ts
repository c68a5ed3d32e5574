// int8 kernels with TFLite's integer semantics. Three kinds of checks:
// 1. fixed-point helpers against BigInt ground truth (random + edge inputs);
// 2. each kernel against a slow, separately written integer/BigInt version in this file;
// 3. anchors to real TFLite: TFLite's own kernel test (activations_test.cc Softmax4DInt8), and
//    FNV-1a hashes of outputs that @tensorflow/tfjs-tflite@0.0.1-alpha.10's WASM TFLite produced
//    for fixed models and inputs (measured once; the generator was a scratch script that wrote
//    single-op .tflite files and ran them through TFLiteWebModelRunner).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as K from '../src/deploy/int8/kernels.js';
import { expf, tanhf } from '../src/deploy/int8/libm.js';

const f32 = Math.fround;
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s);
}
function int8s(n: number, seed: number): Int8Array {
  const r = lcg(seed), a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = ((r() >>> 16) & 0xff) - 128;
  return a;
}
function fnv(a: Int8Array): string {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
const rnd = lcg(12345);
const randInt32 = () => (rnd() ^ (rnd() << 16)) | 0;

// ------------------------------------------------------------------ BigInt ground truth
const B = BigInt;
function srdhmBig(a: number, b: number): number {
  if (a === K.INT32_MIN && b === K.INT32_MIN) return K.INT32_MAX;
  const ab = B(a) * B(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates, as C++
}
/** x / 2^e rounded to nearest, ties away from zero (the documented RoundingDivideByPOT). */
function rdbpotBig(x: number, e: number): number {
  const d = 1n << B(e), X = B(x), q = X / d, r = X % d; // trunc
  if (2n * (r < 0n ? -r : r) >= d && r !== 0n) return Number(q + (X < 0n ? -1n : 1n));
  return Number(q);
}
function mbqmBig(x: number, m: number, shift: number): number {
  const xs = shift > 0 ? Number(BigInt.asIntN(32, B(x) << B(shift))) : x;
  return rdbpotBig(srdhmBig(xs, m), shift > 0 ? 0 : -shift);
}
const singleBig = (x: number, m: number, shift: number) => {
  const t = B(31 - shift);
  return Number((B(x) * B(m) + (1n << (t - 1n))) >> t);
};
const EDGE = [K.INT32_MIN, K.INT32_MIN + 1, K.INT32_MAX, K.INT32_MAX - 1, 0, 1, -1, 2, -2, 1 << 30, -(1 << 30), 46341, -46341, 1 << 15, -(1 << 15), 65535, -65536];

test('SaturatingRoundingDoublingHighMul equals BigInt on edges, ties and random values', () => {
  const vals = [...EDGE];
  for (let i = 0; i < 300; i++) vals.push(randInt32(), randInt32() >> (rnd() % 31));
  for (const a of vals) for (const b of [...EDGE.slice(0, 12), randInt32(), randInt32() >> 8]) assert.equal(K.saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `${a} * ${b}`);
  // exact half-way products: a*b = +-2^30 (mod 2^31)
  for (const [a, b] of [[1 << 15, 1 << 15], [-(1 << 15), 1 << 15], [3 << 15, 1 << 15], [-(3 << 15), 1 << 15], [1 << 30, 1], [-(1 << 30), 1]])
    assert.equal(K.saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `tie ${a} * ${b}`);
  assert.equal(K.saturatingRoundingDoublingHighMul(K.INT32_MIN, K.INT32_MIN), K.INT32_MAX);
});

test('RoundingDivideByPOT rounds to nearest, ties away from zero, for exponents 0..31', () => {
  for (let e = 0; e <= 31; e++) {
    const xs = [...EDGE];
    for (let i = 0; i < 60; i++) xs.push(randInt32());
    if (e > 0 && e < 31) for (const k of [1, 3, -1, -3, 5, -5]) xs.push(k * 2 ** (e - 1)); // exact .5 ties
    for (const x of xs) if (x >= K.INT32_MIN && x <= K.INT32_MAX) assert.equal(K.roundingDivideByPOT(x, e), rdbpotBig(x, e), `${x} >> ${e}`);
  }
  assert.equal(K.roundingDivideByPOT(-3, 1), -2);
  assert.equal(K.roundingDivideByPOT(3, 1), 2);
  assert.equal(K.roundingDivideByPOT(-5, 2), -1);
});

test('MultiplyByQuantizedMultiplier (double rounding) and ruy single rounding equal BigInt', () => {
  const mults = [1 << 30, K.INT32_MAX, 1518500250, 1073741825, 2147483000];
  for (let i = 0; i < 20; i++) mults.push((1 << 30) + (rnd() % (1 << 30)));
  for (let shift = -31; shift <= 30; shift++) {
    for (const m of mults) {
      for (const x of [...EDGE, randInt32(), randInt32() >> 10, rnd() % 100000 - 50000]) {
        if (shift > 0 && shift < 8) assert.equal(K.multiplyByQuantizedMultiplier(x, m, shift), mbqmBig(x, m, shift), `x=${x} m=${m} s=${shift}`);
        if (shift <= 0) {
          assert.equal(K.multiplyByQuantizedMultiplier(x, m, shift), mbqmBig(x, m, shift), `x=${x} m=${m} s=${shift}`);
          assert.equal(K.multiplyByQuantizedMultiplierSmallerThanOneExp(x, m, shift), mbqmBig(x, m, shift));
        }
        if (shift <= 7) {
          const want = singleBig(x, m, shift);
          if (want >= K.INT32_MIN && want <= K.INT32_MAX) assert.equal(K.multiplyByQuantizedMultiplierSingleRounding(x, m, shift), want, `single x=${x} m=${m} s=${shift}`);
        }
      }
    }
  }
  // The two roundings really differ: a negative exact tie, and a double-rounding case.
  assert.equal(K.multiplyByQuantizedMultiplier(-3, 1 << 30, -1), -1); // -0.75 -> SRDHM -2 (ties up) -> -1
  assert.equal(K.multiplyByQuantizedMultiplierSingleRounding(-3, 1 << 30, -1), -1);
  assert.equal(K.multiplyByQuantizedMultiplier(-1, 1 << 30, -1), 0); // -0.25
  assert.equal(K.multiplyByQuantizedMultiplier(-2, 1 << 30, -1), -1); // -0.5: away from zero
  assert.equal(K.multiplyByQuantizedMultiplierSingleRounding(-2, 1 << 30, -1), 0); // -0.5: up
});

test('QuantizeMultiplier: frexp, round, the 2^31 edge, flush below 2^-31', () => {
  assert.deepEqual(K.quantizeMultiplier(0), { multiplier: 0, shift: 0 });
  assert.deepEqual(K.quantizeMultiplier(0.5), { multiplier: 1 << 30, shift: 0 });
  assert.deepEqual(K.quantizeMultiplier(1), { multiplier: 1 << 30, shift: 1 });
  assert.deepEqual(K.quantizeMultiplier(0.75), { multiplier: 1610612736, shift: 0 });
  assert.deepEqual(K.quantizeMultiplier(0.1), { multiplier: 1717986918, shift: -3 }); // 0.8 * 2^31 = ...918.4
  assert.deepEqual(K.quantizeMultiplier(1 - 2 ** -40), { multiplier: 1 << 30, shift: 1 }); // rounds to 2^31
  assert.deepEqual(K.quantizeMultiplier(2 ** -31), { multiplier: 1 << 30, shift: -30 });
  assert.deepEqual(K.quantizeMultiplier(2 ** -32), { multiplier: 1 << 30, shift: -31 });
  assert.deepEqual(K.quantizeMultiplier(2 ** -33), { multiplier: 0, shift: 0 }); // shift -32 flushed
  assert.deepEqual(K.quantizeMultiplier(3e-12), { multiplier: 0, shift: 0 });
  // Random reals against an exact BigInt frexp/round.
  const dv = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 500; i++) {
    const real = Math.exp((rnd() / 2 ** 32) * 30 - 20);
    dv.setFloat64(0, real);
    const bits = dv.getBigUint64(0), e = Number((bits >> 52n) & 0x7ffn) - 1022;
    const mant = (bits & ((1n << 52n) - 1n)) | (1n << 52n); // real = mant * 2^(e - 53)
    let q = (mant + (1n << 21n)) >> 22n; // round(mant / 2^22), ties up (= away: positive)
    let shift = e;
    if (q === 1n << 31n) (q = 1n << 30n), shift++;
    assert.deepEqual(K.quantizeMultiplier(real), shift < -31 ? { multiplier: 0, shift: 0 } : { multiplier: Number(q), shift }, `${real}`);
  }
});

test('activation ranges: TFLite rounds ties away, XNNPACK rounds (v / s + zp) to even', () => {
  assert.deepEqual(K.calculateActivationRangeQuantized('RELU6', 4, 1), { min: 1, max: 3 }); // 1 + round(1.5)
  assert.deepEqual(K.xnnpackActivationRange('RELU6', 4, 1), { min: 1, max: 2 }); // lrintf(2.5)
  assert.deepEqual(K.calculateActivationRangeQuantized('RELU', 0.1, -128), { min: -128, max: 127 });
  assert.deepEqual(K.calculateActivationRangeQuantized('NONE', 0.1, 5), { min: -128, max: 127 });
  assert.deepEqual(K.calculateActivationRangeQuantized('RELU6', 0.01, 0), { min: 0, max: 127 });
});

test('musl expf/tanhf ports stay within an ulp of the true functions', () => {
  for (let i = 0; i < 2000; i++) {
    const x = f32(((rnd() / 2 ** 32) - 0.5) * 40);
    const e = expf(x), t = tanhf(x);
    assert.ok(Math.abs(e - Math.exp(x)) <= Math.abs(Math.exp(x)) * 2 ** -23, `expf(${x})`);
    assert.ok(Math.abs(t - Math.tanh(x)) <= 2 ** -23, `tanhf(${x})`);
    assert.equal(e, f32(e));
  }
  assert.equal(expf(0), 1);
  assert.equal(tanhf(0), 0);
});

// ------------------------------------------------------------------ kernels vs slow versions
function slowConv(dw: boolean, x: Int8Array, w: Int8Array, bias: Int32Array, g: K.ConvGeometry, zi: number, req: (acc: number, c: number) => number): Int8Array {
  // Explicitly padded input filled with the zero point, so padding contributes (zp - zp) = 0.
  const ph = K.computePadding(g.inH, g.kH, g.stride, g.padding), pw = K.computePadding(g.inW, g.kW, g.stride, g.padding);
  const PH = (ph.out - 1) * g.stride + g.kH, PW = (pw.out - 1) * g.stride + g.kW;
  const padded = new Int32Array(PH * PW * g.inC).fill(zi);
  for (let y = 0; y < g.inH; y++) for (let xx = 0; xx < g.inW; xx++) for (let c = 0; c < g.inC; c++) {
    const py = y + ph.before, px = xx + pw.before;
    if (py < PH && px < PW) padded[(py * PW + px) * g.inC + c] = x[(y * g.inW + xx) * g.inC + c];
  }
  const out = new Int8Array(ph.out * pw.out * g.outC), m = g.outC / g.inC;
  for (let oy = 0; oy < ph.out; oy++) for (let ox = 0; ox < pw.out; ox++) for (let c = 0; c < g.outC; c++) {
    let acc = bias[c];
    for (let ky = 0; ky < g.kH; ky++) for (let kx = 0; kx < g.kW; kx++) {
      const base = ((oy * g.stride + ky) * PW + ox * g.stride + kx) * g.inC;
      if (dw) acc += w[(ky * g.kW + kx) * g.outC + c] * (padded[base + Math.floor(c / m)] - zi);
      else for (let ic = 0; ic < g.inC; ic++) acc += w[((c * g.kH + ky) * g.kW + kx) * g.inC + ic] * (padded[base + ic] - zi);
    }
    out[(oy * pw.out + ox) * g.outC + c] = req(acc, c);
  }
  return out;
}

test('conv2d and depthwise (SAME/VALID, strides, multiplier) equal a padded-tensor BigInt version', () => {
  for (let trial = 0; trial < 24; trial++) {
    const dw = trial % 2 === 1, r = lcg(trial + 1), ri = (a: number, b: number) => a + (r() % (b - a + 1));
    const inC = ri(1, 5), m = dw ? ri(1, 3) : 1, outC = dw ? inC * m : ri(1, 6), k = [1, 3, 5][ri(0, 2)];
    const g: K.ConvGeometry = { batch: 1, inH: ri(k, 9), inW: ri(k, 9), inC, outC, kH: k, kW: k, stride: ri(1, 2), padding: ri(0, 1) ? 'SAME' : 'VALID' };
    const act = (['NONE', 'RELU', 'RELU6'] as const)[ri(0, 2)];
    const inQ = { scale: 0.004 + (r() % 1000) / 1e5, zeroPoint: ri(-128, 127) }, outQ = { scale: 0.02 + (r() % 1000) / 1e4, zeroPoint: ri(-128, 127) };
    const ws = Array.from({ length: outC }, () => 0.001 + (r() % 1000) / 2e4);
    const x = int8s(g.inH * g.inW * inC, trial), w = int8s(dw ? k * k * outC : outC * k * k * inC, trial + 99);
    const bias = new Int32Array(outC).map(() => ri(-30000, 30000));
    for (const runtime of ['reference', 'builtin', 'xnnpack'] as const) {
      const pp = (dw ? K.prepareDepthwiseConv2d : K.prepareConv2d)(g, { input: inQ, output: outQ, weightScales: ws, act, runtime });
      const got = new Int8Array(pp.g.outH * pp.g.outW * outC);
      (dw ? K.depthwiseConv2d : K.conv2d)(pp, x, w, bias, got);
      const want = slowConv(dw, x, w, bias, g, inQ.zeroPoint, (acc, c) => {
        const q = K.quantizeMultiplier((f32(inQ.scale) * f32(ws[c])) / f32(outQ.scale));
        const v = runtime === 'xnnpack' ? K.roundHalfEven(f32(f32(acc) * f32(f32(f32(inQ.scale) * f32(ws[c])) / f32(outQ.scale))))
          : runtime === 'builtin' && !dw ? singleBig(acc, q.multiplier, q.shift) : mbqmBig(acc, q.multiplier, q.shift);
        return Math.min(pp.actMax, Math.max(pp.actMin, v + outQ.zeroPoint));
      });
      assert.deepEqual(got, want, `${runtime} trial ${trial}`);
    }
  }
});

test('add/mul int8 (TFLite and XNNPACK arithmetic, broadcast) equal BigInt versions', () => {
  const shapes: [number[], number[]][] = [[[1, 3, 4, 5], [1, 3, 4, 5]], [[1, 3, 4, 5], [1, 1, 1, 5]], [[1, 1, 1, 5], [1, 3, 4, 5]]];
  for (let t = 0; t < 12; t++) {
    const [sa, sb] = shapes[t % 3], r = lcg(t + 7), ri = (a: number, b: number) => a + (r() % (b - a + 1));
    const qa = { scale: 0.01 + (r() % 1000) / 5e3, zeroPoint: ri(-128, 127) }, qb = { scale: 0.01 + (r() % 1000) / 5e3, zeroPoint: ri(-128, 127) };
    const qo = { scale: 0.03 + (r() % 1000) / 4e3, zeroPoint: ri(-128, 127) };
    const a = int8s(sa.reduce((p, d) => p * d, 1), t), b = int8s(sb.reduce((p, d) => p * d, 1), t + 50);
    const at = (arr: Int8Array, s: number[], i: number) => { // explicit 4-D broadcast indexing
      const n = i % 5, xw = Math.floor(i / 5) % 4, h = Math.floor(i / 20);
      return arr[((s[1] === 1 ? 0 : h) * s[2] + (s[2] === 1 ? 0 : xw)) * s[3] + n];
    };
    for (const runtime of ['builtin', 'xnnpack'] as const) {
      const P = { a: qa, b: qb, output: qo, act: 'NONE' as const, runtime };
      const add = K.prepareAdd(sa, sb, P), mul = K.prepareMul(sa, sb, P);
      const gotA = new Int8Array(60), gotM = new Int8Array(60);
      K.addInt8(add, a, b, gotA);
      K.mulInt8(mul, a, b, gotM);
      for (let i = 0; i < 60; i++) {
        const va = at(a, sa, i), vb = at(b, sb, i);
        let s: number;
        if (runtime === 'builtin') {
          const y1 = mbqmBig((va - qa.zeroPoint) * 2 ** 20, add.m1, add.s1), y2 = mbqmBig((vb - qb.zeroPoint) * 2 ** 20, add.m2, add.s2);
          s = mbqmBig(y1 + y2, add.mo, add.so);
        } else s = Number((B(va) * B(add.xa) + B(vb) * B(add.xb) - B(add.xa * qa.zeroPoint + add.xb * qb.zeroPoint) + (1n << B(add.xshift - 1))) >> B(add.xshift));
        assert.equal(gotA[i], Math.max(-128, Math.min(127, s + qo.zeroPoint)), `add ${runtime} ${t}:${i}`);
        const prod = (va - qa.zeroPoint) * (vb - qb.zeroPoint);
        const m = runtime === 'builtin' ? mbqmBig(prod, mul.mult, mul.shift) : K.roundHalfEven(f32(prod * mul.fscale));
        assert.equal(gotM[i], Math.max(-128, Math.min(127, m + qo.zeroPoint)), `mul ${runtime} ${t}:${i}`);
      }
    }
  }
  const o = new Int32Array(6);
  const pp = K.prepareAddInt32([2, 3], [3]);
  assert.deepEqual(pp.outShape, [2, 3]);
  K.addInt32(pp, new Int32Array([1, 2, 3, 4, 5, 6]), new Int32Array([10, 20, K.INT32_MAX]), o);
  assert.deepEqual(Array.from(o), [11, 22, K.INT32_MIN + 2, 14, 25, K.INT32_MIN + 5]);
});

test('average pool: in-bounds filter_count, ties away from zero', () => {
  const shape = { batch: 1, inH: 5, inW: 4, channels: 3 };
  for (const [pad, f, s] of [['SAME', 3, 2], ['VALID', 2, 2], ['SAME', 2, 1], ['VALID', 4, 1]] as const) {
    const pp = K.prepareAvgPool(shape, f, s, pad, { scale: 0.1, zeroPoint: 0 });
    const x = int8s(60, f * 10 + s), got = new Int8Array(pp.outH * pp.outW * 3);
    K.avgPoolInt8(pp, x, got);
    for (let oy = 0; oy < pp.outH; oy++) for (let ox = 0; ox < pp.outW; ox++) for (let c = 0; c < 3; c++) {
      let sum = 0, n = 0;
      for (let y = oy * s - pp.padT; y < oy * s - pp.padT + f; y++) for (let xx = ox * s - pp.padL; xx < ox * s - pp.padL + f; xx++)
        if (y >= 0 && y < 5 && xx >= 0 && xx < 4) (sum += x[(y * 4 + xx) * 3 + c]), n++;
      assert.equal(got[(oy * pp.outW + ox) * 3 + c], K.roundHalfAway(sum / n), `${pad} ${f} ${s}`);
    }
  }
  const pp = K.prepareAvgPool({ batch: 1, inH: 2, inW: 2, channels: 1 }, 2, 2, 'VALID', { scale: 1, zeroPoint: 0 });
  const o = new Int8Array(1);
  K.avgPoolInt8(pp, new Int8Array([-2, -1, -1, -2]), o);
  assert.equal(o[0], -2); // -6 / 4 = -1.5 -> -2
  K.avgPoolInt8(pp, new Int8Array([2, 1, 1, 2]), o);
  assert.equal(o[0], 2);
});

test('hard-swish stays within one step of the float function; LUTs, gather, cast, quantize', () => {
  for (const [si, zi, so, zo] of [[0.05, 3, 0.03, -20], [0.2, -100, 0.1, -128], [0.01, 0, 0.02, 10]]) {
    const x = new Int8Array(256).map((_, i) => i - 128), y = new Int8Array(256);
    K.hardSwishInt8(K.prepareHardSwish({ scale: si, zeroPoint: zi }, { scale: so, zeroPoint: zo }), x, y);
    for (let i = 0; i < 256; i++) {
      const v = si * (x[i] - zi), hs = (v * Math.min(6, Math.max(0, v + 3))) / 6;
      const want = Math.max(-128, Math.min(127, Math.round(hs / so) + zo));
      assert.ok(Math.abs(y[i] - want) <= 1, `hardswish ${si} ${x[i]}: ${y[i]} vs ${want}`);
    }
  }
  const tl = K.tanhTable({ scale: 0.02, zeroPoint: 0 });
  assert.equal(tl[0], 0);
  assert.equal(tl[127], 126); // tanhf(2.54) * 128 = 126.42
  const lg = K.logisticTable({ scale: 0.1, zeroPoint: 0 });
  assert.equal(lg[0], 0); // 0.5 * 256 - 128
  const params = int8s(20, 3), out = new Int8Array(8);
  K.gatherInt8(params, 5, new Int32Array([4, 0]), out);
  assert.deepEqual(Array.from(out), [...params.slice(16, 20), ...params.slice(0, 4)]);
  assert.throws(() => K.gatherInt8(params, 5, new Int32Array([5, 0]), out));
  const c = new Int32Array(3);
  K.castInt8ToInt32(new Int8Array([-128, 0, 127]), c);
  assert.deepEqual(Array.from(c), [-128, 0, 127]);
  const q = new Int8Array(5);
  K.quantizeInt8([0.25, -0.25, 0.75, 100, -100], { scale: 0.5, zeroPoint: 0 }, q);
  assert.deepEqual(Array.from(q), [1, -1, 2, 127, -128]); // std::round: ties away from zero
  K.quantizeInt8([0.25, -0.25, 0.75, 100, -100], { scale: 0.5, zeroPoint: 0 }, q, 'xnnpack');
  assert.deepEqual(Array.from(q), [0, 0, 2, 127, -128]); // lrintf: ties to even
});

// ------------------------------------------------------------------ anchors to real TFLite
test('softmax matches TFLite activations_test.cc QuantizedActivationsOpTest.Softmax4DInt8', () => {
  // Input tensor {min -10, max 10} int8: scale 20/255, zero point round(-128 + 10/scale) = -1
  // (test_util.h GetQuantizationParams); floats quantized with std::round; beta 0.1.
  const scale = f32(20 / 255), zp = -1;
  const x = new Int8Array([0, -6, 2, 4, 3, -2, 10, 1].map((v) => K.roundHalfAway(f32(v / scale)) + zp));
  const y = new Int8Array(8);
  K.softmaxInt8(K.prepareSoftmax({ scale, zeroPoint: zp }, 0.1), x, y, 4);
  assert.deepEqual(Array.from(y), [-68, -95, -54, -38, -70, -93, -12, -81]);
});

test('outputs hash to what tfjs-tflite WASM TFLite computed for the same models', () => {
  const all = new Int8Array(256).map((_, i) => i - 128);
  const A = new Int8Array(65536).map((_, i) => (i >> 8) - 128), Bv = new Int8Array(65536).map((_, i) => (i & 255) - 128);
  const run = (f: (o: Int8Array) => void, n: number) => { const o = new Int8Array(n); f(o); return fnv(o); };
  assert.equal(run((o) => K.hardSwishInt8(K.prepareHardSwish({ scale: 0.05, zeroPoint: 3 }, { scale: 0.03, zeroPoint: -20 }), all, o), 256), '2241a356');
  assert.equal(run((o) => K.lookupInt8(K.tanhTable({ scale: 0.02, zeroPoint: -7 }), all, o), 256), '25d8bc91');
  assert.equal(run((o) => K.lookupInt8(K.logisticTable({ scale: 0.045, zeroPoint: 11 }, undefined, 'xnnpack'), all, o), 256), 'd6599475');
  assert.equal(run((o) => K.softmaxInt8(K.prepareSoftmax({ scale: 0.11, zeroPoint: -9 }, 1), int8s(400, 5), o, 10), 400), '9c5811b2');
  const pool = K.prepareAvgPool({ batch: 1, inH: 7, inW: 6, channels: 5 }, 3, 2, 'SAME', { scale: 0.05, zeroPoint: 4 });
  assert.equal(run((o) => K.avgPoolInt8(pool, int8s(210, 9), o), 60), 'bd04ce23');
  const bin = (sa: number, za: number, sb: number, zb: number, so: number, zo: number) =>
    ({ a: { scale: sa, zeroPoint: za }, b: { scale: sb, zeroPoint: zb }, output: { scale: so, zeroPoint: zo }, act: 'NONE' as const, runtime: 'xnnpack' as const });
  // Power-of-two scales make exact ties: TFLite's builtin ADD rounds them away from zero.
  assert.equal(run((o) => K.addInt8(K.prepareAdd([65536], [65536], bin(1 / 16, 3, 1 / 32, -7, 1 / 8, 1)), A, Bv, o), 65536), 'fc09acc5');
  assert.equal(run((o) => K.addInt8(K.prepareAdd([65536], [65536], bin(0.043, -5, 0.071, 12, 0.09, -3)), A, Bv, o), 65536), 'd3881326');
  assert.equal(run((o) => K.mulInt8(K.prepareMul([65536], [65536], bin(0.02, 3, 0.03, -7, 0.1, 1)), A, Bv, o), 65536), '646fc9c3');
  const qx = new Float32Array(512).map((_, i) => f32((i - 256 + 0.5) * 0.0375));
  assert.equal(run((o) => K.quantizeInt8(qx, { scale: 0.0375, zeroPoint: -3 }, o, 'xnnpack'), 512), '158a8967');
  assert.notEqual(run((o) => K.quantizeInt8(qx, { scale: 0.0375, zeroPoint: -3 }, o, 'builtin'), 512), '158a8967');
  // 16x15 convolutions, SAME, 3x3, per-channel scales; 'builtin' ran with a non-constant filter
  // so the delegate left the op to the builtin kernel (ruy single rounding for CONV_2D). The
  // 'reference' hash is ours (double rounding, as TFLite Micro), kept to show it differs.
  for (const [dw, runtime, hash] of [[false, 'xnnpack', '9cb4ae3a'], [false, 'builtin', '9cb4ae3a'], [true, 'xnnpack', 'b377641e'], [true, 'builtin', '89d9d311'], [false, 'reference', '7d573e5a']] as const) {
    const Cin = 8, Cout = 16, ws = Array.from({ length: Cout }, (_, c) => f32(0.004 + 0.003 * c));
    const g: K.ConvGeometry = { batch: 1, inH: 16, inW: 15, inC: Cin, outC: Cout, kH: 3, kW: 3, stride: 1, padding: 'SAME' };
    const P = { input: { scale: 0.03, zeroPoint: -11 }, output: { scale: 0.2, zeroPoint: 5 }, weightScales: ws, act: 'NONE' as const, runtime };
    const pp = (dw ? K.prepareDepthwiseConv2d : K.prepareConv2d)(g, P);
    const w = int8s(dw ? 9 * Cout : Cout * 9 * Cin, 21), bias = new Int32Array(Cout).map((_, c) => ((c * 7919) % 20000) - 10000);
    assert.equal(run((o) => (dw ? K.depthwiseConv2d : K.conv2d)(pp, int8s(16 * 15 * Cin, 33), w, bias, o), 16 * 15 * Cout), hash, `${dw ? 'dw' : 'conv'} ${runtime}`);
  }
});
