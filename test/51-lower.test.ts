// Lowering: the float deployment graph (BN folded, batch 1) computes what the trained model
// computes, with pseudo-ops and after legalization to builtins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize, readCifar } from '../src/data/cifar.js';
import { runFloat } from '../src/deploy/engine-float.js';
import { lowerTrained } from '../src/deploy/from-model.js';
import { calibrationImages } from '../src/deploy/pipeline.js';
import { legalizeFloat } from '../src/deploy/legalize.js';
import { softmax } from '../src/train/evaluate.js';
import { loadTrained } from '../src/train/trained.js';
import { cifarOrSkip } from './helpers.js';

test('lowered and legalized cmv3 graphs match the model on CIFAR-10 images', async (t) => {
  const dir = cifarOrSkip(t);
  if (!dir) return;
  const trained = await loadTrained('cmv3-w0.5-cifar10');
  const g = lowerTrained(trained), legal = legalizeFloat(g);
  assert.ok(g.ops.some((o) => o.op === 'MISH') && g.ops.some((o) => o.op === 'HARD_SIGMOID'));
  assert.ok(!legal.ops.some((o) => o.op === 'MISH' || o.op === 'HARD_SIGMOID'));
  const set = readCifar(dir, 'test', 4);
  const x = normalize(set, trained.normalization.mean, trained.normalization.std);
  const per = 32 * 32 * 3;
  const logits = Float32Array.from(trained.model.forward(x, 4));
  let worst = 0;
  for (let i = 0; i < 4; i++) {
    const want = softmax(logits.subarray(i * 10, i * 10 + 10));
    const [p] = runFloat(g, x.subarray(i * per, (i + 1) * per));
    const [q] = runFloat(legal, x.subarray(i * per, (i + 1) * per));
    for (let k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(p[k] - want[k]), Math.abs(q[k] - p[k]));
  }
  assert.ok(worst < 1e-5, `largest difference ${worst}`);
});

test('calibration images come at the model\'s input size; other channel counts are refused, naming both', async (t) => {
  const dir = cifarOrSkip(t);
  if (!dir) return;
  const trained = await loadTrained('cmv3-w0.5-cifar10');
  assert.equal(calibrationImages(trained, dir, 3).length, 3);
  // CIFAR-10 is resized to the model's input, as image folders are (explore searches input sizes)
  const small = { ...trained, model: { ...trained.model, spec: { ...trained.model.spec, inputSize: 24 } } } as typeof trained;
  assert.deepEqual(calibrationImages(small, dir, 2).map((x) => x.length), [24 * 24 * 3, 24 * 24 * 3]);
  const gray = { ...trained, model: { ...trained.model, spec: { ...trained.model.spec, inputChannels: 1 } } } as typeof trained;
  assert.throws(() => calibrationImages(gray, dir, 3), (e: Error & { code?: string }) =>
    e.code === 'ERR_DATA' && /Expected 32x32x1 calibration images .* holds 32x32x3/.test(e.message));
});
