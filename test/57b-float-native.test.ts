// The native float convolutions (native/float_conv.cc) against the float engine's TypeScript loops
// (the float facets of src/deploy/ops/conv-2d.ts and depthwise-conv-2d.ts): the same bits for
// every geometry and fused activation, -0 included, and a whole lowered cmv3 giving the same bits
// in every tensor through either (so the same calibration). Skipped only when the addon is not
// built. And calibration's kept passes (src/deploy/calibrate.ts): reused, never stale.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { ADDON_PATH, NativeError } from '../src/backend/onednn.js';
import { calibrate } from '../src/deploy/calibrate.js';
import { runFloat } from '../src/deploy/engine-float.js';
import type { FusedAct, OpDef } from '../src/deploy/ir.js';
import { floatConvNative, type FloatKernels } from '../src/deploy/ops/conv-native.js';
import { opSpec } from '../src/deploy/ops/index.js';
import { lowerTrained } from '../src/deploy/from-model.js';
import { calibrationImages } from '../src/deploy/pipeline.js';
import { loadTrained } from '../src/train/trained.js';
import { cifarOrSkip, lcg } from './helpers.js';

const built = existsSync(ADDON_PATH);
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

interface Case { depthwise: boolean; x: Float32Array; xShape: number[]; w: Float32Array; wShape: number[]; b: Float32Array; yShape: number[]; stride: number; padding: 'SAME' | 'VALID'; act: FusedAct; multiplier: number }

function run(c: Case, kernels: FloatKernels): Float32Array {
  const y = new Float32Array(c.yShape.reduce((p, v) => p * v, 1));
  const ins = [c.x, c.w, c.b], shapes = [c.xShape, c.wShape, [c.b.length]];
  const o = (c.depthwise
    ? { op: 'DEPTHWISE_CONV_2D', inputs: [0, 1, 2], outputs: [3], stride: c.stride, padding: c.padding, multiplier: c.multiplier, act: c.act }
    : { op: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], stride: c.stride, padding: c.padding, act: c.act }) as OpDef;
  opSpec(o.op).float!(o as never, { input: (k) => ins[k], shape: (k) => shapes[k], y, yShape: c.yShape, yName: 'y', kernels });
  return y;
}

test('native float conv/depthwise give the TypeScript loops\' bits (geometries x activations)', { skip: !built && 'native addon not built' }, () => {
  const r = lcg(11);
  let cases = 0;
  for (const depthwise of [false, true]) {
    for (const k of [1, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const padding of ['SAME', 'VALID'] as const) {
          for (const act of ['NONE', 'RELU', 'RELU6'] as const) {
            // Channel counts on both sides of the 16-lane block.
            const cin = 1 + Math.floor(r() * 20), multiplier = depthwise ? 1 + Math.floor(r() * 3) : 0;
            const cout = depthwise ? cin * multiplier : 1 + Math.floor(r() * 40);
            const h = k + Math.floor(r() * 7), w = k + Math.floor(r() * 6);
            const out = (n: number) => (padding === 'SAME' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1);
            const rand = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() - 0.5) * s);
            const c: Case = {
              depthwise, x: rand(h * w * cin, 4), xShape: [1, h, w, cin], w: rand(depthwise ? k * k * cout : cout * k * k * cin, 2),
              wShape: depthwise ? [1, k, k, cout] : [cout, k, k, cin], b: rand(cout, 8), yShape: [1, out(h), out(w), cout], stride, padding, act, multiplier,
            };
            assert.deepEqual(bits(run(c, 'native')), bits(run(c, 'typescript')), `${depthwise ? 'depthwise' : 'conv'} k${k} s${stride} ${padding} ${act} cin ${cin} cout ${cout} ${h}x${w}`);
            cases++;
          }
        }
      }
    }
  }
  assert.equal(cases, 72);
});

