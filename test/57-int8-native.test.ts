// The native int8 convolutions (native/int8.cc) against the TypeScript reference kernels
// (src/deploy/int8/conv.ts): the same bytes for every geometry, requantization and runtime;
// ADD and MUL as 65,536-pair tables against their kernels; and a whole quantized model giving the
// same outputs through either set of kernels.
// Skipped only when the native addon has not been built.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { ADDON_PATH, NativeError } from '../src/backend/onednn.js';
import { NO_AUGMENT, assembleBatch } from '../src/data/augment.js';
import { readCifar } from '../src/data/cifar.js';
import { Int8Engine } from '../src/deploy/engine-int8.js';
import * as K from '../src/deploy/int8/kernels.js';
import { lookupChains } from '../src/deploy/int8/lookup-chains.js';
import { nativeConvEval, nativeLookupEval, nativePairLookupEval } from '../src/deploy/int8/native.js';
import { int8Graph } from '../src/deploy/pipeline.js';
import { loadTrained } from '../src/train/trained.js';
import { cifarOrSkip, lcg } from './helpers.js';

const built = existsSync(ADDON_PATH);
const int8s = (r: () => number, n: number) => Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);

test('native int8 conv/depthwise give the reference kernels\' bytes (geometries x requantizations)', { skip: !built && 'native addon not built' }, () => {
  const r = lcg(7);
  let cases = 0;
  for (const depthwise of [false, true]) {
    for (const k of [1, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const padding of ['SAME', 'VALID'] as const) {
          for (const runtime of ['reference', 'builtin', 'xnnpack'] as const) {
            // Channel counts on both sides of the native kernel's 16-channel blocks and odd tap counts.
            const inC = 1 + Math.floor(r() * (depthwise ? 9 : 40)), mult = depthwise ? 1 + Math.floor(r() * 3) : 1;
            const outC = depthwise ? inC * mult : 1 + Math.floor(r() * 40);
            const g = { batch: 1 + Math.floor(r() * 2), inH: k + Math.floor(r() * 7), inW: k + Math.floor(r() * 6), inC, outC, kH: k, kW: k, stride, padding };
            // Scales from 2^-12 to 2^3 relative: negative and positive shifts both occur.
            const weightScales = Array.from({ length: outC }, () => 2 ** (r() * 15 - 12) * (1 + r()));
            const act = (['NONE', 'RELU', 'RELU6'] as const)[Math.floor(r() * 3)];
            const params = { input: { scale: 0.02 + r() * 0.1, zeroPoint: Math.floor(r() * 60) - 30 }, output: { scale: 0.01 + r() * 0.3, zeroPoint: Math.floor(r() * 40) - 20 }, weightScales, act, runtime };
            const pp = depthwise ? K.prepareDepthwiseConv2d(g, params) : K.prepareConv2d(g, params);
            const x = int8s(r, g.batch * g.inH * g.inW * inC);
            const w = int8s(r, depthwise ? k * k * outC : outC * k * k * inC);
            const bias = r() < 0.8 ? Int32Array.from({ length: outC }, () => Math.floor((r() - 0.5) * 20000)) : null;
            const n = g.batch * pp.g.outH * pp.g.outW * outC;
            const want = new Int8Array(n), got = new Int8Array(n);
            (depthwise ? K.depthwiseConv2d : K.conv2d)(pp, x, w, bias, want);
            nativeConvEval(pp)(x, w, bias, got);
            assert.deepEqual(got, want, `${depthwise ? 'depthwise' : 'conv'} k${k} s${stride} ${padding} ${runtime} ${act} ${JSON.stringify(g)}`);
            // Weights packed once at Prepare, as the engine does.
            got.fill(0);
            nativeConvEval(pp, w)(x, w, bias, got);
            assert.deepEqual(got, want, `prepared ${depthwise ? 'depthwise' : 'conv'} k${k} s${stride} ${padding} ${runtime} ${act} ${JSON.stringify(g)}`);
            cases++;
          }
        }
      }
    }
  }
  assert.equal(cases, 72);
});

