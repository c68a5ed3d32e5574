// LEAKY_RELU, the op added through the op registry (src/deploy/ops/leaky-relu.ts): its int8
// arithmetic equals real TFLite's on every input level, whether TFLite hands it to XNNPACK or
// runs its builtin kernel; a network trained with `leaky_relu` exports to float and int8 .tflite
// (real TFLite: within 1e-4, and byte-identical) and to ONNX (ONNX Runtime within 1e-4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { getBackend } from '../src/backend/select.js';
import { LEAKY_RELU_ALPHA } from '../src/backend/types.js';
import { calibrate } from '../src/deploy/calibrate.js';
import { Int8Engine } from '../src/deploy/engine-int8.js';
import { runFloat } from '../src/deploy/engine-float.js';
import { lowerTrained } from '../src/deploy/from-model.js';
import { quantizeInt8 } from '../src/deploy/int8/kernels.js';
import type { Graph, TensorDef } from '../src/deploy/ir.js';
import { writeOnnx } from '../src/deploy/onnx.js';
import { legalizeFloat } from '../src/deploy/legalize.js';
import { quantizeGraph } from '../src/deploy/quantize.js';
import { readTflite } from '../src/deploy/tflite/read.js';
import { writeTflite } from '../src/deploy/tflite/write.js';
import { Model } from '../src/model.js';
import { buildNetwork } from '../src/models/build.js';
import { parseActSwap, replaceActivation } from '../src/models/registry.js';
import { validateSpec } from '../src/models/spec.js';
import { Rng } from '../src/nn/random.js';
import { Optimizer } from '../src/optim/optimizer.js';
import { tinySpec } from './fixtures.js';
import { randomArray } from './helpers.js';
import { loadTfliteRuntime } from './tflite-runtime.js';

const int8Tensor = (name: string, scale: number, zeroPoint: number): TensorDef => ({ name, shape: [1, 1, 1, 256], dtype: 'int8', quant: { scale: [scale], zeroPoint: [zeroPoint], axis: 0 } });

test('int8 LEAKY_RELU equals real TFLite on all 256 input levels, through XNNPACK and through the builtin kernel', async () => {
  const rt = await loadTfliteRuntime();
  // [input scale, input zero point, output scale, output zero point, alpha]: the first five are
  // taken by XNNPACK, then its limits (8-bit multipliers: |scale| within [2^-8, 2^7]) on both sides.
  const cases: [number, number, number, number, number, 'xnnpack' | 'builtin'][] = [
    [0.05, -3, 0.03, -100, 0.1, 'xnnpack'], [0.1, 20, 0.07, -50, 0.2, 'xnnpack'], [0.02, -128, 0.02, -128, 0.1, 'xnnpack'],
    [0.3, 5, 0.01, 0, 0.01, 'xnnpack'], [0.013, 0, 0.02, -20, 0.3, 'xnnpack'],
    [2 ** -8, 0, 1, 0, 1, 'xnnpack'], [0.0038, 0, 1, 0, 1, 'builtin'], [128, 0, 1, 0, 0.5, 'xnnpack'], [129, 0, 1, 0, 0.5, 'builtin'],
    [1, 0, 1, 0, 2 ** -8, 'xnnpack'], [1, 0, 1, 0, 0.0038, 'builtin'], [1, 0, 1, 0, -127, 'xnnpack'], [1, 0, 1, 0, -129, 'builtin'],
    [0.01, 7, 0.3, -9, 0.01, 'builtin'], [1, 3, 0.001, 0, 0.5, 'builtin'],
  ];
  const x = Int8Array.from({ length: 256 }, (_, i) => i - 128);
  for (const [si, zi, so, zo, alpha, runtime] of cases) {
    const g: Graph = { tensors: [int8Tensor('input', si, zi), int8Tensor('output', so, zo)], ops: [{ op: 'LEAKY_RELU', inputs: [0], outputs: [1], alpha }], inputs: [0], outputs: [1], description: 'leaky relu probe' };
    const bytes = writeTflite(g);
    const file = readTflite(bytes);
    assert.deepEqual(file.ops, g.ops.map((o) => ({ ...o, alpha: Math.fround(alpha) })), 'written and read back');
    const it = rt.interpreter(bytes, { profile: true });
    it.setInput(0, x);
    it.invoke();
    const theirs = it.output(0) as Int8Array, took = it.profile().map((p) => p.nodeType);
    it.close();
    assert.deepEqual(took, [runtime === 'xnnpack' ? 'TfLiteXNNPackDelegate' : 'LEAKY_RELU'], `who runs alpha ${alpha}, scales ${si} -> ${so}`);
    for (const kernels of ['typescript', 'native'] as const) {
      const engine = new Int8Engine(file, 'xnnpack', kernels);
      assert.equal(engine.runtime, runtime, 'the engine falls back exactly when TFLite does');
      assert.deepEqual([...engine.run(x)[0]], [...theirs], `alpha ${alpha}, scales ${si} -> ${so}, ${kernels} kernels`);
    }
  }
});

