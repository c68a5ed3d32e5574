// Crash safety of training: kill -9 at random instants, resume each time, and the run ends as the
// uninterrupted one does: every epoch recorded once, the same final weights, best.ckpt present
// whenever a best accuracy is recorded, and no temp file left behind.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../src/io/checkpoint.js';
import { Rng } from '../src/nn/random.js';
import { cifarOrSkip } from './helpers.js';
import { tinyCifarSpecFile } from './fixtures.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const EPOCHS = 6;

function train(args: string[]) {
  return spawnSync(process.execPath, [CLI, 'train', ...args], { encoding: 'utf8', env: { ...process.env, CMV3_DEBUG: '' } });
}

/** Starts `cmv3 train`, kills it with SIGKILL after `ms`, resolves when it is gone. */
function trainKilledAfter(args: string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'train', ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', () => { clearTimeout(timer); resolve(); });
  });
}

const metrics = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; testAcc: number });

test('kill -9 at random instants, then resume: no epoch lost or repeated, best.ckpt kept, no temp file left', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const root = mkdtempSync(join(tmpdir(), 'cmv3-crash-'));
  const specPath = tinyCifarSpecFile(root);
  const common = ['--model', specPath, '--data', data, '--epochs', String(EPOCHS), '--limit-train', '256', '--limit-test', '100', '--batch-size', '32', '--threads', '1'];

  const clean = join(root, 'clean');
  const c = train([...common, '--out', clean]);
  assert.equal(c.status, 0, c.stderr);

  const crashed = join(root, 'crashed');
  const rng = new Rng(20261205);
  let kills = 0;
  // The first run creates the folder; every later one resumes it. Kill instants spread from
  // start-up to well past an epoch, so some land while checkpoints are written.
  for (let i = 0; i < 12; i++) {
    const args = existsSync(join(crashed, 'config.json')) ? ['--resume', crashed, '--threads', '1'] : [...common, '--out', crashed];
    await trainKilledAfter(args, 300 + rng.int(1500));
    kills++;
    if (existsSync(join(crashed, 'metrics.jsonl')) && metrics(crashed).some((m) => m.epoch === EPOCHS)) break;
  }
  // A dead writer's temp file, as a kill in the middle of writeAtomic leaves it.
  writeFileSync(join(crashed, 'last.ckpt.tmp-999999999'), 'half a checkpoint');
  const r = train(['--resume', crashed, '--threads', '1']);
  assert.equal(r.status, 0, r.stderr);
  t.diagnostic(`${kills} kills`);

  assert.deepEqual(metrics(crashed).map((m) => m.epoch), Array.from({ length: EPOCHS }, (_, i) => i + 1));
  assert.deepEqual(metrics(crashed).map((m) => m.testAcc), metrics(clean).map((m) => m.testAcc));
  const a = loadCheckpoint(join(clean, 'last.ckpt')), b = loadCheckpoint(join(crashed, 'last.ckpt'));
  for (const [name, v] of a.tensors) assert.deepEqual(b.tensors.get(name), v, name);
  const best = loadCheckpoint(join(crashed, 'best.ckpt'));
  assert.equal((best.meta.position as { bestAcc: number }).bestAcc, Math.max(...metrics(crashed).map((m) => m.testAcc)));
  assert.deepEqual(readdirSync(crashed).filter((f) => f.includes('.tmp-')), []);
  rmSync(root, { recursive: true, force: true });
});

test('a kill between writing best.ckpt and last.ckpt, and a lost best.ckpt: the resumed run writes it again', (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const root = mkdtempSync(join(tmpdir(), 'cmv3-best-'));
  const specPath = tinyCifarSpecFile(root);
  const run = join(root, 'run');
  const common = ['--model', specPath, '--data', data, '--limit-train', '128', '--limit-test', '100', '--batch-size', '32', '--threads', '1'];
  assert.equal(train([...common, '--epochs', '2', '--out', run]).status, 0);
  // What a kill right after last.ckpt (the order before this fix) left: a best accuracy recorded
  // in last.ckpt and no best.ckpt. Resume must say so and write best.ckpt at its next epoch.
  rmSync(join(run, 'best.ckpt'));
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  writeFileSync(join(run, 'config.json'), JSON.stringify({ ...config, epochs: 3 }));
  const r = train(['--resume', run]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /best\.ckpt is missing or damaged \(ERR_CHECKPOINT_MISSING\); the next epoch writes a new best\.ckpt/);
  assert.match(r.stdout, /checkpoints in .* \(best\.ckpt, last\.ckpt\)/);
  const best = loadCheckpoint(join(run, 'best.ckpt'));
  assert.equal((best.meta.position as { epoch: number }).epoch, 3);
  rmSync(root, { recursive: true, force: true });
});
