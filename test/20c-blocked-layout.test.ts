// The blocked activation layout (src/backend/layout.ts): the reorders, the reference's batch norm
// and convolutions over it (its NHWC code between two reorders, so the same bits), and the native
// batch-norm kernels (native/bn_blocked.cc) and oneDNN convolutions over it against the reference
// within 1e-4.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { fromBlocked, toBlocked } from '../src/backend/layout.js';
import { ADDON_PATH, loadOnednnBackend } from '../src/backend/onednn.js';
import { referenceBackend as R } from '../src/backend/reference.js';
import { ACTIVATIONS, type Activation, type Backend, type BlockedLayout, type ConvGeometry } from '../src/backend/types.js';
import { lcg, nativeBlocks, relError } from './helpers.js';

const rnd = lcg(2026_12_07);
const uniform = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rnd());

test('toBlocked and fromBlocked are inverse permutations; a bad block or length is refused', () => {
  for (const [n, hw, c, block] of [[1, 1, 8, 8], [2, 5, 16, 8], [3, 7, 48, 16], [2, 4, 24, 8]]) {
    const x = Float32Array.from({ length: n * hw * c }, (_, i) => i);
    const b = toBlocked(n, hw, c, block, x, new Float32Array(x.length));
    assert.deepEqual([...b].sort((p, q) => p - q), [...x], 'a permutation');
    // (image, block, pixel, lane) order: the first plane is image 0's first `block` channels.
    assert.deepEqual([...b.subarray(0, block)], [...x.subarray(0, block)]);
    if (hw > 1) assert.equal(b[block], x[c], 'pixel 1 of plane 0 follows pixel 0');
    assert.deepEqual(fromBlocked(n, hw, c, block, b, new Float32Array(x.length)), x);
  }
  assert.throws(() => toBlocked(1, 2, 12, 8, new Float32Array(24), new Float32Array(24)), /multiple of the block size/);
  assert.throws(() => toBlocked(1, 2, 16, 8, new Float32Array(24), new Float32Array(32)), /Expected 32 elements/);
});

/** One batch norm's inputs: n images of hw pixels and c channels, NHWC and blocked. */
function problem(n: number, hw: number, c: number, block: number) {
  const rows = n * hw;
  const offset = uniform(c, -3, 3), spread = uniform(c, 0.1, 4);
  const x = Float32Array.from({ length: rows * c }, (_, i) => offset[i % c] + spread[i % c] * (2 * rnd() - 1));
  const gamma = Float32Array.from({ length: c }, () => (rnd() < 0.5 ? -1 : 1) * (rnd() < 0.3 ? 12 : 0.2 + 1.5 * rnd()));
  const beta = uniform(c, -2, 2), dy = uniform(rows * c), runMean = uniform(c, -3, 3), runVar = uniform(c, 0.05, 5);
  const blocked = (a: Float32Array) => toBlocked(n, hw, c, block, a, new Float32Array(a.length));
  return { rows, c, x, gamma, beta, dy, runMean, runVar, xb: blocked(x), dyb: blocked(dy), layout: { block, hw }, blocked };
}

type Problem = ReturnType<typeof problem>;

/** Training forward, inference forward and backward, all in one layout (NHWC when layout is undefined). */
function run(B: Backend, p: Problem, act: Activation, layout?: BlockedLayout) {
  const { rows, c, gamma, beta } = p, eps = 1e-3;
  const x = layout ? p.xb : p.x, dy = layout ? p.dyb : p.dy;
  const y = new Float32Array(rows * c).fill(NaN), mean = new Float32Array(c), variance = new Float32Array(c);
  B.batchNormActForwardTraining(rows, c, x, gamma, beta, eps, act, y, mean, variance, null, layout);
  const yi = new Float32Array(rows * c).fill(NaN);
  B.batchNormActForwardInference(rows, c, x, gamma, beta, p.runMean, p.runVar, eps, act, yi, layout);
  const dx = new Float32Array(rows * c).fill(NaN), dgamma = new Float32Array(c), dbeta = new Float32Array(c);
  B.batchNormActBackward(rows, c, x, dy, gamma, beta, mean, variance, eps, act, dx, dgamma, dbeta, null, layout);
  return { y, mean, variance, yi, dx, dgamma, dbeta };
}

