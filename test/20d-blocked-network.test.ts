// Whole networks over blocked activations (LayerContext.block): the layers hand each other
// blocked tensors wherever a feature map's channels are whole blocks, and the network computes
// what it computes in NHWC. The reference backend gives the same bits (its blocked ops reorder
// around its NHWC code, and pooling / channel scaling sum each channel's pixels in the same
// order); the native backend stays within 1e-4 of its NHWC self in the logits, every parameter
// gradient and the batch-norm moving statistics, over a spec with a channel multiplier, Mish,
// hard-swish, squeeze-and-excite, residual adds and strided depthwise convolutions, and the
// inference forward after it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { referenceBackend as R } from '../src/backend/reference.js';
import type { Backend } from '../src/backend/types.js';
import { buildNetwork } from '../src/models/build.js';
import { resolveSpec } from '../src/models/registry.js';
import type { Tensor } from '../src/nn/tensor.js';
import { tinySpec } from './fixtures.js';
import { lcg, nativeBlocks, relError } from './helpers.js';

/** One training forward and backward of a width 0.5 network at 16x16 (2 images), then an inference forward: logits, gradients, moving statistics. */
function step(backend: Backend, block: number, model = 'cmv3') {
  const spec = resolveSpec(model, { width: 0.5, inputSize: 16 });
  const net = buildNetwork(spec, { backend, block }, 7);
  const rnd = lcg(2026_12_07), n = 2;
  const x = Float32Array.from({ length: n * 16 * 16 * 3 }, () => 2 * rnd() - 1);
  const logits = net.root.forward({ shape: [n, 16, 16, 3], data: x }, true);
  const dlogits = Float32Array.from({ length: logits.data.length }, () => 2 * rnd() - 1);
  const dx = net.root.backward({ shape: logits.shape, data: dlogits }, true);
  const trained = { ...logits, data: logits.data.slice() }; // the inference forward below reuses the buffer
  const inference = net.root.forward({ shape: [n, 16, 16, 3], data: x }, false).data;
  return { net, logits: trained, inference, dx, grads: net.root.params().map((p) => [p.name, p.grad] as const), stats: net.root.buffers().map((b) => [b.name, b.data] as const) };
}

/** The blocked tensors a forward hands between layers, by counting the convolutions' blocked outputs. */
function blockedOutputs(backend: Backend, block: number): number {
  let count = 0;
  const spy = new Proxy(backend, {
    get(target, key: keyof Backend) {
      const v = target[key];
      if (key !== 'conv2dForward') return typeof v === 'function' ? v.bind(target) : v;
      return (g: { dstBlock?: number }, ...rest: unknown[]) => {
        if (g.dstBlock) count++;
        return (v as (...a: unknown[]) => void).call(target, g, ...rest);
      };
    },
  });
  step(spy, block);
  return count;
}

test('a network over blocked activations on the reference backend: the NHWC logits, input gradient, parameter gradients and moving statistics, bit for bit', () => {
  const want = step(R, 0), got = step(R, 8);
  assert.equal(got.logits.block ?? 0, 0, 'logits are NHWC');
  assert.deepEqual(got.logits.data, want.logits.data);
  assert.deepEqual(got.inference, want.inference);
  assert.equal((got.dx as Tensor).block ?? 0, 0, 'the stem takes NHWC images, so their gradient is NHWC');
  assert.deepEqual(got.dx.data, want.dx.data);
  got.grads.forEach(([name, g], i) => assert.deepEqual(g, want.grads[i][1], name));
  got.stats.forEach(([name, s], i) => assert.deepEqual(s, want.stats[i][1], name));
  assert.ok(blockedOutputs(R, 8) >= 20, 'most feature maps are blocked');
  assert.equal(blockedOutputs(R, 0), 0);
});

test('a network over blocked activations on the native backend: within 1e-4 of its NHWC self', (t) => {
  const native = nativeBlocks(t);
  if (!native) return;
  const { O, B: block } = native;
  for (const model of ['cmv3', 'mobilenetv3-small']) {
    const want = step(O, 0, model), got = step(O, block, model);
    const close = (what: string, a: Float32Array, b: Float32Array) => {
      const err = relError(a, b);
      assert.ok(a.every(Number.isFinite) && err <= 1e-4, `${model} ${what}: relative error ${err.toExponential(2)}`);
    };
    close('logits', got.logits.data, want.logits.data);
    close('inference logits', got.inference, want.inference);
    close('input gradient', got.dx.data, want.dx.data);
    got.grads.forEach(([name, g], i) => close(name, g, want.grads[i][1]));
    got.stats.forEach(([name, s], i) => close(name, s, want.stats[i][1]));
  }
});

test('a network with a feature map that is not whole blocks of channels stays NHWC throughout', () => {
  // tinySpec has 12-channel maps: with blocks of 8, its 1x1 convolutions would run between the
  // layouts (oneDNN's slow paths), so the network keeps NHWC.
  const spec = { ...tinySpec(), inputSize: 16, classes: 10 };
  assert.equal(buildNetwork(spec, { backend: R, block: 8 }).block, 0);
  assert.equal(buildNetwork(spec, { backend: R, block: 4 }).block, 4, 'blocks of 4 divide every map');
  assert.equal(buildNetwork(resolveSpec('cmv3', { width: 0.5 }), { backend: R, block: 8 }).block, 8);
  let blocked = 0;
  const spy = new Proxy(R, {
    get(target, key: keyof Backend) {
      const v = target[key];
      if (key !== 'conv2dForward') return typeof v === 'function' ? v.bind(target) : v;
      return (g: { srcBlock?: number; dstBlock?: number }, ...rest: unknown[]) => {
        if (g.srcBlock || g.dstBlock) blocked++;
        return (v as (...a: unknown[]) => void).call(target, g, ...rest);
      };
    },
  });
  const net = buildNetwork(spec, { backend: spy, block: 8 });
  net.root.forward({ shape: [2, 16, 16, 3], data: new Float32Array(2 * 16 * 16 * 3).fill(0.5) }, true);
  assert.equal(blocked, 0, 'no convolution sees a block');
});

test('blocked activations are refused with bf16 and for a block that is not a size', () => {
  const spec = resolveSpec('cmv3', { width: 0.5, inputSize: 16 });
  assert.throws(() => buildNetwork(spec, { backend: R, block: 8, precision: 'bf16' }), /precision f32 with blocked activations/);
  assert.throws(() => buildNetwork(spec, { backend: R, block: -8 }), /block size of 0/);
});
