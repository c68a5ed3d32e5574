// Layer wiring: the whole tiny network's analytic gradients (every layer kind, residuals, SE)
// against central differences of the float32 forward, with the loss summed in float64.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceBackend } from '../src/backend/reference.js';
import { buildNetwork } from '../src/models/build.js';
import { softmaxCrossEntropy } from '../src/nn/loss.js';
import { Rng } from '../src/nn/random.js';
import { Dropout } from '../src/nn/simple.js';
import { randomArray } from './helpers.js';
import { tinySpec } from './fixtures.js';

test('network gradient w.r.t. every parameter tensor and the input matches finite differences', () => {
  // Smooth activations only: finite differences straddling a ReLU-type kink are meaningless here,
  // and the piecewise-linear activations are checked op by op (02-ops-gradcheck) away from kinks.
  const spec = tinySpec();
  spec.blocks = spec.blocks.map((b, i) => ({ ...b, act: i === 0 ? 'sigmoid' : 'mish' }));
  spec.stem = { ...spec.stem, act: 'mish' };
  spec.headBeforePool = spec.headBeforePool.map((h) => ({ ...h, act: 'mish' }));
  spec.headAfterPool = spec.headAfterPool.map((h) => ({ ...h, act: 'sigmoid' }));
  spec.se = { ...spec.se, inner: 'mish', gate: 'sigmoid' };
  const net = buildNetwork(spec, { backend: referenceBackend }, 3);
  const rng = new Rng(11), n = 3, k = spec.classes;
  const x = randomArray(rng, n * 8 * 8 * 3, 2);
  const labels = [0, 3, 1];
  const shape = [n, 8, 8, 3] as const;
  const lossAt = () => {
    const logits = net.root.forward({ shape, data: x }, true).data;
    return softmaxCrossEntropy(logits, labels, k, new Float32Array(n * k)).loss;
  };
  const logits = net.root.forward({ shape, data: x }, true).data;
  const dlogits = new Float32Array(n * k);
  softmaxCrossEntropy(logits, labels, k, dlogits);
  const dx = net.root.backward({ shape: [n, 1, 1, k], data: dlogits }).data.slice();
  const targets = [...net.root.params().map((p) => ({ name: p.name, data: p.data, grad: p.grad.slice() })), { name: 'input', data: x, grad: dx }];
  const h = 1e-2;
  for (const t of targets) {
    let num2 = 0, diff2 = 0;
    for (let s = 0; s < Math.min(6, t.data.length); s++) {
      const i = rng.int(t.data.length), keep = t.data[i];
      t.data[i] = keep + h; const up = lossAt();
      t.data[i] = keep - h; const down = lossAt();
      t.data[i] = keep;
      const numeric = (up - down) / (2 * h);
      num2 += numeric * numeric;
      diff2 += (numeric - t.grad[i]) ** 2;
    }
    const rel = Math.sqrt(diff2) / Math.max(1e-3, Math.sqrt(num2));
    assert.ok(rel < 1e-2, `${t.name}: relative gradient error ${rel.toExponential(2)}`);
  }
});

test('backward without the input gradient: the same parameter gradients, no input gradient computed', () => {
  const spec = tinySpec();
  const net = buildNetwork(spec, { backend: referenceBackend }, 3);
  const rng = new Rng(4), n = 2, k = spec.classes;
  const shape = [n, 8, 8, 3] as const;
  const x = randomArray(rng, n * 8 * 8 * 3, 1);
  const gradsAfter = (inputGrad: boolean) => {
    for (const p of net.root.params()) p.grad.fill(0);
    const logits = net.root.forward({ shape, data: x }, true).data;
    const dlogits = new Float32Array(n * k);
    softmaxCrossEntropy(logits, [1, 3], k, dlogits);
    const dx = net.root.backward({ shape: [n, 1, 1, k], data: dlogits }, inputGrad);
    return { dx, grads: net.root.params().map((p) => Array.from(p.grad)) };
  };
  const full = gradsAfter(true), skipped = gradsAfter(false);
  assert.equal(full.dx.data.length, n * 8 * 8 * 3);
  assert.equal(skipped.dx.data.length, 0, 'the stem convolution skipped its backward-data pass');
  assert.deepEqual(skipped.dx.shape, shape);
  assert.deepEqual(skipped.grads, full.grads);
  assert.ok(full.grads.some((g) => g.some((v) => v !== 0)));
});

test('dropout: the same mask forward and backward, identity at inference, unbiased scale', () => {
  const d = new Dropout('d', { backend: referenceBackend }, 0.25, new Rng(5));
  const x = { shape: [4, 1, 1, 1000] as const, data: new Float32Array(4000).fill(1) };
  const y = d.forward(x, true).data.slice();
  const dx = d.backward({ shape: x.shape, data: new Float32Array(4000).fill(1) }).data;
  assert.deepEqual(Array.from(dx), Array.from(y));
  const mean = y.reduce((a, v) => a + v, 0) / y.length;
  assert.ok(Math.abs(mean - 1) < 0.05, `mean ${mean}`);
  assert.ok(y.some((v) => v === 0) && y.some((v) => Math.abs(v - 4 / 3) < 1e-6));
  assert.equal(d.forward(x, false), x);
});

test('BN moving statistics follow the batch with the spec momentum; inference uses them', () => {
  const spec = tinySpec({ bnMomentum: 0.5 });
  const net = buildNetwork(spec, { backend: referenceBackend }, 3);
  const x = randomArray(new Rng(2), 2 * 8 * 8 * 3, 1);
  const stem = net.root.buffers()[0];
  assert.equal(stem.name, 'stem.bn.moving_mean');
  net.root.forward({ shape: [2, 8, 8, 3], data: x }, true);
  const after1 = stem.data.slice();
  assert.ok(after1.some((v) => v !== 0));
  const trainOut = net.root.forward({ shape: [2, 8, 8, 3], data: x }, true).data.slice();
  const inferOut = net.root.forward({ shape: [2, 8, 8, 3], data: x }, false).data;
  assert.notDeepEqual(Array.from(inferOut), Array.from(trainOut));
});