test("the reference's blocked batch norm is its NHWC one reordered, bit for bit", () => {
  for (const act of ['mish', 'hswish', 'none'] as const) {
    const p = problem(3, 10, 24, 8);
    const want = run(R, p, act), got = run(R, p, act, p.layout);
    assert.deepEqual(got.y, p.blocked(want.y));
    assert.deepEqual(got.yi, p.blocked(want.yi));
    assert.deepEqual(got.dx, p.blocked(want.dx));
    for (const k of ['mean', 'variance', 'dgamma', 'dbeta'] as const) assert.deepEqual(got[k], want[k], k);
  }
});

test('native batch norm + activation over blocked planes: within 1e-4 of the reference, every activation', (t) => {
  const native = nativeBlocks(t);
  if (!native) return;
  const { O, B: block } = native;
  for (const act of ACTIVATIONS) {
    // A plane shorter than the 64-pixel chunks, one with a partial chunk, and one of training size
    // on the multi-threaded path.
    for (const [n, hw, c] of [[1, 1, block], [3, 70, 3 * block], [64, 256, 3 * block]]) {
      const what = `${act} n=${n} hw=${hw} c=${c} block=${block}`;
      const p = problem(n, hw, c, block);
      const want = run(R, p, act), got = run(O, p, act, p.layout);
      const close = (k: string, a: Float32Array, b: Float32Array) => {
        assert.ok(a.every(Number.isFinite), `${k} ${what}: non-finite output`);
        const err = relError(a, b);
        assert.ok(err <= 1e-4, `${k} ${what}: relative error ${err.toExponential(2)} > 1e-4`);
      };
      close('training forward y', got.y, p.blocked(want.y));
      close('mean', got.mean, want.mean);
      close('variance', got.variance, want.variance);
      close('inference forward y', got.yi, p.blocked(want.yi));
      close('backward dx', got.dx, p.blocked(want.dx));
      close('dgamma', got.dgamma, want.dgamma);
      close('dbeta', got.dbeta, want.dbeta);
    }
  }
  // Refused with one line each: a block this build does not take, rows not whole images, bfloat16.
  const p = problem(2, 4, 2 * block, block), c = 2 * block, v = () => new Float32Array(c);
  const other = block === 8 ? 16 : 8;
  assert.throws(() => O.batchNormActForwardTraining(p.rows, c, p.xb, p.gamma, p.beta, 1e-3, 'mish', new Float32Array(p.rows * c), v(), v(), null, { block: other, hw: 4 }),
    new RegExp(`Expected block ${block}`));
  assert.throws(() => O.batchNormActForwardInference(p.rows, c, p.xb, p.gamma, p.beta, v(), v().fill(1), 1e-3, 'mish', new Float32Array(p.rows * c), { block, hw: 3 }),
    /rows a multiple of hw/);
  assert.throws(() => O.batchNormActBackward(p.rows, c, p.xb, p.dyb, p.gamma, p.beta, v(), v().fill(1), 1e-3, 'mish', new Float32Array(p.rows * c), v(), v(), new Uint16Array(p.rows * c), p.layout),
    /not built for the blocked layout/);
});

/** A convolution's geometry with TensorFlow 'same' padding. */
function convGeometry(n: number, hw: number, cin: number, cout: number, k: number, stride: number, groups: number, srcBlock: number, dstBlock: number): ConvGeometry {
  const out = Math.ceil(hw / stride), total = Math.max((out - 1) * stride + k - hw, 0), lo = Math.floor(total / 2);
  return { n, h: hw, w: hw, cin, cout, kh: k, kw: k, stride, groups, oh: out, ow: out, padTop: lo, padLeft: lo, padBottom: total - lo, padRight: total - lo, srcBlock, dstBlock };
}

