// Fine-tuning: --init starts a run from trained weights, --act swaps an activation in the spec.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint } from '../src/io/checkpoint.js';
import { replaceActivation } from '../src/models/registry.js';
import { CMV3 } from '../src/models/builtin.js';
import { pretrainedPath } from '../src/train/pretrained.js';
import { cifarOrSkip } from './helpers.js';

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CMV3_DEBUG: '' } });

test('replaceActivation swaps every use and keeps the parameters', () => {
  const s = replaceActivation(CMV3, 'mish', 'relu6');
  assert.ok(!JSON.stringify(s).includes('"mish"'));
  assert.ok(JSON.stringify(CMV3).includes('"mish"'), 'the original is untouched');
  assert.throws(() => replaceActivation(s, 'mish', 'relu'), /uses no mish activation/);
});

test('train --init --act mish=relu6 starts from the shipped weights', (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const out = join(mkdtempSync(join(tmpdir(), 'cmv3-ft-')), 'run');
  const r = run('train', '--init', 'cmv3-w0.5-cifar10', '--act', 'mish=relu6', '--data', data, '--epochs', '1', '--batch-size', '32',
    '--lr', '1e-9', '--limit-train', '64', '--limit-test', '64', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /starting from the weights of .*cmv3-w0\.5-cifar10\.ckpt/);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.match(config.init, /cmv3-w0\.5-cifar10\.ckpt$/);
  assert.ok(!JSON.stringify(config.spec).includes('"mish"'));
  const before = loadCheckpoint(pretrainedPath('cmv3-w0.5-cifar10')!), after = loadCheckpoint(join(out, 'last.ckpt'));
  let worst = 0;
  for (const [name, a] of before.tensors) {
    if (!name.endsWith('.weight')) continue;
    const b = after.tensors.get(name)!;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  assert.ok(worst < 1e-6, `weights moved by ${worst} at lr 1e-9`);
  const bad = run('train', '--init', 'cmv3-w0.5-cifar10', '--width', '1', '--data', data, '--out', out + '2');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^cmv3: error: --init takes the network from the checkpoint/);
  const bad2 = run('train', '--init', 'cmv3-w0.5-cifar10', '--act', 'mish=gelu', '--data', data, '--out', out + '3');
  assert.equal(bad2.status, 1);
  assert.match(bad2.stderr, /Expected FROM=TO with activations/);
});
