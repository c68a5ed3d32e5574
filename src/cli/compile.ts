// cmv3 compile <run|checkpoint|pretrained|model.tflite> --target cortex-m7 -o DIR [--force] [--json]
// Writes interpreter-free C99 for the model: cmv3_model.h/.c, the kernels, main.c and a Makefile.
import { compile, COMPILE_TARGETS } from '../api/mcu.js';
import { parse, UsageError } from './args.js';
import { int8Options, QUANT_OPTIONS } from './deploy-options.js';
import { progressBar } from './progress.js';

export { COMPILE_TARGETS };

export const COMPILE_USAGE = `usage: cmv3 compile <run|checkpoint|pretrained|model.tflite> --target cortex-m7 -o DIR [--force] [--json]
  plain C99 without an interpreter: cmv3_model.h (cmv3_invoke, the quantization, labels, arena size),
  cmv3_model.c (weights in flash, one static arena, the layer calls), the kernels, main.c, Makefile;
  bit-exact with cmv3's int8 engine (TFLite Micro's arithmetic); cmv3 emulate measures it on a Cortex-M7
  a run or checkpoint is quantized first (--calibration N, --observer NAME, --data DIR as for export)
  --force                replace DIR when it holds an earlier compile folder`;

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
  const src = positionals[0], q = src.toLowerCase().endsWith('.tflite') ? { data: values.data as string | undefined } : int8Options(values, src);
  const bar = progressBar();
  const r = await compile(src, { target, out, force: values.force === true, ...q, onProgress: bar.update }).finally(bar.done);
  if (values.json) { console.log(JSON.stringify(r)); return; }
  console.log(`${out}: C99 for ${target}, ${r.model}: ${r.layers} layers, arena ${r.arenaBytes.toLocaleString('en-US')} bytes (static plan with in-place layers), weights in const arrays`);
  console.log(`flash: ${r.flashBytes === null ? 'install gcc-arm-none-eabi to measure' : `${r.flashBytes.toLocaleString('en-US')} bytes (model + kernels for a Cortex-M7)`}; stack: ${r.stackBytes !== null ? `${r.stackBytes} bytes (cmv3 emulate, ${r.emulatedOn})` : 'run cmv3 emulate to measure'}`);
  console.log(`example: cd ${out} && make run   (${r.image}; cmv3's int8 engine says ${r.expected.label})`);
  console.log(`measure it on an emulated Cortex-M7: cmv3 emulate ${src} --target ${target}`);
}