test('native float conv keeps -0 where the loops do (a -0 bias plus -0 products) and RELU makes it +0', { skip: !built && 'native addon not built' }, () => {
  for (const act of ['NONE', 'RELU'] as const) {
    const c: Case = { depthwise: false, x: new Float32Array(4), xShape: [1, 2, 2, 1], w: Float32Array.of(-1, -2), wShape: [2, 1, 1, 1], b: Float32Array.of(-0, -0), yShape: [1, 2, 2, 2], stride: 1, padding: 'VALID', act, multiplier: 0 };
    const got = run(c, 'native');
    assert.deepEqual(bits(got), bits(run(c, 'typescript')));
    assert.equal(Object.is(got[0], act === 'NONE' ? -0 : 0), true, act);
  }
});

test('native float conv refuses a buffer of the wrong length with ERR_SHAPE', { skip: !built && 'native addon not built' }, () => {
  assert.throws(() => floatConvNative({ x: new Float32Array(31), xShape: [1, 4, 4, 2], w: new Float32Array(6), wShape: [3, 1, 1, 2], bias: new Float32Array(3), y: new Float32Array(48), yShape: [1, 4, 4, 3], stride: 1, padding: 'VALID', act: 'NONE', multiplier: 0 }),
    (e: unknown) => e instanceof NativeError && (e as NativeError).code === 'ERR_SHAPE' && /x/.test((e as Error).message));
});

test('a lowered cmv3 gives the same bits in every tensor through native and TypeScript convolutions', { skip: !built && 'native addon not built' }, async (t) => {
  const dir = cifarOrSkip(t);
  if (!dir) return;
  const trained = await loadTrained('cmv3-w0.5-cifar10');
  const g = lowerTrained(trained), images = calibrationImages(trained, dir, 4);
  for (const x of images) {
    const seen = new Map<number, number[]>();
    const fast = runFloat(g, x, (k, d) => seen.set(k, bits(d)), 'native'), ref = runFloat(g, x, (k, d) => assert.deepEqual(bits(d), seen.get(k), `tensor ${g.tensors[k].name}`), 'typescript');
    assert.deepEqual(bits(fast[0]), bits(ref[0]));
  }
});

test('calibration keeps its passes per graph and images: a second observer runs only what is missing, a changed weight runs all again', async (t) => {
  const dir = cifarOrSkip(t);
  if (!dir) return;
  const trained = await loadTrained('cmv3-w0.5-cifar10');
  const g = lowerTrained(trained), images = calibrationImages(trained, dir, 3);
  const runs = (observer: 'minmax' | 'percentile' | 'mse', graph = g) => {
    let ticks = 0;
    const ranges = calibrate(graph, images, observer, () => ticks++);
    return { ranges, ticks };
  };
  // The extremes, straight from the float engine.
  const want = new Map<number, { min: number; max: number }>();
  const see = (k: number, d: Float32Array) => {
    const cur = want.get(k) ?? { min: Infinity, max: -Infinity };
    for (const v of d) { cur.min = Math.min(cur.min, v); cur.max = Math.max(cur.max, v); }
    want.set(k, cur);
  };
  for (const x of images) { see(g.inputs[0], x); runFloat(g, x, see); }
  const first = runs('percentile');
  assert.equal(first.ticks, 6, 'both passes over 3 images');
  const mm = runs('minmax');
  assert.equal(mm.ticks, 0, 'the extremes were kept');
  assert.deepEqual(mm.ranges, want);
  assert.equal(runs('mse').ticks, 0, 'the histograms were kept');
  assert.deepEqual(runs('percentile').ranges, first.ranges);
  // The same structure with one weight changed is another graph: both passes again, other ranges.
  const changed = { ...g, tensors: g.tensors.map((d) => ({ ...d })) };
  const wi = changed.tensors.findIndex((d) => d.data instanceof Float32Array && d.data.length > 100);
  const w = Float32Array.from(changed.tensors[wi].data as Float32Array);
  w[0] += 1;
  changed.tensors[wi].data = w;
  const other = runs('minmax', changed);
  assert.equal(other.ticks, 3);
  assert.notDeepEqual(other.ranges, want);
});