test('native convolutions over blocked activations (oneDNN nChw8c / nChw16c): within 1e-4 of the reference, all three passes', (t) => {
  if (!existsSync(ADDON_PATH)) return t.skip(`native addon not built (${ADDON_PATH}); run npm run build:native`);
  const O = loadOnednnBackend();
  O.setThreads(2);
  const B = O.activationBlock() || 8;
  const cases: [string, ConvGeometry][] = [
    ['1x1, both blocked', convGeometry(3, 6, 2 * B, 3 * B, 1, 1, 1, B, B)],
    ['1x1, NHWC in', convGeometry(2, 5, 2 * B, B, 1, 1, 1, 0, B)],
    ['1x1, NHWC out', convGeometry(2, 5, B, 2 * B, 1, 1, 1, B, 0)],
    ['stem 3x3 stride 2, 3 channels in', convGeometry(2, 9, 3, 2 * B, 3, 2, 1, 0, B)],
    ['depthwise 3x3', convGeometry(2, 7, 2 * B, 2 * B, 3, 1, 2 * B, B, B)],
    ['depthwise 5x5 stride 2, multiplier 3', convGeometry(1, 9, B, 3 * B, 5, 2, B, B, B)],
    ['1x1, blocks of 16', convGeometry(2, 4, 32, 16, 1, 1, 1, 16, 16)],
  ];
  for (const [what, g] of cases) {
    const src = g.n * g.h * g.w * g.cin, dst = g.n * g.oh * g.ow * g.cout, wl = g.kh * g.kw * (g.cin / g.groups) * g.cout;
    const x = uniform(src), dy = uniform(dst), w = uniform(wl), bias = uniform(g.cout);
    const sb = g.srcBlock!, db = g.dstBlock!, hw = g.h * g.w, ohw = g.oh * g.ow;
    const toSrc = (a: Float32Array) => (sb ? toBlocked(g.n, hw, g.cin, sb, a, new Float32Array(a.length)) : a);
    const toDst = (a: Float32Array) => (db ? toBlocked(g.n, ohw, g.cout, db, a, new Float32Array(a.length)) : a);
    const nhwc = { ...g, srcBlock: 0, dstBlock: 0 };
    const close = (k: string, a: Float32Array, b: Float32Array) => {
      const err = relError(a, b);
      assert.ok(a.every(Number.isFinite) && err <= 1e-4, `${what} ${k}: relative error ${err.toExponential(2)} > 1e-4`);
    };
    const y = new Float32Array(dst).fill(NaN), yWant = new Float32Array(dst);
    O.conv2dForward(g, toSrc(x), w, bias, y);
    R.conv2dForward(nhwc, x, w, bias, yWant);
    close('forward', y, toDst(yWant));
    const dx = new Float32Array(src).fill(NaN), dxWant = new Float32Array(src);
    O.conv2dBackwardData(g, toDst(dy), w, dx);
    R.conv2dBackwardData(nhwc, dy, w, dxWant);
    close('backward data', dx, toSrc(dxWant));
    const dw = new Float32Array(wl).fill(NaN), dwWant = new Float32Array(wl), db2 = new Float32Array(g.cout), dbWant = new Float32Array(g.cout);
    O.conv2dBackwardWeights(g, toSrc(x), toDst(dy), dw, db2);
    R.conv2dBackwardWeights(nhwc, x, dy, dwWant, dbWant);
    close('backward weights', dw, dwWant);
    close('backward bias', db2, dbWant);
    // The reference over the same blocked buffers gives its NHWC answers reordered, bit for bit.
    const yRef = new Float32Array(dst);
    R.conv2dForward(g, toSrc(x), w, bias, yRef);
    assert.deepEqual(yRef, toDst(yWant), `${what}: reference forward over blocked buffers`);
  }
  assert.throws(() => O.conv2dForward(convGeometry(1, 4, 12, 8, 1, 1, 1, 8, 8), new Float32Array(192), new Float32Array(96), null, new Float32Array(128)),
    /Invalid convolution geometry/);
});

