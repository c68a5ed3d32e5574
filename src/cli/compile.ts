// cmv3 compile <run|checkpoint|pretrained|model.tflite> --target cortex-m7 -o DIR [--force] [--json]
// Writes interpreter-free C99 for the model: cmv3_model.h/.c, the kernels, main.c and a Makefile.
import { compileGraph } from '../compile/compile.js';
import { loadEmulation } from '../compile/emulation-cache.js';
import { m7Flash } from '../compile/toolchain.js';
import { checkOut, writeFolder } from './write-folder.js';
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
  if (values.help) return; // parse() printed the help
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
  // flash from the objects when arm-none-eabi-gcc is here; stack as cmv3 emulate measured it, if it has run
  const flashBytes = m7Flash(c.files), emulated = loadEmulation(m.bytes);
  const summary = {
    out, target, model: m.name, files: Object.keys(c.files).sort(), layers: c.program.layers.length,
    arenaBytes: c.plan.bytes, liveMaxBytes: c.plan.liveMax, flashBytes, stackBytes: emulated?.stackBytes ?? null,
    image: note, expected: c.expected, provenance: m.provenance,
    notes: [
      flashBytes === null ? 'flash: install gcc-arm-none-eabi to measure it (model + kernels, text + data of the objects)' : 'flash: text + data of the model and kernel objects (arm-none-eabi-size, before the linker drops unused code)',
      emulated ? `stack: measured by cmv3 emulate on ${emulated.date}` : 'stack: run cmv3 emulate on this model to measure it',
    ],
  };
  if (values.json) { console.log(JSON.stringify(summary)); return; }
  console.log(`${out}: C99 for ${target}, ${m.name}: ${c.program.layers.length} layers, arena ${c.plan.bytes.toLocaleString('en-US')} bytes (static plan with in-place layers), weights in const arrays`);
  console.log(`flash: ${flashBytes === null ? 'install gcc-arm-none-eabi to measure' : `${flashBytes.toLocaleString('en-US')} bytes (model + kernels for a Cortex-M7)`}; stack: ${emulated ? `${emulated.stackBytes} bytes (cmv3 emulate, ${emulated.date})` : 'run cmv3 emulate to measure'}`);
  console.log(`example: cd ${out} && make run   (${note}; cmv3's int8 engine says ${c.expected.label})`);
  console.log(`measure it on an emulated Cortex-M7: cmv3 emulate ${positionals[0]} --target ${target}`);
}
