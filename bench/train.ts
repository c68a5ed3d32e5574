// npm run bench:train [-- --batch-sizes 32,64,128 --steps 20 --rounds 5 --threads 2 --precisions f32,bf16 --no-torch --no-write]
// Training-step and inference throughput of cmv3 width 0.5 on the oneDNN backend, in float32 and
// with bf16 mixed precision (`cmv3 train --precision bf16`, where the CPU has AVX512_BF16), a
// per-op profile with each op's bytes set against the machine's streaming rate (its memory floor),
// and the same network in Debian's PyTorch for comparison; results go to
// BENCHMARKS.md. The two precisions alternate batch by batch (the machine drifts over a run); each
// precision's peak RSS at the largest batch comes from a child process of its own (--rss-only).
import { spawnSync } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOnednnAddon } from '../src/backend/onednn.js';
import { getBackend } from '../src/backend/select.js';
import { PRECISIONS, type Backend, type Precision } from '../src/backend/types.js';
import { Model } from '../src/model.js';
import { buildNetwork } from '../src/models/build.js';
import { resolveSpec } from '../src/models/registry.js';
import { Rng } from '../src/nn/random.js';
import { Optimizer } from '../src/optim/optimizer.js';
import { summarize } from '../src/summary.js';
import { trainingBlock } from '../src/train/trainer.js';
import { failer, median, parseOptions, type Fail } from './cli.js';
import { profiledBackend } from './profile.js';
import { writeSection } from './section.js';

const { values } = parseOptions('bench:train', {
  options: {
    'batch-sizes': { type: 'string', default: '32,64,128' }, steps: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' }, precisions: { type: 'string', default: 'f32,bf16' },
    rounds: { type: 'string', default: '5' },
    'no-torch': { type: 'boolean' }, 'no-write': { type: 'boolean' }, 'rss-only': { type: 'string' },
  },
});
const fail: Fail = failer('bench:train');
const batches = values['batch-sizes']!.split(',').map(Number);
for (const b of batches) if (!Number.isInteger(b) || b < 1) fail(`--batch-sizes takes positive integers separated by commas, not ${values['batch-sizes']}`);
const steps = Number(values.steps), threads = Number(values.threads), rounds = Number(values.rounds);
for (const [k, v] of Object.entries({ steps, threads, rounds })) {
  if (!Number.isInteger(v) || v < 1) fail(`--${k} must be a positive integer, not ${values[k as keyof typeof values]}`);
}
if (steps % rounds !== 0) fail(`--steps (${steps}) must be a multiple of --rounds (${rounds})`);
const perRound = steps / rounds;
const spec = resolveSpec('cmv3', { width: 0.5 });
const backend = await getBackend('onednn');
backend.setThreads(threads);
const GFLOP_PER_TRAIN_IMAGE = (6 * summarize(buildNetwork(spec, { backend })).macs) / 1e9; // fwd 2 + bwd 4 FLOP per MAC
const precisions = values.precisions!.split(',') as Precision[];
for (const p of precisions) if (!PRECISIONS.includes(p)) fail(`--precisions takes f32 and/or bf16, not ${p}`);
if (precisions.includes('bf16') && !backend.bf16Supported()) {
  console.log('bf16 rows skipped: this CPU has no AVX512_BF16');
  precisions.splice(precisions.indexOf('bf16'), 1);
}

function setup(b: Backend, n: number, precision: Precision = 'f32') {
  // The layout `cmv3 train` uses: blocked activations in float32 where the build has them.
  const model = new Model(buildNetwork(spec, { backend: b, precision, block: trainingBlock(b, precision) }, 1), b);
  const rng = new Rng(n);
  const x = Float32Array.from({ length: n * 32 * 32 * 3 }, () => rng.normal());
  const labels = Array.from({ length: n }, () => rng.int(10));
  const opt = new Optimizer(model.params(), { kind: 'sgd', lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-5 });
  return { model, x, labels, opt };
}

function time(fn: () => void, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / 1000;
}