test("native depthwise over blocked planes (cmv3's kernels): forward, data and weight gradient within 1e-4 of the reference", (t) => {
  const native = nativeBlocks(t);
  if (!native) return;
  const { O, B } = native;
  // [images, size, input channels, multiplier, kernel, stride]. Forward: the 2-row x 4-pixel
  // blocks and their tails, multipliers as lane permutations, 7x7 on the general path. Data
  // gradient: stride 1 with 3x3 / 5x5 as the forward's correlation with flipped taps, every other
  // stride and size as one correlation per residue class (up to 3 x 3 taps per class compiled,
  // more at run time: 7x7; none at all: 1x1 stride 2), multipliers summed over their lanes. Weight
  // gradient: tap rows in register groups (3x3, 5x5 at strides 1 and 2), one tap at a time (7x7,
  // stride 3), permuted planes for multipliers. All: odd sizes, one image, the multi-threaded path.
  const cases = [[2, 8, B, 1, 3, 1], [1, 7, 2 * B, 6, 3, 1], [3, 9, B, 3, 5, 1], [2, 11, B, 1, 3, 2], [1, 10, 2 * B, 6, 5, 2],
    [2, 6, B, 2, 7, 1], [1, 1, B, 1, 3, 1], [64, 16, 3 * B, 6, 5, 1], [2, 16, B, 1, 3, 2], [1, 9, B, 1, 1, 2],
    [1, 10, B, 2, 7, 2], [2, 8, B, 1, 3, 3], [32, 32, 2 * B, 6, 3, 2], [32, 32, 2 * B, 1, 3, 1]];
  for (const [n, hw, cin, m, k, stride] of cases) {
    const g = convGeometry(n, hw, cin, cin * m, k, stride, cin, B, B), what = `n=${n} ${hw}x${hw} c=${cin} m=${m} ${k}x${k} s${stride}`;
    const nhwc = { ...g, srcBlock: 0, dstBlock: 0 }, src = n * hw * hw * cin, dst = n * g.oh * g.ow * cin * m, wl = k * k * cin * m;
    const x = uniform(src), dy = uniform(dst), w = uniform(wl), bias = uniform(cin * m);
    const xb = toBlocked(n, hw * hw, cin, B, x, new Float32Array(src)), dyb = toBlocked(n, g.oh * g.ow, cin * m, B, dy, new Float32Array(dst));
    const close = (pass: string, got: Float32Array, want: Float32Array) => {
      const err = relError(got, want);
      assert.ok(got.every(Number.isFinite) && err <= 1e-4, `${what} ${pass}: relative error ${err.toExponential(2)}`);
    };
    for (const b of [bias, null]) {
      const want = new Float32Array(dst), got = new Float32Array(dst).fill(NaN);
      R.conv2dForward(nhwc, x, w, b, want);
      O.conv2dForward(g, xb, w, b, got);
      close(b ? 'forward' : 'forward, no bias', got, toBlocked(n, g.oh * g.ow, cin * m, B, want, new Float32Array(dst)));
    }
    const dxWant = new Float32Array(src), dx = new Float32Array(src).fill(NaN);
    R.conv2dBackwardData(nhwc, dy, w, dxWant);
    O.conv2dBackwardData(g, dyb, w, dx);
    close('data gradient', dx, toBlocked(n, hw * hw, cin, B, dxWant, new Float32Array(src)));
    const dwWant = new Float32Array(wl), dbWant = new Float32Array(cin * m);
    R.conv2dBackwardWeights(nhwc, x, dy, dwWant, dbWant);
    for (const withBias of [true, false]) {
      const dw = new Float32Array(wl).fill(NaN), db = withBias ? new Float32Array(cin * m).fill(NaN) : null;
      O.conv2dBackwardWeights(g, xb, dyb, dw, db);
      close(withBias ? 'weight gradient' : 'weight gradient, no bias', dw, dwWant);
      if (db) close('bias gradient', db, dbWant);
    }
  }
});

test("native layoutReorder: layout.ts's toBlocked / fromBlocked, bit for bit; a channel count that is not whole blocks is refused", (t) => {
  const native = nativeBlocks(t);
  if (!native) return;
  const { O } = native;
  for (const [n, hw, c, block] of [[1, 1, 8, 8], [3, 7, 24, 8], [64, 256, 48, 16], [2, 5, 3, 1]]) {
    const x = uniform(n * hw * c), b = new Float32Array(x.length).fill(NaN), back = new Float32Array(x.length).fill(NaN);
    O.layoutReorder(n, hw, c, block, x, b, true);
    assert.deepEqual(b, toBlocked(n, hw, c, block, x, new Float32Array(x.length)), `to blocks n=${n} hw=${hw} c=${c} block=${block}`);
    O.layoutReorder(n, hw, c, block, b, back, false);
    assert.deepEqual(back, x, 'and back');
  }
  assert.throws(() => O.layoutReorder(1, 2, 12, 8, new Float32Array(24), new Float32Array(24), true), /multiple of the block size/);
});
