// cmv3 compile <run|checkpoint|pretrained|model.tflite> --target cortex-m7 -o DIR [--force] [--json]
// Writes interpreter-free C99 for the model: cmv3_model.h/.c, the kernels, main.c and a Makefile.
import { compileGraph } from '../compile/compile.js';
import { checkOut, writeFolder } from '../io/write-folder.js';
import { parse, UsageError } from './args.js';
import { QUANT_OPTIONS } from './deploy-options.js';
import { loadInt8Model } from './int8-model.js';
import { testImage } from './test-image.js';

export const COMPILE_TARGETS = ['cortex-m7'] as const;

export const COMPILE_USAGE = `usage: cmv3 compile <run|checkpoint|pretrained|model.tflite> --target cortex-m7 -o DIR [--force] [--json]
  plain C99 without an interpreter: cmv3_model.h (cmv3_invoke, the quantization, labels, arena size),
  cmv3_model.c (weights in flash, one static arena, the layer calls), the kernels, main.c, Makefile;
  bit-exact with cmv3's int8 engine (TFLite Micro's arithmetic); cmv3 emulate measures it on a Cortex-M7
  a run or checkpoint is quantized first (--calibration N, --observer NAME, --data DIR as for export)
  --force                replace DIR when it holds an earlier compile folder`;

const MARKER = 'cmv3_model.h';

export function targetOption(v: string | boolean | undefined): string {
  if (v === undefined) throw new UsageError(`Expected --target ${COMPILE_TARGETS.join('|')}`);
  if (!COMPILE_TARGETS.includes(v as typeof COMPILE_TARGETS[number])) throw new UsageError(`Expected one of ${COMPILE_TARGETS.join(', ')} for --target but received ${JSON.stringify(v)}`);
  return v as string;
}

export async function compileCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { target: { type: 'string' }, out: { type: 'string', short: 'o' }, data: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, ...QUANT_OPTIONS }, COMPILE_USAGE);
  if (values.help) { console.log(COMPILE_USAGE); return; }
  if (positionals.length !== 1) throw new UsageError(`Expected one run, checkpoint, pretrained name or .tflite file but received ${positionals.length}; see cmv3 compile --help`);
  const target = targetOption(values.target);
  const out = values.out as string | undefined;
  if (!out) throw new UsageError('Expected an output folder for -o; see cmv3 compile --help');
  if (values.runtime !== undefined && values.runtime !== 'reference') throw new UsageError(`compile is bit-exact with TFLite Micro's arithmetic (--runtime reference); received ${JSON.stringify(values.runtime)}`);
  const force = values.force === true;
  checkOut(out, force, MARKER, 'compile'); // before the minutes of calibrating
  const m = await loadInt8Model(positionals[0], values);
  const s = m.graph.tensors[m.graph.inputs[0]].shape;
  const { image, note } = testImage(m.data, s[1], s[3], m.labels);
  const c = compileGraph(m.graph, image);
  writeFolder(out, c.files, force, MARKER, 'compile');
  const summary = {
    out, target, model: m.name, files: Object.keys(c.files).sort(), layers: c.program.layers.length,
    arenaBytes: c.plan.bytes, liveMaxBytes: c.plan.liveMax, image: note, expected: c.expected, provenance: m.provenance,
  };
  if (values.json) { console.log(JSON.stringify(summary)); return; }
  console.log(`${out}: C99 for ${target}, ${m.name}: ${c.program.layers.length} layers, arena ${c.plan.bytes.toLocaleString('en-US')} bytes (static plan with in-place layers), weights in const arrays`);
  console.log(`example: cd ${out} && make run   (${note}; cmv3's int8 engine says ${c.expected.label})`);
  console.log(`measure it on an emulated Cortex-M7: cmv3 emulate ${positionals[0]} --target ${target}`);
}
