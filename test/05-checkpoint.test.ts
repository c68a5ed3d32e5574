// Checkpoints: weights, BN statistics and optimizer state round-trip; damage is refused clearly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { referenceBackend } from '../src/backend/reference.js';
import { captureCheckpoint, loadCheckpoint, restoreCheckpoint, saveCheckpoint, CheckpointError } from '../src/io/checkpoint.js';
import { buildNetwork } from '../src/models/build.js';
import { Optimizer } from '../src/optim/optimizer.js';
import { tinySpec } from './fixtures.js';

const ctx = { backend: referenceBackend };
const dir = mkdtempSync(join(tmpdir(), 'cmv3-ckpt-'));

function saved() {
  const net = buildNetwork(tinySpec(), ctx, 1);
  const opt = new Optimizer(net.root.params(), { kind: 'adamw', lr: 0.01, weightDecay: 0.05 });
  for (const p of net.root.params()) p.grad.fill(0.1);
  opt.update(0.01);
  const path = join(dir, `model-${Math.random().toString(36).slice(2)}.ckpt`);
  saveCheckpoint(path, captureCheckpoint(net, opt, { epoch: 3 }));
  return { net, opt, path };
}

test('round trip restores weights, BN statistics, optimizer state and metadata exactly', () => {
  const { net, opt, path } = saved();
  const c = loadCheckpoint(path);
  assert.equal(c.meta.epoch, 3);
  assert.deepEqual(c.spec, net.spec);
  const fresh = buildNetwork(c.spec, ctx, 99);
  const freshOpt = new Optimizer(fresh.root.params(), c.optimizer!.settings);
  restoreCheckpoint(c, fresh, freshOpt);
  fresh.root.params().forEach((p, i) => assert.deepEqual(p.data, net.root.params()[i].data));
  fresh.root.buffers().forEach((b, i) => assert.deepEqual(b.data, net.root.buffers()[i].data));
  assert.equal(freshOpt.step, opt.step);
  freshOpt.v.forEach((v, i) => assert.deepEqual(v, opt.v[i]));
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temp files left');
});

test('truncated, corrupted and foreign files are refused with a code', () => {
  const { path } = saved();
  const good = readFileSync(path);
  const cases: [string, Buffer, string][] = [
    ['truncated', good.subarray(0, good.length - 100), 'ERR_CHECKPOINT_CORRUPT'],
    ['flipped byte', Buffer.from(good).fill(good[good.length - 500] ^ 1, good.length - 500, good.length - 499), 'ERR_CHECKPOINT_CORRUPT'],
    ['foreign', Buffer.from('PK\x03\x04 this is a zip file, not a checkpoint at all........................'), 'ERR_CHECKPOINT_FORMAT'],
    ['future version', Buffer.from(good).fill(9, 8, 9), 'ERR_CHECKPOINT_VERSION'],
  ];
  for (const [name, bytes, code] of cases) {
    const p = join(dir, `${name}.ckpt`);
    writeFileSync(p, bytes);
    assert.throws(() => loadCheckpoint(p), (e: Error) => e instanceof CheckpointError && e.code === code && e.message.includes(p), name);
  }
  assert.throws(() => loadCheckpoint(join(dir, 'missing.ckpt')), (e: CheckpointError) => e.code === 'ERR_CHECKPOINT_MISSING');
});

test('a checkpoint of another network is refused on restore', () => {
  const { path } = saved();
  const other = buildNetwork({ ...tinySpec(), classes: 7 }, ctx);
  assert.throws(() => restoreCheckpoint(loadCheckpoint(path), other), (e: CheckpointError) => e.code === 'ERR_CHECKPOINT_MISMATCH');
});