/** This process's peak RSS (VmHWM), in MB. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

// --rss-only P: a fresh process trains 3 steps at the largest batch in precision P and prints its peak RSS.
if (values['rss-only']) {
  const { model, x, labels, opt } = setup(backend, Math.max(...batches), values['rss-only'] as Precision);
  for (let i = 0; i < 3; i++) model.trainStep(x, labels, opt, 0.01);
  console.log(JSON.stringify({ rssMb: peakRssMb() }));
  process.exit(0);
}
function childPeakRssMb(precision: Precision): number {
  const r = spawnSync(process.execPath, [process.argv[1], '--rss-only', precision, '--batch-sizes', String(Math.max(...batches)), '--threads', String(threads)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`peak RSS child for ${precision} failed: ${r.stderr.trim().split('\n').at(-1)}`);
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rssMb: number }).rssMb;
}

/**
 * The machine's compute limit at this thread count: oneDNN's best sgemm rate over a few square
 * sizes (5 timed repeats each after one warm-up), in GFLOP/s. Measured in this run, because
 * machines of the same kind differ between sessions.
 */
function sgemmPeakGflops(): { gflops: number; size: number } {
  const addon = loadOnednnAddon();
  let best = { gflops: 0, size: 0 };
  for (const n of [512, 1024, 2048]) {
    const a = new Float32Array(n * n).fill(1), b = new Float32Array(n * n).fill(0.5), c = new Float32Array(n * n);
    addon.sgemm(n, n, n, a, b, c);
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      addon.sgemm(n, n, n, a, b, c);
      const gflops = (2 * n * n * n) / ((performance.now() - t0) / 1000) / 1e9;
      if (gflops > best.gflops) best = { gflops, size: n };
    }
  }
  return best;
}
const peak = sgemmPeakGflops();
const limit = peak.gflops / GFLOP_PER_TRAIN_IMAGE;
console.log(`sgemm peak ${peak.gflops.toFixed(1)} GFLOP/s (n = ${peak.size}, ${threads} threads): compute limit ${limit.toFixed(0)} training images/s at ${GFLOP_PER_TRAIN_IMAGE.toFixed(4)} GFLOP each`);

interface Result { precision: Precision; batch: number; train: number; infer: number }
const ours: Result[] = [];
// Per batch size, the precisions' models live side by side and take turns, `rounds` times
// `steps / rounds` steps each (the first precision rotates), and the median round is the figure:
// the machine's speed moves from minute to minute here, and a turn-by-turn median keeps a slow
// minute from landing on one precision only.
for (const n of batches) {
  const runs = precisions.map((precision) => {
    const { model, x, labels, opt } = setup(backend, n, precision);
    const step = () => model.trainStep(x, labels, opt, 0.01);
    time(step, 3);
    return { precision, step, infer: () => model.forward(x, n, false), train: [] as number[], inference: [] as number[] };
  });
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < runs.length; j++) {
      const r = runs[(round + j) % runs.length];
      r.train.push((n * perRound) / time(r.step, perRound));
      r.inference.push((n * perRound) / time(r.infer, perRound));
    }
  }
  for (const r of runs) {
    const train = median(r.train), infer = median(r.inference);
    ours.push({ precision: r.precision, batch: n, train, infer });
    console.log(`cmv3 ${r.precision} batch ${n}: train ${train.toFixed(1)} img/s (${(train / limit).toFixed(3)} of the limit; rounds ${Math.min(...r.train).toFixed(1)}-${Math.max(...r.train).toFixed(1)}), inference ${infer.toFixed(1)} img/s`);
  }
}
const rss = new Map(precisions.map((pr) => [pr, childPeakRssMb(pr)]));
for (const [pr, mb] of rss) console.log(`cmv3 ${pr} peak RSS at batch ${Math.max(...batches)}: ${mb.toFixed(0)} MB (a process of its own)`);

/**
 * The machine's streaming rate through the same backend: a plain element-wise add over three
 * 67 MB buffers, counted as the profile counts an op (each buffer once), best of 5 after one
 * warm-up, in GB/s. An op that moved its buffers at this rate with free arithmetic would take
 * bytes / rate: its memory floor. This rate swings by a third from minute to minute here (other
 * tenants), so it is taken before each profile and the best of those is kept.
 */
