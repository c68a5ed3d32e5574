// npm run bench:paper [-- --no-write]   |   npm run bench:paper -- --train [--dry-run]
// The paper's Table II and its ablation at full training, beside the paper's figures: each row's
// final-epoch float32 test accuracy (metrics.jsonl), its int8 test accuracy per observer, the int8
// and float32 .tflite sizes, the planned arena and the estimated latency on the i.MX RT1060 (TFLite
// Micro), and cmv3's own C on the emulated Cortex-M7 (`cmv3 emulate`: instructions per image, arena).
// Measuring a row's int8 figures takes minutes (three calibrations and 10,000 int8 images each), so
// they are kept beside its run in paper-figures.json (committed with the run) and measured again only
// when that file is missing; paper-figures.partial.json keeps the observers done so far.
// Rows whose runs are missing or unfinished are listed as such. Needs the machine to itself.
// --train instead trains, one after the other, every run of the tables that is missing (from the
// row's `train` settings) or unfinished (`cmv3 train --resume`), and stops at the first that does
// not finish: Ctrl-C saves that run's last.ckpt, so the runs span sessions (commit the folder, run
// it again next time). --dry-run prints the commands without running them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { evaluate } from '../src/api/evaluate.js';
import { exportModel, report } from '../src/api/deploy.js';
import { emulate } from '../src/api/mcu.js';
import { loadModel } from '../src/api/model.js';
import { summarize } from '../src/summary.js';
import { buildNetwork } from '../src/models/build.js';
import { referenceBackend } from '../src/backend/reference.js';
import type { NetworkSpec } from '../src/models/spec.js';
import { pretrainedPath } from '../src/train/pretrained.js';
import { loadCheckpoint } from '../src/io/checkpoint.js';
import { findCifar } from '../test/helpers.js';
import { writeSection } from './section.js';
import { failer, parseOptions, type Fail } from './cli.js';

/** A table row: its runs (seed i+1 in runs[i]), how they are trained (`cmv3 train` options but the seed and folder), the shipped name. */
interface Row { label: string; runs: string[]; train: string[]; weights?: string; paperAcc: number; paperSize?: string; paperParams?: number }
/** cmv3 emulate on the best observer's int8 model: counts on QEMU, not cycles on a board. */
interface Emulated { images: number; bitExact: number; instructionsPerImage: number; arenaBytes: number; stackBytes: number; flashBytes: number }
interface Figures { checkpoint: string; int8: Record<string, number>; int8Bytes: number; float32Bytes: number; arenaBytes: number; latencyMs: number; measured: string; emulated?: Emulated | string }

const cmv3 = (width: number) => ['--model', 'cmv3', '--width', String(width), '--recipe', 'fast'];
const TABLE2: Row[] = [
  { label: 'width 0.35', runs: ['runs/table2-w0.35-fast-s1'], train: cmv3(0.35), weights: 'cmv3-w0.35-cifar10', paperAcc: 87.36, paperSize: '1.9 MB' },
  { label: 'width 0.5', runs: ['runs/fast-e25-s1', 'runs/fast-e25-s2', 'runs/fast-e25-s3'], train: cmv3(0.5), weights: 'cmv3-w0.5-cifar10', paperAcc: 89.13, paperSize: '2.3 MB', paperParams: 171946 },
  { label: 'width 0.75', runs: ['runs/table2-w0.75-fast-s1'], train: cmv3(0.75), weights: 'cmv3-w0.75-cifar10', paperAcc: 90.10, paperSize: '3.6 MB' },
  { label: 'width 1.0', runs: ['runs/table2-w1.0-fast-s1'], train: cmv3(1), weights: 'cmv3-w1.0-cifar10', paperAcc: 90.64, paperSize: '5.2 MB' },
  { label: 'width 1.5', runs: ['runs/table2-w1.5-fast-s1'], train: cmv3(1.5), weights: 'cmv3-w1.5-cifar10', paperAcc: 91.39, paperSize: '10.5 MB' },
];
const ABLATION: Row[] = [
  { label: 'MobileNetV3-Small width 1.0 (baseline)', runs: ['runs/ablation-mnv3s-w1.0-fast-s1'], train: ['--model', 'mobilenetv3-small', '--width', '1', '--recipe', 'fast'], paperAcc: 88.93, paperParams: 1846930 },
  { label: 'DPD blocks, ReLU, original expansions', runs: ['runs/ablation-dpd-relu-fast-s1'], train: ['--model', 'bench/specs/ablation-dpd-relu.json', '--recipe', 'fast'], paperAcc: 84.56 },
  { label: '+ enlarged expansions (ReLU)', runs: ['runs/ablation-dpd-relu-exp-fast-s1', 'runs/ablation-dpd-relu-exp-fast-s2', 'runs/ablation-dpd-relu-exp-fast-s3'], train: ['--model', 'bench/specs/ablation-dpd-relu-exp.json', '--recipe', 'fast'], paperAcc: 88.14 },
  { label: '+ Mish after DPD (CMV3 width 0.5)', runs: ['runs/fast-e25-s1', 'runs/fast-e25-s2', 'runs/fast-e25-s3'], train: cmv3(0.5), weights: 'cmv3-w0.5-cifar10', paperAcc: 89.13, paperParams: 171946 },
];
const OBSERVERS = ['minmax', 'percentile', 'mse'] as const;

