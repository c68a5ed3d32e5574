// cmv3 deploy <run|checkpoint> --target imxrt1060 -o DIR [--calibration N] [--observer NAME] [--data DIR] [--force] [--json]
// Quantizes, writes the .tflite, reads it back (so every number comes from the deployed file) and
// writes the eIQ project folder atomically: built in DIR.tmp-<pid>, renamed into place.
import { ARENA_MARGIN, deploy, DEPLOY_TARGETS } from '../api/mcu.js';
import { parse, UsageError } from './args.js';
import { int8Options, QUANT_OPTIONS } from './deploy-options.js';
import { progressBar } from './progress.js';

export const DEPLOY_USAGE = `usage: cmv3 deploy <run|checkpoint> --target ${DEPLOY_TARGETS.join('|')} -o DIR [--runtime tflite-micro|cmv3] [--calibration N] [--observer NAME] [--data DIR] [--force] [--json]
  writes an MCUXpresso SDK eIQ TensorFlow Lite Micro folder (tflm_cifar10 / label-image, EVK-MIMXRT1060):
  model_data.h/.cc, model_ops.h, model_config.h, labels.h, main_example.cc, README.md
  --runtime cmv3         cmv3's own C instead (cmv3 compile's files, cmv3_example.c, README.md): no interpreter
  the int8 model is calibrated on the first N training images of --data; the first test image is embedded
  --force                replace DIR when it holds an earlier deploy folder`;

const RUNTIMES = ['tflite-micro', 'cmv3'] as const;

export async function deployCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { target: { type: 'string' }, out: { type: 'string', short: 'o' }, data: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, ...QUANT_OPTIONS }, DEPLOY_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}; see cmv3 deploy --help`);
  const targetName = values.target as string | undefined;
  if (!targetName || !DEPLOY_TARGETS.includes(targetName as typeof DEPLOY_TARGETS[number])) throw new UsageError(`Expected one of ${DEPLOY_TARGETS.join(', ')} for --target but received ${JSON.stringify(targetName ?? null)}`);
  const out = values.out as string | undefined;
  if (!out) throw new UsageError('Expected an output folder for -o; see cmv3 deploy --help');
  // Both runtimes compute TFLite Micro's arithmetic ('reference', the int8 engine's name for it, is accepted).
  const runtime = values.runtime === undefined || values.runtime === 'reference' ? 'tflite-micro' : values.runtime as string;
  if (!RUNTIMES.includes(runtime as typeof RUNTIMES[number])) throw new UsageError(`Expected one of ${RUNTIMES.join(', ')} for --runtime but received ${JSON.stringify(values.runtime)}`);
  const q = int8Options(values, positionals[0]);
  const bar = progressBar();
  const r = await deploy(positionals[0], { target: targetName, out, runtime: runtime as typeof RUNTIMES[number], force: values.force === true, ...q, onProgress: bar.update }).finally(bar.done);
  if (values.json) {
    const { notes: _n, imageLabel: _l, ...rest } = r;
    console.log(JSON.stringify(rest));
    return;
  }
  if (r.runtime === 'cmv3') {
    console.log(`${out}: MCUXpresso SDK folder for ${r.target} with cmv3's own C (no interpreter): ${r.layers} layers, arena ${r.arenaBytes!.toLocaleString('en-US')} bytes; not yet built for a board by cmv3 (the TFLite Micro folder is the default)`);
    console.log(`test image: ${r.image}; expected top-1 ${r.expected.label}; instruction counts on an emulated Cortex-M7: cmv3 emulate ${positionals[0]} --target cortex-m7`);
    return;
  }
  const a = r.arena!;
  console.log(`${out}: eIQ TFLite Micro folder for ${r.target}: int8 model ${r.modelBytes!.toLocaleString('en-US')} bytes, ${r.ops!.length} op types, kTensorArenaSize ${a.tensorArenaSize.toLocaleString('en-US')} (planned ${a.plannedBytes.toLocaleString('en-US')} + estimated ${a.runtimeEstimateBytes.toLocaleString('en-US')} + margin ${ARENA_MARGIN.toLocaleString('en-US')}), ~${r.latencyMsEstimate!.toFixed(1)} ms per image (estimate)`);
  for (const n of r.notes) console.log(`note: ${n}`);
  console.log(`test image: ${r.image}; expected top-1 ${r.expected.label} (${((r.expected.score ?? 0) * 100).toFixed(1)}%)${r.imageLabel ? `, true label ${r.imageLabel}` : ''}`);
}