let stream = 0;
// The three 67 MB buffers are made once and reused by each call (the first add touches y's pages).
let streamBuffers: [Float32Array, Float32Array, Float32Array] | undefined;
function measureStream(): void {
  const len = 16 << 20;
  streamBuffers ??= [new Float32Array(len).fill(1), new Float32Array(len).fill(2), new Float32Array(len)];
  const [a, b, y] = streamBuffers;
  backend.add(a, b, y);
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    backend.add(a, b, y);
    stream = Math.max(stream, (3 * 4 * len) / ((performance.now() - t0) / 1000) / 1e9);
  }
}

// Per-op profile at the largest batch, for each precision: ms, bytes and FLOP per step by op.
const nProf = Math.max(...batches);
const profSteps = 5;
interface OpCost { ms: number; bytes: number; flop: number }
const OTHER = 'other (JS: optimizer update, loss, dropout, glue)';
function profileAt(precision: Precision): { stepMs: number; ops: Map<string, OpCost> } {
  const prof = profiledBackend(backend);
  const p = setup(prof.backend, nProf, precision);
  p.model.trainStep(p.x, p.labels, p.opt, 0.01);
  prof.reset();
  const stepMs = (1000 * time(() => p.model.trainStep(p.x, p.labels, p.opt, 0.01), profSteps)) / profSteps;
  const ops = new Map(prof.rows().map((r) => [r.op, { ms: r.ms / profSteps, bytes: r.bytes / profSteps, flop: r.flop / profSteps }]));
  ops.set(OTHER, { ms: stepMs - [...ops.values()].reduce((a, o) => a + o.ms, 0), bytes: 0, flop: 0 });
  return { stepMs, ops };
}
// Alternated twice and averaged, as the rows above: one profile after the other drifts with the machine.
const profiles = precisions.map((pr) => ({ precision: pr, stepMs: 0, ops: new Map<string, OpCost>() }));
for (let round = 0; round < 2; round++) {
  for (const pf of profiles) {
    measureStream();
    const r = profileAt(pf.precision);
    pf.stepMs += r.stepMs / 2;
    for (const [op, c] of r.ops) {
      const o = pf.ops.get(op) ?? { ms: 0, bytes: 0, flop: 0 };
      pf.ops.set(op, { ms: o.ms + c.ms / 2, bytes: o.bytes + c.bytes / 2, flop: o.flop + c.flop / 2 });
    }
  }
}
const opNames = [...new Set(profiles.flatMap((pf) => [...pf.ops.keys()]))]
  .sort((a, b) => (profiles[0].ops.get(b)?.ms ?? 0) - (profiles[0].ops.get(a)?.ms ?? 0));
const cell = (pf: (typeof profiles)[number], op: string) => {
  const c = pf.ops.get(op);
  return c === undefined ? '- | -' : `${c.ms.toFixed(1)} | ${((c.ms / pf.stepMs) * 100).toFixed(1)}%`;
};
const profileLines = opNames.map((op) => `| ${op} | ${profiles.map((pf) => cell(pf, op)).join(' | ')} |`);
for (const pf of profiles) console.log(`profile ${pf.precision} at batch ${nProf}: ${pf.stepMs.toFixed(1)} ms per step`);
console.log(`streaming rate ${stream.toFixed(1)} GB/s (element-wise add over 3 x 67 MB, ${threads} threads, best before ${2 * profiles.length} profiles)`);
for (const l of profileLines) console.log(l);