const { values } = parseOptions('bench:paper', { options: { 'no-write': { type: 'boolean' }, train: { type: 'boolean' }, 'dry-run': { type: 'boolean' } } });
const usage: Fail = failer('bench:paper'), fail: Fail = failer('bench:paper', 1);
if (values['dry-run'] && !values.train) usage('--dry-run goes with --train');
const found = findCifar();
if (!found) fail('CIFAR-10 not found; set CMV3_DATA to the cifar-10-batches-bin folder');
const data: string = found;
if (values.train) trainMissing();

/**
 * The first seed's final weights: the shipped name when the package holds that run's final epoch
 * (the same tensors, scripts/package-pretrained.mjs, and a name a clone can resolve; its recorded
 * seed and test accuracy must be the run's, so a run trained again after packaging is not taken
 * for it), else the run's last.ckpt.
 */
function weightsOf(row: Row): string | undefined {
  const run = row.runs[0], last = join(run, 'last.ckpt');
  const packaged = row.weights ? pretrainedPath(row.weights) : null;
  if (row.weights && packaged && sameRun(packaged, run)) return row.weights;
  return existsSync(last) ? last : undefined;
}

function sameRun(packaged: string, run: string): boolean {
  const final = finalEpoch(run);
  if (typeof final === 'string') return false;
  const source = loadCheckpoint(packaged).meta.source as { seed?: number; testAcc?: number } | undefined;
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { seed?: number };
  return source?.seed === config.seed && source?.testAcc !== undefined && Math.abs(100 * source.testAcc - final.acc) < 1e-9;
}

/** The run's parameter count, from the network spec in its config.json: needs no weights, so a clone without last.ckpt shows it. */
function paramsOf(run: string): number {
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { spec: NetworkSpec };
  return summarize(buildNetwork(config.spec, { backend: referenceBackend })).params.total;
}

/** The run's final epoch, or why there is none yet. */
function finalEpoch(run: string): { acc: number; epochs: number; wall: number } | string {
  if (!existsSync(join(run, 'metrics.jsonl'))) return `${run} not trained yet`;
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  const m = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const last = m[m.length - 1];
  if (last.epoch !== config.epochs) return `${run} at epoch ${last.epoch} of ${config.epochs}`;
  return { acc: 100 * last.testAcc, epochs: last.epoch, wall: last.wallSeconds };
}

