// cmv3 emulate <run|checkpoint|pretrained|model.tflite> --target cortex-m7 [--images N] [--data DIR] [--json]
// Compiles the generated C for a Cortex-M7, runs it on QEMU's mps2-an500 on N CIFAR-10 test
// images, and checks every output byte against cmv3's int8 engine.
import { emulate } from '../api/mcu.js';
import { numberOption, parse, positiveInt, UsageError } from './args.js';
import { targetOption } from './compile.js';
import { int8Options, QUANT_OPTIONS } from './deploy-options.js';
import { progressBar } from './progress.js';

export const EMULATE_USAGE = `usage: cmv3 emulate <run|checkpoint|pretrained|model.tflite> --target cortex-m7 [--images N] [--data DIR] [--json]
  compiles cmv3 compile's C with arm-none-eabi-gcc (-mcpu=cortex-m7 -O2), runs it on QEMU mps2-an500
  (-icount shift=0) on the first N test images (default 10) and prints: outputs equal to cmv3's int8
  engine (must be all), top-1, instructions per inference and per layer, flash, arena, stack
  instruction counts come from an emulator; they are not cycles measured on a board
  needs: sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm`;

export async function emulateCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { target: { type: 'string' }, images: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' }, ...QUANT_OPTIONS }, EMULATE_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one run, checkpoint, pretrained name or .tflite file but received ${positionals.length}; see cmv3 emulate --help`);
  const target = targetOption(values.target);
  const count = numberOption(values.images, 'images', positiveInt, 'a positive number of images') ?? 10;
  const src = positionals[0], q = src.toLowerCase().endsWith('.tflite') ? { data: values.data as string | undefined } : int8Options(values, src);
  const bar = progressBar();
  const { data, ...summary } = await emulate(src, { target, images: count, ...q, onProgress: bar.update }).finally(bar.done);
  const r = summary, n = r.images;
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(`${r.model} on an emulated Cortex-M7 (QEMU mps2-an500, -icount shift=0), ${n} test images of ${data}`);
    console.log(`outputs equal to cmv3's int8 engine: ${r.bitExact} of ${n} (byte for byte)`);
    console.log(`top-1: ${r.top1} of ${n} (${((100 * r.top1) / n).toFixed(1)}%)`);
    console.log(`instructions per inference: ${r.instructionsPerImage.toLocaleString('en-US')} (SysTick ticks x ${r.instructionsPerTick}; an emulator's instruction count, not cycles on a board)`);
    console.log(`latency estimate at 600 MHz: ${(r.instructionsPerImage / 600e3).toFixed(1)} ms at 1 instruction per cycle (an estimate; the Cortex-M7 can issue 2 per cycle, memory stalls add)`);
    console.log(`flash: ${r.flashBytes.toLocaleString('en-US')} bytes (model + kernels, code and constants)   arena: ${r.arenaBytes.toLocaleString('en-US')} bytes   stack: ${r.stackBytes.toLocaleString('en-US')} bytes (painted)   + the caller's ${r.inputBytes.toLocaleString('en-US')}-byte input`);
    console.log('layer  instructions  what');
    for (const l of r.layers) console.log(`${String(l.index).padStart(5)}  ${l.instructions.toLocaleString('en-US').padStart(12)}  ${l.kind} ${l.name}`);
  }
  if (!r.note.startsWith('instruction counts')) console.error(`note: ${r.note}`);
  if (r.bitExact !== n) {
    process.exitCode = 1;
    console.error(`cmv3: error: ${n - r.bitExact} of ${n} outputs differ from cmv3's int8 engine (a cmv3 bug; please report it with the model)`);
  }
}