// The same ops against the streaming rate: MB each moves per step, the rate it moved them at, and
// its memory floor (MB / streaming rate); convolutions also their GFLOP/s.
const floorMs = (c: OpCost) => c.bytes / 1e6 / stream;
const floorCell = (pf: (typeof profiles)[number], op: string) => {
  const c = pf.ops.get(op);
  if (c === undefined || c.bytes === 0) return '- | - | - | -';
  const gf = c.flop > 0 ? (c.flop / 1e6 / c.ms).toFixed(0) : '';
  return `${(c.bytes / 1e6).toFixed(0)} | ${(c.bytes / 1e6 / c.ms).toFixed(1)} | ${floorMs(c).toFixed(1)} | ${gf}`;
};
const floorLines = opNames.filter((op) => op !== OTHER).map((op) => `| ${op} | ${profiles.map((pf) => floorCell(pf, op)).join(' | ')} |`);
const floors = profiles.map((pf) => {
  const kernels = [...pf.ops.entries()].filter(([op]) => op !== OTHER);
  const floor = kernels.reduce((a, [, c]) => a + floorMs(c), 0), ms = kernels.reduce((a, [, c]) => a + c.ms, 0);
  const gb = kernels.reduce((a, [, c]) => a + c.bytes, 0) / 1e9;
  return { precision: pf.precision, floor, ms, gb };
});
for (const f of floors) console.log(`memory floor ${f.precision}: ${f.gb.toFixed(2)} GB per step, ${f.floor.toFixed(1)} ms at ${stream.toFixed(1)} GB/s, against ${f.ms.toFixed(1)} ms in the kernels`);
for (const l of floorLines) console.log(l);

// PyTorch twin on the identical graph.
let torch: { torch: string; results: { batch: number; train_images_per_s: number; infer_images_per_s: number; peak_rss_mb: number }[] } | null = null;
if (!values['no-torch']) {
  const graphPath = join(tmpdir(), `cmv3-graph-${process.pid}.json`);
  writeFileSync(graphPath, JSON.stringify(buildNetwork(spec, { backend }).root.graph()));
  const py = '/usr/bin/python3';
  if (!existsSync(py)) console.log('PyTorch baseline skipped: /usr/bin/python3 not found (apt-get install -y python3-torch)');
  else {
    const r = spawnSync(py, ['bench/torch_train.py', '--graph', graphPath, '--batch-sizes', batches.join(','), '--threads', String(threads),
      '--steps', String(steps), '--expect-params', String(summarize(buildNetwork(spec, { backend })).params.total)], { encoding: 'utf8' });
    if (r.status !== 0) console.log(`PyTorch baseline failed: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}`);
    else {
      torch = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      for (const t of torch!.results) console.log(`torch batch ${t.batch}: train ${t.train_images_per_s.toFixed(1)} img/s, inference ${t.infer_images_per_s.toFixed(1)} img/s, peak RSS ${t.peak_rss_mb.toFixed(0)} MB`);
    }
  }
}