/** --train: every unfinished run of both tables, in table order, each to its end; exits. */
function trainMissing(): never {
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const commands: string[][] = [];
  const seen = new Set<string>();
  for (const row of [...TABLE2, ...ABLATION]) {
    row.runs.forEach((run, i) => {
      if (seen.has(run) || typeof finalEpoch(run) !== 'string') return;
      seen.add(run);
      commands.push(existsSync(join(run, 'last.ckpt')) ? ['train', '--resume', run]
        : ['train', ...row.train, '--seed', String(i + 1), '--data', data, '--out', run]);
    });
  }
  if (commands.length === 0) console.log('bench:paper: every run is trained; measure them with npm run bench:paper');
  // Ctrl-C reaches the training child too, which saves last.ckpt before it exits: wait for it.
  process.on('SIGINT', () => {});
  for (const args of commands) {
    console.log(`bench:paper: npx cmv3 ${args.join(' ')}`);
    if (values['dry-run']) continue;
    const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
    if (r.status !== 0) {
      fail(`stopped: that run exited with ${r.status ?? r.signal}; commit its folder (config.json, metrics.jsonl, the plots, last.ckpt) and run npm run bench:paper -- --train again to continue`);
    }
  }
  process.exit(0);
}

/** The int8 and MCU figures of the first seed's final weights: from paper-figures.json, else measured now. */
async function figures(row: Row): Promise<Figures | string> {
  const run = row.runs[0], file = join(run, 'paper-figures.json');
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Figures;
    if (typeof kept.emulated === 'object') return kept;
    // Not emulated yet (an older file, or the toolchain was missing then): only that part again.
    const best = OBSERVERS.reduce((a, b) => (kept.int8[b] > kept.int8[a] ? b : a));
    kept.emulated = await emulated(kept.checkpoint, best);
    writeFileSync(file, JSON.stringify(kept, null, 2) + '\n');
    return kept;
  }
  const checkpoint = weightsOf(row);
  if (!checkpoint) return `${run}/last.ckpt missing`;
  const model = await loadModel(checkpoint);
  // Each observer's figure is kept as it comes, so a row stopped part-way (a session's end) goes on
  // from the next observer; the partial file goes once the row is whole.
  const partialFile = join(run, 'paper-figures.partial.json');
  // Keyed by the weights and the run's final accuracy: a run trained again into the folder starts over.
  const final = finalEpoch(run), testAcc = typeof final === 'string' ? null : final.acc;
  const partial = existsSync(partialFile) ? JSON.parse(readFileSync(partialFile, 'utf8')) as { checkpoint: string; testAcc: number | null; int8: Record<string, number> } : null;
  const int8: Record<string, number> = partial?.checkpoint === checkpoint && partial.testAcc === testAcc ? partial.int8 : {};
  for (const observer of OBSERVERS) {
    if (int8[observer] !== undefined) continue;
    int8[observer] = 100 * (await evaluate(model, { data, int8: { data, observer } })).top1;
    writeFileSync(partialFile, JSON.stringify({ checkpoint, testAcc, int8 }, null, 2) + '\n');
  }
  const best = OBSERVERS.reduce((a, b) => (int8[b] > int8[a] ? b : a));
  const r = await report(model, { data, observer: best });
  const f32 = await exportModel(model, { format: 'tflite' });
  const out: Figures = { checkpoint, int8, int8Bytes: r.flash.modelBytes, float32Bytes: f32.bytes.length, arenaBytes: r.sram.arenaBytes, latencyMs: r.latencyMs, measured: new Date().toISOString().slice(0, 10),
    emulated: await emulated(checkpoint, best) };
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  rmSync(partialFile, { force: true });
  return out;
}

