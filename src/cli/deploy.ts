// cmv3 deploy <run|checkpoint> --target imxrt1060 -o DIR [--calibration N] [--observer NAME] [--data DIR] [--force] [--json]
// Quantizes, writes the .tflite, reads it back (so every number comes from the deployed file) and
// writes the eIQ project folder atomically: built in DIR.tmp-<pid>, renamed into place.
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DataError } from '../data/cifar.js';
import { readDataset } from '../data/folder.js';
import { ARENA_MARGIN, eiqFacts, eiqProject, type EiqImage } from '../deploy/eiq.js';
import { int8Graph } from '../deploy/pipeline.js';
import { TARGETS } from '../deploy/report.js';
import { readTflite } from '../deploy/tflite/read.js';
import { checkTfliteRules } from '../deploy/tflite/validate.js';
import { writeTflite } from '../deploy/tflite/write.js';
import { loadTrained } from '../train/trained.js';
import { parse, UsageError } from './args.js';
import { int8Options, QUANT_OPTIONS } from './deploy-options.js';
import { makeDir } from '../io/make-dir.js';

/** Targets with a project generator: the eIQ folder is for NXP's MCUXpresso SDK. */
const DEPLOY_TARGETS = ['imxrt1060'] as const;

export const DEPLOY_USAGE = `usage: cmv3 deploy <run|checkpoint> --target ${DEPLOY_TARGETS.join('|')} -o DIR [--calibration N] [--observer NAME] [--data DIR] [--force] [--json]
  writes an MCUXpresso SDK eIQ TensorFlow Lite Micro folder (tflm_cifar10 / label-image, EVK-MIMXRT1060):
  model_data.h/.cc, model_ops.h, model_config.h, labels.h, main_example.cc, README.md
  the int8 model is calibrated on the first N training images of --data; the first test image is embedded
  --force                replace DIR when it holds an earlier deploy folder`;

/** A file we write, whose presence says DIR is an earlier deploy folder (safe to replace with --force). */
const MARKER = 'model_ops.h';

function checkOut(out: string, force: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UsageError(`${out} is a file; deploy writes a folder`);
  const entries = readdirSync(out);
  if (entries.length === 0) return;
  if (!force) throw new UsageError(`${out} exists and is not empty; pass --force to replace it`);
  // --force deletes the folder: only one that looks like ours, never a source tree given by mistake.
  if (!entries.includes(MARKER)) throw new UsageError(`${out} is not a cmv3 deploy folder (no ${MARKER}); refusing to replace it even with --force`);
}