if (!values['no-write']) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  // The model name does not tell these EPYCs apart: the vector extensions do (native/simd.h).
  const flags = existsSync('/proc/cpuinfo') ? (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').split(/\s+/) : [];
  const isa = flags.includes('avx512f') ? `AVX-512${flags.includes('avx512_bf16') ? ' with BF16' : ''}` : flags.includes('avx2') ? 'AVX2, no AVX-512' : 'no AVX2';
  const date = new Date().toISOString().slice(0, 10);
  const table = ours.map((o) => {
    const t = torch?.results.find((r) => r.batch === o.batch);
    const ratio = t ? `${(o.train / t.train_images_per_s).toFixed(2)}x` : 'n/a';
    const mb = o.batch === Math.max(...batches) ? rss.get(o.precision)!.toFixed(0) : '';
    return `| ${o.precision} | ${o.batch} | ${o.train.toFixed(1)} | ${(o.train / limit).toFixed(3)} | ${o.infer.toFixed(1)} | ${mb} | ${t ? t.train_images_per_s.toFixed(1) : 'n/a'} | ${t ? t.infer_images_per_s.toFixed(1) : 'n/a'} | ${ratio} |`;
  });
  const bestOf = (pr: Precision) => Math.max(...ours.filter((o) => o.precision === pr).map((o) => o.train));
  const best = bestOf('f32');
  const section = [
    `Measured ${date} on ${cpu} (${isa}), ${cpus().length} cores, ${threads} threads, Node ${process.version}, oneDNN backend; PyTorch ${torch?.torch ?? 'not run'} (Debian python3-torch, channels_last, same thread count, same network built from the same graph).`,
    `Command: \`npm run bench:train\` (${steps} timed steps per batch size and precision after 3 warm-up steps, in ${rounds} turns of ${perRound} alternating between the precisions, the median turn reported; random inputs; SGD+Nesterov update included).`,
    '',
    '| precision | batch | cmv3 train img/s | share of the compute limit | cmv3 inference img/s | cmv3 peak RSS MB | PyTorch train img/s (float32) | PyTorch inference img/s | train speed-up |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...table,
    '',
    `Activations: ${trainingBlock(backend) ? `float32 in blocks of ${trainingBlock(backend)} channels (the layout \`cmv3 train\` uses; NHWC with CMV3_LAYOUT=nhwc)` : 'NHWC'}, bf16 in NHWC. Precision bf16 is \`cmv3 train --precision bf16\`: the 1x1 convolutions over feature maps take bfloat16 inputs (rounded inside the batch norm before them where there is one, else by a pass of their own, \`toBf16\` in the profile) and sum in float32; everything else is float32. Inference rows run the same network in the same precision. The two precisions take turns within each batch size. Peak RSS is that of a separate process training 3 steps at the largest batch in that precision; PyTorch's is its process peak after that batch size ran.`,
    `Compute limit: ${GFLOP_PER_TRAIN_IMAGE.toFixed(4)} GFLOP per training image (3 x 2 FLOP per MAC) against oneDNN's float32 sgemm measured in this run at ${peak.gflops.toFixed(1)} GFLOP/s (${threads} threads, best of n = 512, 1024, 2048) is ${limit.toFixed(0)} images/s; the best float32 rate here, ${best.toFixed(1)} images/s, is ${(best / limit).toFixed(3)} of it (${(best * GFLOP_PER_TRAIN_IMAGE).toFixed(1)} GFLOP/s)${precisions.includes('bf16') ? `; the best bf16 rate, ${bestOf('bf16').toFixed(1)} images/s, is ${(bestOf('bf16') / limit).toFixed(3)} of the float32 limit` : ''}.`,
    '',
    `Where a training step's time goes at batch ${nProf} (${profiles.map((pf) => `${pf.precision} ${pf.stepMs.toFixed(1)} ms per step, ${((nProf * 1000) / pf.stepMs).toFixed(1)} img/s`).join('; ')}; timing wrappers on):`,
    '',
    `| op | ${profiles.map((pf) => `${pf.precision} ms per step | share`).join(' | ')} |`,
    `|---|${profiles.map(() => '---:|---:|').join('')}`,
    ...profileLines,
    '',
    `The same ops against memory. Streaming rate measured in this run: ${stream.toFixed(1)} GB/s (an element-wise add over three 67 MB buffers, ${threads} threads, each buffer counted once, best of the measurements before each profile). MB per step counts every buffer an op is given once per call, what it must read or write at least (two passes over a tensor, or a write's read-for-ownership, are not counted), so the memory floor, MB / streaming rate, is the op's time with free arithmetic if its data streamed from DRAM once (data the op before left in the L2 or L3 can beat it). GFLOP/s for convolutions at 2 FLOP per multiply-add.`,
    '',
    `| op | ${profiles.map((pf) => `${pf.precision} MB per step | GB/s | memory floor ms | GFLOP/s`).join(' | ')} |`,
    `|---|${profiles.map(() => '---:|---:|---:|---:|').join('')}`,
    ...floorLines,
    '',
    `Memory floor of the kernels per step: ${floors.map((f) => `${f.precision} ${f.gb.toFixed(2)} GB, ${f.floor.toFixed(1)} ms against ${f.ms.toFixed(1)} ms measured in them (${(f.ms / f.floor).toFixed(2)}x)`).join('; ')}. At the floor, with the JS glue as measured, batch ${nProf} would train at ${floors.map((f) => `${((nProf * 1000) / (f.floor + (profiles.find((p) => p.precision === f.precision)!.ops.get(OTHER)?.ms ?? 0))).toFixed(0)} images/s in ${f.precision}`).join(', ')}.`,
  ].join('\n');
  writeSection('bench:train', 'Training step throughput (cmv3 width 0.5)', section);
  console.log('wrote BENCHMARKS.md');
}
