// Exported cmv3 models in real TFLite (@tensorflow/tfjs-tflite's WASM build, which runs the
// XNNPACK delegate): the int8 file gives our int8 engine's outputs byte for byte, the float file
// our float engine's within 1e-4, and both the accuracy `cmv3 eval` reports for the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_AUGMENT, assembleBatch } from '../src/data/augment.js';
import { readCifar } from '../src/data/cifar.js';
import { GraphModel } from '../src/deploy/graph-model.js';
import { quantizeInt8 } from '../src/deploy/int8/kernels.js';
import { floatGraph, int8Graph } from '../src/deploy/pipeline.js';
import { readTflite } from '../src/deploy/tflite/read.js';
import { checkTfliteRules } from '../src/deploy/tflite/validate.js';
import { writeTflite } from '../src/deploy/tflite/write.js';
import { loadTrained } from '../src/train/trained.js';
import { cifarOrSkip } from './helpers.js';
import { loadTfliteRuntime } from './tflite-runtime.js';

const IMAGES = 1000;

async function setup(t: { skip: (m: string) => void }) {
  const dir = cifarOrSkip(t);
  if (!dir) return null;
  const trained = await loadTrained('cmv3-w0.5-cifar10');
  const set = readCifar(dir, 'test', IMAGES);
  const per = 32 * 32 * 3, x = new Float32Array(IMAGES * per), labels = new Int32Array(IMAGES);
  assembleBatch(set.pixels, set.labels, Uint32Array.from({ length: IMAGES }, (_, i) => i), 32, 3, NO_AUGMENT, trained.normalization, 0, x, labels);
  return { dir, trained, x, labels, per };
}

const argmax = (v: ArrayLike<number>) => { let a = 0; for (let i = 1; i < v.length; i++) if (v[i] > v[a]) a = i; return a; };

test('int8 .tflite: real TFLite and the int8 engine agree on 1,000 test images', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const bytes = writeTflite(int8Graph(s.trained, { data: s.dir, calibration: 200, observer: 'minmax' }));
  assert.deepEqual(checkTfliteRules(bytes), []);
  const file = readTflite(bytes); // the engine runs what the file holds, as `cmv3 eval model.tflite` does
  const ours = new GraphModel(file, 'xnnpack');
  const engine = ours.int8!;
  const tfl = (await loadTfliteRuntime()).interpreter(bytes);
  const inQ = file.tensors[file.inputs[0]].quant!;
  let identical = 0, agree = 0, correctOurs = 0, correctTfl = 0;
  const q = new Int8Array(s.per);
  for (let i = 0; i < IMAGES; i++) {
    quantizeInt8(s.x.subarray(i * s.per, (i + 1) * s.per), { scale: inQ.scale[0], zeroPoint: inQ.zeroPoint[0] }, q, 'xnnpack');
    const a = engine.run(q)[0];
    tfl.setInput(0, q);
    tfl.invoke();
    const b = tfl.output(0) as Int8Array;
    if (a.every((v, j) => v === b[j])) identical++;
    if (argmax(a) === argmax(b)) agree++;
    if (argmax(a) === s.labels[i]) correctOurs++;
    if (argmax(b) === s.labels[i]) correctTfl++;
  }
  tfl.close();
  t.diagnostic(`identical outputs ${identical}/${IMAGES}, top-1 agreement ${agree}/${IMAGES}, accuracy TFLite ${correctTfl / 10}% ours ${correctOurs / 10}%`);
  assert.ok(identical >= 0.99 * IMAGES, `identical on ${identical} of ${IMAGES}`);
  assert.ok(agree >= 0.999 * IMAGES, `top-1 agrees on ${agree} of ${IMAGES}`);
  assert.equal(correctTfl, correctOurs);
});

test('float .tflite: real TFLite within 1e-4 of the float engine on 200 test images', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const bytes = writeTflite(floatGraph(s.trained));
  assert.deepEqual(checkTfliteRules(bytes), []);
  const ours = new GraphModel(readTflite(bytes));
  const tfl = (await loadTfliteRuntime()).interpreter(bytes);
  let worst = 0, agree = 0;
  const n = 200;
  for (let i = 0; i < n; i++) {
    const img = s.x.subarray(i * s.per, (i + 1) * s.per);
    const a = ours.forward(img, 1);
    tfl.setInput(0, img);
    tfl.invoke();
    const b = tfl.output(0);
    for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    if (argmax(a) === argmax(b)) agree++;
  }
  tfl.close();
  t.diagnostic(`largest difference ${worst.toExponential(2)}, top-1 agreement ${agree}/${n}`);
  assert.ok(worst < 1e-4, `largest difference ${worst}`);
  assert.equal(agree, n);
});