/** A tiny network with leaky_relu in every block, trained a few steps so its BN statistics are not the initial ones. */
async function trainedTiny() {
  const backend = await getBackend('auto');
  const spec = validateSpec(tinySpec({
    blocks: tinySpec().blocks.map((b) => ({ ...b, act: 'leaky_relu' as const })),
    stem: { ...tinySpec().stem, act: 'leaky_relu' },
  }));
  const model = new Model(buildNetwork(spec, { backend }, 3), backend);
  const rng = new Rng(5), n = 16, per = 8 * 8 * 3;
  const opt = new Optimizer(model.params(), { kind: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0 });
  for (let step = 0; step < 5; step++) {
    model.trainStep(randomArray(rng, n * per), Array.from({ length: n }, (_, i) => i % 4), opt, 0.05);
  }
  return { model, normalization: { mean: [0, 0, 0], std: [1, 1, 1] }, labels: ['a', 'b', 'c', 'd'], checkpoint: '', runDir: null };
}

test('a leaky_relu network: float and int8 .tflite in real TFLite, float ONNX in ONNX Runtime', async () => {
  const t = await trainedTiny();
  const lowered = lowerTrained(t);
  const leaky = lowered.ops.filter((o) => o.op === 'LEAKY_RELU');
  assert.ok(leaky.length >= 4, `the lowered graph has ${leaky.length} LEAKY_RELU ops`);
  assert.ok(leaky.every((o) => o.op === 'LEAKY_RELU' && o.alpha === LEAKY_RELU_ALPHA));
  const rng = new Rng(11), per = 8 * 8 * 3, images = Array.from({ length: 24 }, () => randomArray(rng, per));
  const rt = await loadTfliteRuntime();

  const floatG = legalizeFloat(lowered), floatBytes = writeTflite(floatG);
  const onnx = await InferenceSession.create(writeOnnx(floatG), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const it = rt.interpreter(floatBytes);
  let tfliteDiff = 0, onnxDiff = 0;
  for (const x of images) {
    const ours = runFloat(floatG, x)[0];
    it.setInput(0, x);
    it.invoke();
    const tfl = it.output(0) as Float32Array;
    const inT = floatG.tensors[floatG.inputs[0]], outT = floatG.tensors[floatG.outputs[0]];
    const ort = (await onnx.run({ [inT.name]: new Tensor('float32', x, inT.shape) }))[outT.name].data as Float32Array;
    for (let i = 0; i < ours.length; i++) {
      tfliteDiff = Math.max(tfliteDiff, Math.abs(ours[i] - tfl[i]));
      onnxDiff = Math.max(onnxDiff, Math.abs(ours[i] - ort[i]));
    }
  }
  it.close();
  assert.ok(tfliteDiff < 1e-4, `float .tflite differs by ${tfliteDiff}`);
  assert.ok(onnxDiff < 1e-4, `ONNX differs by ${onnxDiff}`);

  const int8G = quantizeGraph(lowered, calibrate(lowered, images, 'minmax'));
  const bytes = writeTflite(int8G), file = readTflite(bytes);
  assert.ok(file.ops.some((o) => o.op === 'LEAKY_RELU'), 'the int8 file keeps LEAKY_RELU');
  const engine = new Int8Engine(file, 'xnnpack'), inQ = file.tensors[file.inputs[0]].quant!;
  const tfl8 = rt.interpreter(bytes);
  const q = new Int8Array(per);
  for (const x of images) {
    quantizeInt8(x, { scale: inQ.scale[0], zeroPoint: inQ.zeroPoint[0] }, q, 'xnnpack');
    tfl8.setInput(0, q);
    tfl8.invoke();
    assert.deepEqual([...engine.run(q)[0]], [...(tfl8.output(0) as Int8Array)], 'int8 outputs byte for byte');
  }
  tfl8.close();
});

test('leaky_relu is an activation for specs and for train --act', () => {
  assert.deepEqual(parseActSwap('mish=leaky_relu'), { from: 'mish', to: 'leaky_relu' });
  const swapped = replaceActivation(validateSpec(tinySpec()), 'mish', 'leaky_relu');
  assert.ok(JSON.stringify(swapped).includes('"leaky_relu"'));
  assert.throws(() => parseActSwap('mish=leaky'), /leaky_relu/);
});
