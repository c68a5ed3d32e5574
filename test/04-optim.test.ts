// Optimizers against hand-derived updates; schedules at their landmarks; decay only where marked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newParam } from '../src/nn/layer.js';
import { Optimizer } from '../src/optim/optimizer.js';
import { learningRate } from '../src/optim/schedule.js';

function pair() {
  const w = newParam('w', [1], true), b = newParam('b', [1], false);
  w.data[0] = 1; b.data[0] = 1; w.grad[0] = 0.5; b.grad[0] = 0.5;
  return { w, b };
}
const close = (a: number, b: number, msg: string) => assert.ok(Math.abs(a - b) < 1e-6, `${msg}: ${a} vs ${b}`);

test('SGD with momentum and L2 decay on weights only', () => {
  const { w, b } = pair();
  const opt = new Optimizer([w, b], { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
  opt.update(0.1);
  close(w.data[0], 1 - 0.1 * (0.5 + 0.1), 'w step 1');
  close(b.data[0], 1 - 0.1 * 0.5, 'b step 1 (no decay)');
  opt.update(0.1);
  close(b.data[0], 0.95 - 0.1 * (0.9 * 0.5 + 0.5), 'b step 2 (momentum)');
});

test('SGD Nesterov', () => {
  const { b } = pair();
  const opt = new Optimizer([b], { kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true });
  opt.update(0.1);
  close(b.data[0], 1 - 0.1 * (0.5 + 0.9 * 0.5), 'nesterov step 1');
});

test('Adam first step moves each weight by lr; AdamW decays decoupled, Adam adds L2 to the gradient', () => {
  const a = pair();
  new Optimizer([a.w, a.b], { kind: 'adam', lr: 0.01 }).update(0.01);
  close(a.w.data[0], 1 - 0.01, 'adam w');
  close(a.b.data[0], 1 - 0.01, 'adam b');
  const d = pair();
  new Optimizer([d.w, d.b], { kind: 'adamw', lr: 0.01, weightDecay: 0.1 }).update(0.01);
  close(d.w.data[0], 1 - 0.01 - 0.01 * 0.1 * 1, 'adamw w decoupled decay');
  close(d.b.data[0], 1 - 0.01, 'adamw b no decay');
  const l2 = pair();
  l2.w.grad[0] = -0.05; // with L2 0.1 * w(1) the effective gradient is +0.05: the step flips sign
  new Optimizer([l2.w], { kind: 'adam', lr: 0.01, weightDecay: 0.1 }).update(0.01);
  close(l2.w.data[0], 1 - 0.01, 'adam L2');
});

test('bad optimizer settings are refused', () => {
  const { w } = pair();
  assert.throws(() => new Optimizer([w], { kind: 'rmsprop' as 'sgd', lr: 0.1 }), /Expected sgd\|adam\|adamw/);
  assert.throws(() => new Optimizer([w], { kind: 'sgd', lr: -1 }), /lr/);
});

test('cosine with linear warm-up, step decay', () => {
  const cos = { kind: 'cosine', base: 0.1, totalSteps: 110, warmupSteps: 10 } as const;
  close(learningRate(cos, 0), 0.01, 'warm-up start');
  close(learningRate(cos, 9), 0.1, 'warm-up end');
  close(learningRate(cos, 10), 0.1, 'cosine start');
  close(learningRate(cos, 60), 0.05, 'cosine middle');
  close(learningRate(cos, 110), 0, 'cosine end');
  const step = { kind: 'step', base: 0.1, stepSize: 30, gamma: 0.1 } as const;
  close(learningRate(step, 29), 0.1, 'step before');
  close(learningRate(step, 30), 0.01, 'step after');
  close(learningRate(step, 65), 0.001, 'step twice');
});

test('linear decay to zero after warm-up (the fast recipe): the last step still moves', () => {
  const lin = { kind: 'linear', base: 0.2, totalSteps: 110, warmupSteps: 10 } as const;
  close(learningRate(lin, 9), 0.2, 'warm-up end');
  close(learningRate(lin, 10), 0.2, 'decay start');
  close(learningRate(lin, 60), 0.1, 'half way');
  close(learningRate(lin, 109), 0.2 / 100, 'last step');
  close(learningRate(lin, 110), 0, 'after the end');
});

test('bnBiasLrScale multiplies the lr of batch-norm shifts only', () => {
  const { w, b } = pair();
  const shift = newParam('bn.beta', [1], false);
  shift.group = 'bnBias'; shift.data[0] = 1; shift.grad[0] = 0.5;
  const opt = new Optimizer([w, b, shift], { kind: 'sgd', lr: 0.1, momentum: 0.9, bnBiasLrScale: 8 });
  opt.update(0.1);
  close(w.data[0], 1 - 0.1 * 0.5, 'weight at lr');
  close(b.data[0], 1 - 0.1 * 0.5, 'plain bias at lr');
  close(shift.data[0], 1 - 0.8 * 0.5, 'BN shift at 8x lr');
  assert.throws(() => new Optimizer([w], { kind: 'sgd', lr: 0.1, bnBiasLrScale: -1 }), /bnBiasLrScale/);
});