/** Writes all files into DIR.tmp-<pid>, then renames it to DIR, so DIR is never half written. */
function writeFolder(out: string, files: Record<string, string>, force: boolean): void {
  const tmp = `${out}.tmp-${process.pid}`, old = `${out}.old-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  makeDir(tmp);
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text);
    checkOut(out, force); // again: DIR may have appeared while we quantized
    let moved = false;
    if (existsSync(out)) {
      if (readdirSync(out).length) { renameSync(out, old); moved = true; } else rmSync(out, { recursive: true });
    }
    try { renameSync(tmp, out); } catch (e) {
      if (moved) renameSync(old, out);
      throw e;
    }
    if (moved) rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The first test image of the data folder at the model's input size, or null (then mid-grey). */
function testImage(data: string, size: number, channels: number, labels: string[]): { image: EiqImage | null; note: string } {
  try {
    const set = readDataset(data, 'test', size, 1);
    if (set.count < 1 || set.size !== size || set.channels !== channels) return { image: null, note: `a mid-grey image, as ${data} has no ${size}x${size}x${channels} test image` };
    const source = existsSync(join(data, 'test_batch.bin')) ? `CIFAR-10 ${join(data, 'test_batch.bin')} record 0` : `the first test image of ${data}`;
    return { image: { pixels: set.pixels.slice(0, size * size * channels), source, label: labels[set.labels[0]] }, note: source };
  } catch (e) {
    if (e instanceof DataError) return { image: null, note: `a mid-grey image, as there is no test image: ${e.message}` };
    throw e;
  }
}

export async function deployCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { target: { type: 'string' }, out: { type: 'string', short: 'o' }, data: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, ...QUANT_OPTIONS }, DEPLOY_USAGE);
  if (values.help) { console.log(DEPLOY_USAGE); return; }
  if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}; see cmv3 deploy --help`);
  const targetName = values.target as string | undefined;
  if (!targetName || !DEPLOY_TARGETS.includes(targetName as typeof DEPLOY_TARGETS[number])) throw new UsageError(`Expected one of ${DEPLOY_TARGETS.join(', ')} for --target but received ${JSON.stringify(targetName ?? null)}`);
  const target = TARGETS[targetName];
  const out = values.out as string | undefined;
  if (!out) throw new UsageError('Expected an output folder for -o; see cmv3 deploy --help');
  // The expected label is TFLite Micro's arithmetic by definition; another runtime would mislead.
  if (values.runtime !== undefined && values.runtime !== 'reference') throw new UsageError(`deploy computes the expected result as TFLite Micro does (--runtime reference); received ${JSON.stringify(values.runtime)}`);
  const force = values.force === true;
  checkOut(out, force); // fail before the minutes of loading and calibrating
  const q = int8Options(values, positionals[0]);
  const t = await loadTrained(positionals[0]);
  const bytes = writeTflite(int8Graph(t, q));
  const problems = checkTfliteRules(bytes);
  if (problems.length) throw new Error(`the written model breaks a TFLite rule (a cmv3 bug): ${problems[0]}`);
  const graph = readTflite(bytes); // what the board reads: float32 scales, the file's op list
  const s = t.model.spec;
  const { image, note } = testImage(q.data, s.inputSize, s.inputChannels, t.labels);
  const input = {
    graph, modelBytes: bytes, target, image, name: basename(t.runDir ?? t.checkpoint).replace(/\.ckpt$/, ''),
    provenance: [`checkpoint: ${t.checkpoint}`, `calibration: first ${q.calibration} training images of ${q.data} (${q.observer} observer)`],
  };
  const files = eiqProject(input), f = eiqFacts(input);
  writeFolder(out, files, force);
  const summary = {
    out, target: target.name, files: Object.keys(files).sort(), modelBytes: bytes.length, ops: f.ops,
    arena: { plannedBytes: f.plannedArena, runtimeEstimateBytes: f.runtimeEstimate, tensorArenaSize: f.tensorArenaSize },
    latencyMsEstimate: f.report.latencyMs, image: note, expected: f.expected, calibration: q,
  };
  if (values.json) { console.log(JSON.stringify(summary)); return; }
  console.log(`${out}: eIQ TFLite Micro folder for ${target.name}: int8 model ${bytes.length.toLocaleString('en-US')} bytes, ${f.ops.length} op types, kTensorArenaSize ${f.tensorArenaSize.toLocaleString('en-US')} (planned ${f.plannedArena.toLocaleString('en-US')} + estimated ${f.runtimeEstimate.toLocaleString('en-US')} + margin ${ARENA_MARGIN.toLocaleString('en-US')}), ~${f.report.latencyMs.toFixed(1)} ms per image (estimate)`);
  if (f.tensorArenaSize > target.sramBytes) console.log(`note: the arena exceeds the ${target.sramBytes / 1024} KB of on-chip SRAM; the README says how to place it in SDRAM`);
  // The int8 Mish tables hold int32 indices; ReLU6 fuses into the convolution (README: "Mish on a microcontroller").
  if (graph.tensors.some((t) => t.dtype === 'int32' && !t.data)) console.log(`note: the int8 Mish tables need int32 index tensors; for a smaller arena fine-tune with ReLU6 in Mish's place: cmv3 train --init ${positionals[0]} --act mish=relu6 (for cmv3 width 0.5 the shipped cmv3-w0.5-relu6-cifar10 is that model)`);
  console.log(`test image: ${note}; expected top-1 ${f.expected.label} (${(f.expected.score * 100).toFixed(1)}%)${image?.label ? `, true label ${image.label}` : ''}`);
}