/** cmv3's C for that int8 model on the emulated Cortex-M7 (10 test images), or why not. */
async function emulated(checkpoint: string, observer: (typeof OBSERVERS)[number]): Promise<Emulated | string> {
  try {
    const e = await emulate(checkpoint, { target: 'cortex-m7', images: 10, data, observer });
    return { images: e.images, bitExact: e.bitExact, instructionsPerImage: e.instructionsPerImage, arenaBytes: e.arenaBytes, stackBytes: e.stackBytes, flashBytes: e.flashBytes };
  } catch (err) {
    return `not emulated: ${(err as Error).message}`;
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');
const emulatedCell = (e: Emulated | string | undefined) => (e === undefined ? 'not measured' : typeof e === 'string' ? e
  : `${fmt(e.instructionsPerImage)} instr., arena ${fmt(e.arenaBytes)} B${e.bitExact === e.images ? '' : ` (only ${e.bitExact} of ${e.images} outputs equal to the int8 engine)`}`);
async function table(rows: Row[]): Promise<string[]> {
  const lines = ['| row | paper accuracy | paper size | params (Keras total) | float32 test, final epoch | vs paper | int8 test (minmax / percentile / mse) | int8 .tflite | float32 .tflite | TFLite Micro arena | est. latency (TFLite Micro) | cmv3 C, emulated Cortex-M7 |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const row of rows) {
    const finals = row.runs.map(finalEpoch);
    const done = finals.filter((f): f is { acc: number; epochs: number; wall: number } => typeof f !== 'string');
    if (typeof finals[0] === 'string') { lines.push(`| ${row.label} | ${row.paperAcc.toFixed(2)}% | ${row.paperSize ?? ''} | | ${finals[0]} | | | | | | | |`); continue; }
    const params = fmt(paramsOf(row.runs[0]));
    const mean = done.reduce((s, f) => s + f.acc, 0) / done.length;
    const sd = Math.sqrt(done.reduce((s, f) => s + (f.acc - mean) ** 2, 0) / Math.max(1, done.length - 1));
    const acc = done.length > 1 ? `${mean.toFixed(2)}% (${done.map((f) => f.acc.toFixed(2)).join(' / ')}; sd ${sd.toFixed(2)})` : `${mean.toFixed(2)}%`;
    const f = await figures(row);
    const fig = typeof f === 'string' ? [f, '', '', '', '', ''] : [
      OBSERVERS.map((o) => `${f.int8[o].toFixed(2)}%`).join(' / '), `${fmt(f.int8Bytes)} B`, `${fmt(f.float32Bytes)} B`, `${fmt(f.arenaBytes)} B`, `~${f.latencyMs.toFixed(0)} ms (estimate)`, emulatedCell(f.emulated)];
    const delta = (typeof finals[0] === 'string' ? NaN : finals[0].acc) - row.paperAcc;
    lines.push(`| ${row.label} | ${row.paperAcc.toFixed(2)}% | ${row.paperSize ?? ''} | ${params}${row.paperParams ? ` (paper ${fmt(row.paperParams)})` : ''} | ${acc} | ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} | ${fig.join(' | ')} |`);
  }
  return lines;
}

const t2 = await table(TABLE2), ab = await table(ABLATION);
const body = [
  `Measured on ${new Date().toISOString().slice(0, 10)} (each row's int8 figures on the date in its paper-figures.json). Command: \`npm run bench:paper\`.`,
  'Every run: `npx cmv3 train ... --recipe fast --seed S` (25 epochs, all 50,000 training images); the float32 accuracy is the final epoch on the 10,000 test images (the first seed; with several seeds their mean, each, and the standard deviation); "vs paper" is the first seed against the paper. int8: the final weights quantized with 500 calibration images per observer, evaluated by the int8 engine (TFLite Micro arithmetic) on all 10,000 test images; sizes, arena (TFLite Micro plan) and latency (cost model, an estimate) of the best observer\'s model; the last column is that model compiled by `cmv3 compile` and run by `cmv3 emulate` on 10 test images (instructions per image counted by QEMU, not cycles on a board; arena from its static plan). The paper\'s "model size" is its Keras .h5 file (float32 weights plus Keras metadata and optimizer slots), not comparable to a .tflite.',
  '',
  '### Table II',
  '',
  ...t2,
  '',
  '### Ablation (Sec. III)',
  '',
  ...ab,
].join('\n');
console.log(body);
if (!values['no-write']) { writeSection('paper:full', 'The paper at full training: Table II and the ablation', body); console.log('written to BENCHMARKS.md (paper:full)'); }
