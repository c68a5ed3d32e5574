// The public library API (src/index.ts) as a TypeScript user calls it: typed options checked with
// OptionError, progress events, AbortSignal, early stopping, and the CommonJS entry.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as cmv3 from '../src/index.js';
import { cifarOrSkip } from './helpers.js';
import { tinySpec } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('45.1 require("cmv3") gives the same exports as import, and runs', () => {
  const r = spawnSync(process.execPath, ['-e', `const c = require(${JSON.stringify(ROOT)}); console.log(JSON.stringify(Object.keys(c).sort()), c.CIFAR10_CLASSES[9], typeof c.exportModel)`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [keys, label, kind] = r.stdout.trim().split(' ');
  assert.deepEqual(JSON.parse(keys), Object.keys(cmv3).sort());
  assert.equal(label, 'truck');
  assert.equal(kind, 'function');
});

test('45.2 bad options are one OptionError each, before any work', async () => {
  const model = 'cmv3-w0.5-relu6-cifar10';
  const refused = async (p: Promise<unknown>, re: RegExp) => {
    await assert.rejects(p, (err: Error & { code?: string }) => err instanceof cmv3.OptionError && err.code === 'ERR_CMV3_OPTION' && re.test(err.message));
  };
  await refused(cmv3.exportModel(model, { format: 'pdf' as 'tflite' }), /Expected one of tflite, c, onnx for format but received "pdf"/);
  await refused(cmv3.exportModel(model, { format: 'onnx', int8: true }), /ONNX export is float32/);
  await refused(cmv3.quantize(model, { observer: 'max' as 'minmax' }), /Expected one of minmax, percentile, mse for observer/);
  await refused(cmv3.evaluate(model, { limit: 0 }), /Expected a positive integer for limit but received 0/);
  await refused(cmv3.report(model, { target: 'esp32' }), /Expected one of imxrt1060, stm32h7 for target/);
  await refused(cmv3.train({ recipe: 'fastest' }), /unknown recipe 'fastest'; use one of paper, fast/);
  await refused(cmv3.train({ precision: 'fp16' as 'f32' }), /Expected one of f32, bf16 for precision but received "fp16"/);
  await refused(cmv3.loadModel(model, { backend: 'cuda' as 'auto' }), /for backend/);
  await assert.rejects(cmv3.loadModel('no-such-model'), { code: 'ERR_CHECKPOINT_MISSING' });
});

test('45.3 exportModel: float32 .tflite and C sources from a loaded model, without writing unless asked', async () => {
  const m = await cmv3.loadModel('cmv3-w0.5-relu6-cifar10');
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-api-'));
  const f = await cmv3.exportModel(m, { format: 'tflite', out: join(dir, 'm.tflite') });
  assert.equal(f.dtype, 'float32');
  assert.deepEqual(f.files, [join(dir, 'm.tflite')]);
  assert.deepEqual(new Uint8Array(readFileSync(f.files[0])), f.bytes);
  const c = await cmv3.exportModel(m, { format: 'c' });
  assert.deepEqual(c.files, []);
  assert.match(c.sources!['labels.h'], /"airplane"/);
  assert.match(c.sources!['model_data.cc'], /alignas\(16\)/);
});

test('45.4 evaluate reports progress to the last image, and an aborted signal stops it with AbortError', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const seen: cmv3.Progress[] = [];
  const e = await cmv3.evaluate('cmv3-w0.5-relu6-cifar10', { data, limit: 600, onProgress: (p) => seen.push(p) });
  assert.equal(e.images, 600);
  assert.deepEqual(seen.map((p) => p.done), [250, 500, 600]);
  assert.equal(seen.at(-1)!.etaSeconds, 0);
  const ac = new AbortController();
  let batches = 0;
  await assert.rejects(cmv3.evaluate('cmv3-w0.5-relu6-cifar10', { data, limit: 1000, signal: ac.signal, onProgress: () => { if (++batches === 1) ac.abort(); } }), { name: 'AbortError' });
  assert.equal(batches, 1);
  const q: number[] = [];
  await cmv3.quantize('cmv3-w0.5-relu6-cifar10', { data, calibration: 8, observer: 'percentile', onProgress: (p) => q.push(p.done) });
  assert.deepEqual(q, Array.from({ length: 16 }, (_, i) => i + 1)); // histogram observers run each image twice
});

test('45.5 train: callbacks per step and epoch, early stopping saves a resumable run', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const out = join(mkdtempSync(join(tmpdir(), 'cmv3-api-')), 'run');
  let steps = 0;
  const epochs: number[] = [];
  const r = await cmv3.train({
    model: { ...tinySpec(), inputSize: 32, classes: 10 }, data, out, epochs: 4, batchSize: 32, limitTrain: 64, limitTest: 50,
    onStep: () => steps++, onEpoch: (m) => epochs.push(m.epoch),
    earlyStopping: { patience: 1, minDelta: 1 }, // no epoch can gain 100 points: stops after the second
  });
  assert.deepEqual(epochs, [1, 2]);
  assert.equal(steps, 4);
  assert.equal(r.finished, false);
  assert.equal(r.stoppedEarly, true);
  assert.equal(r.epochs, 2);
  assert.ok(existsSync(join(out, 'last.ckpt')) && existsSync(join(out, 'best.ckpt')));
  const more = await cmv3.resumeTraining(out);
  assert.equal(more.finished, true);
  assert.equal(more.epochs, 4);
});

test('45.6 compile and deploy write their folders and return their figures; a bad target is an OptionError', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-api-'));
  const model = 'cmv3-w0.5-relu6-cifar10';
  await assert.rejects(cmv3.compile(model, { target: 'cortex-m4', out: join(dir, 'c') }), { code: 'ERR_CMV3_OPTION', message: /Expected one of cortex-m7 for target/ });
  const c = await cmv3.compile(model, { target: 'cortex-m7', out: join(dir, 'c'), data, calibration: 8 });
  assert.ok(c.files.includes('cmv3_model.h') && existsSync(join(dir, 'c', 'cmv3_model.c')));
  assert.ok(c.arenaBytes > 0 && c.layers > 10);
  const d = await cmv3.deploy(model, { target: 'imxrt1060', out: join(dir, 'd'), data, calibration: 8 });
  assert.equal(d.runtime, 'tflite-micro');
  assert.ok(d.files.includes('model_data.cc') && existsSync(join(dir, 'd', 'main_example.cc')));
  assert.ok(d.arena!.tensorArenaSize >= d.arena!.plannedBytes);
  await assert.rejects(cmv3.deploy(model, { target: 'imxrt1060', out: join(dir, 'd'), data, calibration: 8 }), { code: 'ERR_CMV3_OPTION', message: /exists and is not empty/ });
});

test('45.7 studyFront reads a study: the shipped beat-cmv3 front', async () => {
  const r = await cmv3.studyFront(join(ROOT, 'studies', 'beat-cmv3'));
  assert.equal(r.space, 'cmv3-local');
  assert.deepEqual([...r.front].sort((a, b) => a - b), [27, 28]);
  await assert.rejects(cmv3.studyFront(join(ROOT, 'studies', 'none')), /no such study/);
});
