// cmv3 deploy <run|checkpoint> --target imxrt1060 -o DIR [--calibration N] [--observer NAME] [--data DIR] [--force] [--json]
// Quantizes, writes the .tflite, reads it back (so every number comes from the deployed file) and
// writes the eIQ project folder atomically: built in DIR.tmp-<pid>, renamed into place.
import { basename } from 'node:path';
import { ARENA_MARGIN, eiqFacts, eiqProject } from '../deploy/eiq.js';
import { testImage } from './test-image.js';
import { compileGraph } from '../compile/compile.js';
import { mcuxProject } from '../compile/mcux.js';
import { int8Graph } from '../deploy/pipeline.js';
import { TARGETS } from '../deploy/report.js';
import { readTflite } from '../deploy/tflite/read.js';
import { checkTfliteRules } from '../deploy/tflite/validate.js';
import { writeTflite } from '../deploy/tflite/write.js';
import { loadTrained } from '../train/trained.js';
import { parse, UsageError } from './args.js';
import { int8Options, QUANT_OPTIONS } from './deploy-options.js';
import { checkOut, writeFolder } from './write-folder.js';

/** Targets with a project generator: the eIQ folder is for NXP's MCUXpresso SDK. */
const DEPLOY_TARGETS = ['imxrt1060'] as const;

export const DEPLOY_USAGE = `usage: cmv3 deploy <run|checkpoint> --target ${DEPLOY_TARGETS.join('|')} -o DIR [--runtime tflite-micro|cmv3] [--calibration N] [--observer NAME] [--data DIR] [--force] [--json]
  writes an MCUXpresso SDK eIQ TensorFlow Lite Micro folder (tflm_cifar10 / label-image, EVK-MIMXRT1060):
  model_data.h/.cc, model_ops.h, model_config.h, labels.h, main_example.cc, README.md
  --runtime cmv3         cmv3's own C instead (cmv3 compile's files, cmv3_example.c, README.md): no interpreter
  the int8 model is calibrated on the first N training images of --data; the first test image is embedded
  --force                replace DIR when it holds an earlier deploy folder`;

/** Files we write, whose presence says DIR is an earlier deploy folder (safe to replace with --force). */
const MARKERS = ['model_ops.h', 'cmv3_example.c'];
const RUNTIMES = ['tflite-micro', 'cmv3'] as const;

export async function deployCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { target: { type: 'string' }, out: { type: 'string', short: 'o' }, data: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, ...QUANT_OPTIONS }, DEPLOY_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}; see cmv3 deploy --help`);
  const targetName = values.target as string | undefined;
  if (!targetName || !DEPLOY_TARGETS.includes(targetName as typeof DEPLOY_TARGETS[number])) throw new UsageError(`Expected one of ${DEPLOY_TARGETS.join(', ')} for --target but received ${JSON.stringify(targetName ?? null)}`);
  const target = TARGETS[targetName];
  const out = values.out as string | undefined;
  if (!out) throw new UsageError('Expected an output folder for -o; see cmv3 deploy --help');
  // Both runtimes compute TFLite Micro's arithmetic ('reference', the int8 engine's name for it, is accepted).
  const runtime = values.runtime === undefined || values.runtime === 'reference' ? 'tflite-micro' : values.runtime as string;
  if (!RUNTIMES.includes(runtime as typeof RUNTIMES[number])) throw new UsageError(`Expected one of ${RUNTIMES.join(', ')} for --runtime but received ${JSON.stringify(values.runtime)}`);
  const force = values.force === true;
  checkOut(out, force, MARKERS, 'deploy'); // fail before the minutes of loading and calibrating
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
  if (runtime === 'cmv3') {
    const c = compileGraph(graph, image);
    const pixels = image ?? { pixels: new Uint8Array(s.inputSize * s.inputSize * s.inputChannels).fill(128), source: note };
    const files = mcuxProject(c, { modelName: input.name, provenance: input.provenance, image: pixels });
    writeFolder(out, files, force, MARKERS, 'deploy');
    const summary = { out, target: target.name, runtime, files: Object.keys(files).sort(), layers: c.program.layers.length, arenaBytes: c.plan.bytes, image: note, expected: c.expected, calibration: q };
    if (values.json) { console.log(JSON.stringify(summary)); return; }
    console.log(`${out}: MCUXpresso SDK folder for ${target.name} with cmv3's own C (no interpreter): ${c.program.layers.length} layers, arena ${c.plan.bytes.toLocaleString('en-US')} bytes; not yet built for a board by cmv3 (the TFLite Micro folder is the default)`);
    console.log(`test image: ${note}; expected top-1 ${c.expected.label}; instruction counts on an emulated Cortex-M7: cmv3 emulate ${positionals[0]} --target cortex-m7`);
    return;
  }
  const files = eiqProject(input), f = eiqFacts(input);
  writeFolder(out, files, force, MARKERS, 'deploy');
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