test('ADD and MUL through their 65,536-pair tables give the kernels\' bytes (runtimes x broadcasts x activations)', () => {
  const r = lcg(5);
  let cases = 0;
  for (const op of ['add', 'mul'] as const) {
    for (const runtime of ['reference', 'builtin', 'xnnpack'] as const) {
      for (const [shapeA, shapeB] of [[[1, 3, 4, 5], [1, 3, 4, 5]], [[1, 3, 4, 5], [1, 1, 1, 5]], [[1, 1, 1, 5], [1, 3, 4, 5]], [[1, 3, 1, 5], [1, 1, 4, 1]]]) {
        for (const act of ['NONE', 'RELU', 'RELU6'] as const) {
          const q = () => ({ scale: 0.005 + r() * 0.2, zeroPoint: Math.floor(r() * 60) - 30 });
          const params = { a: q(), b: q(), output: q(), act, runtime };
          const pp = op === 'add' ? K.prepareAdd(shapeA, shapeB, params) : K.prepareMul(shapeA, shapeB, params);
          const kernel = (op === 'add' ? K.addInt8 : K.mulInt8) as (p: typeof pp, a: Int8Array, b: Int8Array, o: Int8Array) => void;
          const a = int8s(r, shapeA.reduce((x, y) => x * y)), b = int8s(r, shapeB.reduce((x, y) => x * y));
          const n = pp.outShape.reduce((x, y) => x * y), want = new Int8Array(n), got = new Int8Array(n);
          kernel(pp, a, b, want);
          const table = K.tabulatePairs((x, z, o) => kernel({ ...pp, idxA: null, idxB: null }, x, z, o));
          K.lookupPairs(table, pp.idxA, pp.idxB, a, b, got);
          assert.deepEqual(got, want, `${op} ${runtime} ${act} ${shapeA} + ${shapeB}`);
          if (built) {
            got.fill(0);
            nativePairLookupEval(table, pp.idxA, pp.idxB)(a, b, got);
            assert.deepEqual(got, want, `native ${op} ${runtime} ${act} ${shapeA} + ${shapeB}`);
          }
          cases++;
        }
      }
    }
  }
  assert.equal(cases, 72);
});

test('native int8 lookups give lookupInt8\'s bytes and refuse index maps that leave an input', { skip: !built && 'native addon not built' }, () => {
  const r = lcg(9), table = int8s(r, 256), x = int8s(r, 1000), want = new Int8Array(1000), got = new Int8Array(1000);
  K.lookupInt8(table, x, want);
  nativeLookupEval(table)(x, got);
  assert.deepEqual(got, want);
  const pairs = int8s(r, 65536), a = int8s(r, 4), b = int8s(r, 4), y = new Int8Array(4);
  assert.throws(() => nativePairLookupEval(pairs, Int32Array.of(0, 1, 2, 4), null)(a, b, y), (e: unknown) => e instanceof NativeError && (e as NativeError).code === 'ERR_ARG');
  assert.throws(() => nativePairLookupEval(pairs, null, null)(a, int8s(r, 3), y), (e: unknown) => e instanceof NativeError && (e as NativeError).code === 'ERR_SHAPE');
});

test('native int8 conv refuses a buffer of the wrong length with ERR_SHAPE', { skip: !built && 'native addon not built' }, () => {
  const g = { batch: 1, inH: 4, inW: 4, inC: 2, outC: 3, kH: 1, kW: 1, stride: 1, padding: 'VALID' as const };
  const pp = K.prepareConv2d(g, { input: { scale: 0.1, zeroPoint: 0 }, output: { scale: 0.1, zeroPoint: 0 }, weightScales: [0.1, 0.1, 0.1], act: 'NONE', runtime: 'reference' });
  assert.throws(() => nativeConvEval(pp)(new Int8Array(31), new Int8Array(6), null, new Int8Array(48)),
    (e: unknown) => e instanceof NativeError && (e as NativeError).code === 'ERR_SHAPE' && /x/.test((e as Error).message));
});

test('a quantized cmv3 gives the same int8 outputs through native and TypeScript kernels', { skip: !built && 'native addon not built' }, async (t) => {
  const dir = cifarOrSkip(t);
  if (!dir) return;
  const trained = await loadTrained('cmv3-w0.5-cifar10');
  const graph = int8Graph(trained, { data: dir, calibration: 32, observer: 'minmax' });
  const n = 8, per = 32 * 32 * 3, set = readCifar(dir, 'test', n);
  const x = new Float32Array(n * per);
  assembleBatch(set.pixels, set.labels, Uint32Array.from({ length: n }, (_, i) => i), 32, 3, NO_AUGMENT, trained.normalization, 0, x, new Int32Array(n));
  // Every Mish is a CAST/ADD/GATHER chain the native engine runs as one lookup.
  assert.equal(lookupChains(graph).length, graph.ops.filter((o) => o.op === 'GATHER').length);
  assert.ok(lookupChains(graph).length > 0);
  for (const runtime of ['reference', 'builtin', 'xnnpack'] as const) {
    const fast = new Int8Engine(graph, runtime, 'native'), ref = new Int8Engine(graph, runtime, 'typescript');
    for (let i = 0; i < n; i++) {
      const img = x.subarray(i * per, (i + 1) * per);
      assert.deepEqual(Array.from(fast.runFloat(img).q), Array.from(ref.runFloat(img).q), `${runtime} image ${i}`);
    }
  }
});
