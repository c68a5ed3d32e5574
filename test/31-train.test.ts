// cmv3 train on a small subset: run folder contents, exact resume, eval and predict.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { writeFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/io/checkpoint.js';
import { readCifar } from '../src/data/cifar.js';
import { createRun, readMetrics } from '../src/train/run.js';
import { PAPER_RECIPE } from '../src/train/recipe.js';
import { newRunConfig, train } from '../src/train/trainer.js';
import { loadTrained } from '../src/train/trained.js';
import { tinySpec } from './fixtures.js';
import { cifarOrSkip } from './helpers.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function config(data: string) {
  const spec = { ...tinySpec(), inputSize: 32, classes: 10, dropout: 0.2 };
  return newRunConfig({ spec, recipe: { ...PAPER_RECIPE, warmupEpochs: 0.5 }, seed: 5, epochs: 2, batchSize: 32, lr: 0.05, data, limitTrain: 160, limitTest: 50 });
}

test('an interrupted and resumed run ends exactly where the uninterrupted run ends', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const root = mkdtempSync(join(tmpdir(), 'cmv3-train-'));
  const a = join(root, 'a'), b = join(root, 'b');
  createRun(a, config(data));
  createRun(b, config(data));
  const whole = await train({ dir: a, backend: 'onednn' });
  assert.equal(whole.finished, true);
  // b stops mid-epoch (step 3 of 5), then again inside the second epoch, then finishes.
  assert.equal((await train({ dir: b, backend: 'onednn', maxSteps: 3 })).finished, false);
  assert.equal((await train({ dir: b, backend: 'onednn', maxSteps: 4 })).finished, false);
  assert.equal((await train({ dir: b, backend: 'onednn' })).finished, true);
  const ca = loadCheckpoint(join(a, 'last.ckpt')), cb = loadCheckpoint(join(b, 'last.ckpt'));
  for (const [name, v] of ca.tensors) assert.deepEqual(cb.tensors.get(name), v, name);
  assert.deepEqual(cb.optimizer!.m, ca.optimizer!.m);
  const ma = readMetrics(a), mb = readMetrics(b);
  assert.equal(mb.length, 2);
  assert.deepEqual(mb.map((m) => [m.trainLoss, m.testAcc]), ma.map((m) => [m.trainLoss, m.testAcc]));
  for (const f of ['config.json', 'metrics.jsonl', 'last.ckpt', 'best.ckpt', 'loss.svg', 'accuracy.svg']) assert.ok(existsSync(join(b, f)), f);
  assert.match(readFileSync(join(b, 'accuracy.svg'), 'utf8'), /<polyline/);
});

test('precision bf16: recorded in the run, resumed exactly, and different from float32', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const { getBackend } = await import('../src/backend/select.js');
  if (!(await getBackend('onednn')).bf16Supported()) return t.skip('this CPU has no AVX512_BF16');
  const root = mkdtempSync(join(tmpdir(), 'cmv3-bf16-'));
  const [a, b, f] = ['a', 'b', 'f32'].map((d) => join(root, d));
  createRun(a, { ...config(data), precision: 'bf16' });
  createRun(b, { ...config(data), precision: 'bf16' });
  createRun(f, config(data));
  assert.equal((await train({ dir: a, backend: 'onednn' })).finished, true);
  assert.equal((await train({ dir: b, backend: 'onednn', maxSteps: 3 })).finished, false);
  assert.equal((await train({ dir: b, backend: 'onednn' })).finished, true);
  assert.equal((await train({ dir: f, backend: 'onednn' })).finished, true);
  assert.equal(JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')).precision, 'bf16');
  const [ca, cb, cf] = [a, b, f].map((d) => loadCheckpoint(join(d, 'last.ckpt')));
  for (const [name, v] of ca.tensors) assert.deepEqual(cb.tensors.get(name), v, name);
  // The 1x1 convolutions ran on rounded inputs: the weights moved off the float32 run's, not far.
  const w = 'block1.1pw.conv.weight';
  assert.ok(ca.tensors.has(w), `${w} in ${[...ca.tensors.keys()].slice(0, 5).join(', ')}`);
  const da = ca.tensors.get(w)!, df = cf.tensors.get(w)!;
  let diff = 0, mag = 0;
  for (let i = 0; i < da.length; i++) { diff = Math.max(diff, Math.abs(da[i] - df[i])); mag = Math.max(mag, Math.abs(df[i])); }
  assert.ok(diff > 0 && diff < 0.05 * mag, `bf16 vs f32 weights: max difference ${diff} against magnitude ${mag}`);
});

test('precision bf16 on a CPU without AVX512_BF16: one-line refusals, for a new run and on resume', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const { getBackend } = await import('../src/backend/select.js');
  if ((await getBackend('auto')).name !== 'onednn') return t.skip('native addon not built');
  // oneDNN's ISA cap hides the bf16 instructions from this process, as on an older CPU.
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ONEDNN_MAX_CPU_ISA: 'AVX512_CORE', CMV3_DEBUG: '' } });
  const root = mkdtempSync(join(tmpdir(), 'cmv3-nobf16-'));
  const fresh = cli('train', '--precision', 'bf16', '--epochs', '1', '--data', data, '--out', join(root, 'new'));
  assert.equal(fresh.status, 2, fresh.stderr);
  assert.match(fresh.stderr, /^cmv3: error: precision bf16 needs a CPU with AVX512_BF16 \(or AMX\) for the onednn backend, which this one lacks; use precision f32\n$/);
  assert.equal(existsSync(join(root, 'new')), false, 'no run folder made');
  const old = join(root, 'old');
  createRun(old, { ...config(data), precision: 'bf16' });
  const resumed = cli('train', '--resume', old);
  assert.equal(resumed.status, 1, resumed.stderr);
  assert.match(resumed.stderr, /^cmv3: error: cannot continue .*old: precision bf16 needs a CPU with AVX512_BF16 .*; start a new run with --precision f32\n$/);
  assert.equal(existsSync(join(old, 'last.ckpt')), false, 'nothing trained');
});

test('a trained run loads for prediction from a PNG of any size', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const dir = join(mkdtempSync(join(tmpdir(), 'cmv3-train-')), 'run');
  createRun(dir, { ...config(data), epochs: 1 });
  await train({ dir, backend: 'onednn' });
  const trained = await loadTrained(dir);
  assert.equal(trained.checkpoint, join(dir, 'best.ckpt'));
  assert.equal(trained.labels[3], 'cat');
  const set = readCifar(data, 'test', 1);
  const png = new PNG({ width: 32, height: 32 });
  for (let p = 0; p < 1024; p++) { for (let k = 0; k < 3; k++) png.data[p * 4 + k] = set.pixels[p * 3 + k]; png.data[p * 4 + 3] = 255; }
  writeFileSync(join(dir, 'img.png'), PNG.sync.write(png));
  assert.ok(existsSync(join(dir, 'img.png')));
});
