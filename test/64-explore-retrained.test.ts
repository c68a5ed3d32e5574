// Retrained candidates for bench:fidelity: finished run folders and checkpoints that record their
// training are read back; unfinished or unrecorded ones are refused with the fix.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { referenceBackend } from '../src/backend/reference.js';
import { SPACES } from '../src/explore/presets.js';
import { readRetrained } from '../src/explore/retrained.js';
import { decode, specKey } from '../src/explore/space.js';
import { captureCheckpoint, saveCheckpoint } from '../src/io/checkpoint.js';
import { buildNetwork } from '../src/models/build.js';
import { createRun, recordEpoch, type EpochMetrics } from '../src/train/run.js';
import { PAPER_RECIPE } from '../src/train/recipe.js';
import { tinySpec } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'cmv3-retrained-'));
const epoch = (n: number, testAcc: number): EpochMetrics =>
  ({ epoch: n, trainLoss: 1, trainAcc: 0.5, testLoss: 1, testAcc, lr: 0.01, imagesPerSec: 100, epochSeconds: 1, wallSeconds: n, dataWaitMs: 0 });

test('64.1 a run folder counts once finished, with its last epoch (not its best)', () => {
  const dir = join(root, 'run');
  createRun(dir, { version: 1, spec: tinySpec(), recipe: PAPER_RECIPE, seed: 1, epochs: 2, batchSize: 8, lr: 0.05, data: 'unused', limitTrain: null, limitTest: null,
    normalization: { mean: [0.5], std: [0.25] }, labels: ['a', 'b'], createdAt: new Date().toISOString() });
  recordEpoch(dir, epoch(1, 0.6));
  assert.throws(() => readRetrained(dir), /has not finished \(1 of 2 epochs\); finish it with cmv3 train --resume/);
  recordEpoch(dir, epoch(2, 0.55));
  const r = readRetrained(dir);
  assert.equal(r.epochs, 2);
  assert.equal(r.testAcc, 0.55);
  assert.equal(specKey(r.spec), specKey(tinySpec()));
});

test('64.2 a checkpoint counts when its metadata records the training, and is refused otherwise', () => {
  const net = buildNetwork(tinySpec(), { backend: referenceBackend }, 1);
  const recorded = join(root, 'recorded.ckpt'), bare = join(root, 'bare.ckpt');
  saveCheckpoint(recorded, captureCheckpoint(net, undefined, { source: { epochs: 30, testAcc: 0.8 } }));
  saveCheckpoint(bare, captureCheckpoint(net, undefined, { epoch: 3 }));
  assert.deepEqual({ ...readRetrained(recorded), spec: null }, { source: recorded, spec: null, epochs: 30, testAcc: 0.8 });
  assert.throws(() => readRetrained(bare), /records no finished training .*pass the run folder it was trained in/);
  assert.throws(() => readRetrained(join(root, 'missing')), /no such run folder or checkpoint/);
});

test('64.3 the packaged cmv3 weights are the cmv3-local base, with their training recorded', () => {
  // since 2026-12-05 the fast recipe's 25 epochs (README "Pretrained weights"); before, the paper recipe's 100
  const r = readRetrained('cmv3-w0.5-cifar10');
  assert.equal(r.epochs, 25);
  assert.ok(r.testAcc > 0.9 && r.testAcc < 0.91, `recorded test accuracy ${r.testAcc}`);
  const space = SPACES['cmv3-local'], base = decode(space, space.dims.map(() => 0));
  // the fast recipe trains without dropout (which changes no weight); otherwise the same network
  assert.equal(r.spec.dropout, 0);
  assert.equal(specKey({ ...r.spec, dropout: base.dropout }), specKey(base));
});
