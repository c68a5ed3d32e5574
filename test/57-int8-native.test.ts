// The native int8 convolutions (native/int8.cc) against the TypeScript reference kernels
// (src/deploy/int8/conv.ts): the same bytes for every geometry, requantization and runtime,
// and a whole quantized model giving the same outputs through either.
// Skipped only when the native addon has not been built.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { ADDON_PATH, NativeError } from '../src/backend/onednn.js';
import { NO_AUGMENT, assembleBatch } from '../src/data/augment.js';
import { readCifar } from '../src/data/cifar.js';
import { Int8Engine } from '../src/deploy/engine-int8.js';
import * as K from '../src/deploy/int8/kernels.js';
import { nativeConvEval } from '../src/deploy/int8/native.js';
import { int8Graph } from '../src/deploy/pipeline.js';
import { loadTrained } from '../src/train/trained.js';
import { cifarOrSkip } from './helpers.js';

const built = existsSync(ADDON_PATH);
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s / 4294967296);
}
const int8s = (r: () => number, n: number) => Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);

test('native int8 conv/depthwise give the reference kernels\' bytes (geometries x requantizations)', { skip: !built && 'native addon not built' }, () => {
  const r = lcg(7);
  let cases = 0;
  for (const depthwise of [false, true]) {
    for (const k of [1, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const padding of ['SAME', 'VALID'] as const) {
          for (const runtime of ['reference', 'builtin', 'xnnpack'] as const) {
            const inC = 1 + Math.floor(r() * 9), mult = depthwise ? 1 + Math.floor(r() * 3) : 1;
            const outC = depthwise ? inC * mult : 1 + Math.floor(r() * 12);
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
            cases++;
          }
        }
      }
    }
  }
  assert.equal(cases, 72);
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
  for (const runtime of ['reference', 'builtin', 'xnnpack'] as const) {
    const fast = new Int8Engine(graph, runtime, 'native'), ref = new Int8Engine(graph, runtime, 'typescript');
    for (let i = 0; i < n; i++) {
      const img = x.subarray(i * per, (i + 1) * per);
      assert.deepEqual(Array.from(fast.runFloat(img).q), Array.from(ref.runFloat(img).q), `${runtime} image ${i}`);
    }
  }
});
