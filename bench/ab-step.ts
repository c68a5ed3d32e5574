// In-process A/B of training-step variants of cmv3 width 0.5 (npm run bench:ab).
// Why in one process: run to run this machine moves a step's time by about 10%, more than the
// engine changes worth measuring (1-5%). Here the variants' models live side by side and take
// turns (rounds x steps each), so every variant sees the same machine; the median of the rounds
// is the figure. Variants are data: a precision, the activations' layout (NHWC, or blocked:
// f32-blocked) and what to switch off in the built network.
// --baseline PATH runs every variant a second time on another build of the addon (a copy of
// build/Release/cmv3_native.node made before a native change), loaded beside this one. The copy
// must take the calls this checkout's JS makes (e.g. a build from before bf16-only batch-norm
// outputs refuses y = null): build it from this checkout with only the native change undone.
// The starting variant rotates from round to round, so no variant always runs first.
import type { Backend } from '../src/backend/types.js';
import { Model } from '../src/model.js';
import { buildNetwork } from '../src/models/build.js';
import { resolveSpec } from '../src/models/registry.js';
import { BatchNormAct } from '../src/nn/batchnorm.js';
import { leaves } from '../src/nn/container.js';
import { Optimizer } from '../src/optim/optimizer.js';
import { addonBuilds } from './builds.js';
import { failer, median, parseOptions, type Fail } from './cli.js';

interface Variant {
  precision: 'f32' | 'bf16';
  /** activations in the blocked layout (LayerContext.block = the build's activationBlock()) */
  blocked?: boolean;
  /** halfOnly: batch norms also write float32; links: convolutions round their own inputs */
  cut: ('halfOnly' | 'links')[];
}

const VARIANTS: Record<string, Variant> = {
  f32: { precision: 'f32', cut: [] },
  'f32-blocked': { precision: 'f32', cut: [], blocked: true },
  bf16: { precision: 'bf16', cut: [] },
  'bf16-no-halfonly': { precision: 'bf16', cut: ['halfOnly'] },
  'bf16-no-links': { precision: 'bf16', cut: ['halfOnly', 'links'] },
};

const { values } = parseOptions('bench:ab', {
  options: {
    variants: { type: 'string', default: 'f32,bf16,bf16-no-halfonly' },
    batch: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '8' },
    steps: { type: 'string', default: '4' },
    threads: { type: 'string', default: '2' },
    baseline: { type: 'string' },
  },
});
const names = values.variants.split(',');
const fail: Fail = failer('bench:ab');
for (const n of names) if (!(n in VARIANTS)) fail(`unknown variant ${n} (known: ${Object.keys(VARIANTS).join(', ')})`);
const [batch, rounds, steps, threads] = [values.batch, values.rounds, values.steps, values.threads].map(Number);
for (const [k, v] of Object.entries({ batch, rounds, steps, threads })) {
  if (!Number.isInteger(v) || v < 1) fail(`--${k} must be a positive integer`);
}

const builds = addonBuilds(fail, values.baseline, threads, ['', '@baseline']);
if (names.some((n) => VARIANTS[n].precision === 'bf16') && !builds[0][1].bf16Supported()) fail('this CPU has no bfloat16 convolutions: use --variants f32');
const spec = resolveSpec('cmv3', { width: 0.5 });
// Deterministic inputs: the same images and labels for every variant.
const images = Float32Array.from({ length: batch * 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37));
const labels = Array.from({ length: batch }, (_, i) => i % 10);

const runs = names.flatMap((name) => builds.map(([suffix, b]) => variant(name, suffix, b)));

function variant(name: string, suffix: string, backend: Backend) {
  const v = VARIANTS[name];
  const block = v.blocked ? backend.activationBlock() : 0;
  if (v.blocked && block === 0) fail('variant f32-blocked needs a build with AVX2 or AVX-512 (this one has no blocked kernels)');
  const net = buildNetwork(spec, { backend, precision: v.precision, block }, 1);
  for (const l of leaves(net.root)) {
    if (!(l instanceof BatchNormAct)) continue;
    if (v.cut.includes('halfOnly')) l.halfOnly = false;
    if (v.cut.includes('links')) l.halfFor = null;
  }
  const model = new Model(net, backend);
  const opt = new Optimizer(model.params(), { kind: 'sgd', lr: 0.01, momentum: 0.9, nesterov: true });
  return { name: name + suffix, step: () => model.trainStep(images, labels, opt, 0.01), ms: [] as number[] };
}

for (const r of runs) for (let i = 0; i < 3; i++) r.step(); // warm-up: primitives, buffers
for (let round = 0; round < rounds; round++) {
  for (let j = 0; j < runs.length; j++) {
    const r = runs[(round + j) % runs.length];
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) r.step();
    r.ms.push((performance.now() - t0) / steps);
  }
}
console.log(`cmv3 width 0.5, batch ${batch}, ${threads} threads: ${rounds} rounds x ${steps} steps per variant, in turn`);
console.log('| variant | median ms per step | min | max | images/s (median) |');
console.log('|---|---:|---:|---:|---:|');
for (const r of runs) {
  const med = median(r.ms);
  console.log(`| ${r.name} | ${med.toFixed(1)} | ${Math.min(...r.ms).toFixed(1)} | ${Math.max(...r.ms).toFixed(1)} | ${((batch * 1000) / med).toFixed(1)} |`);
}
