// cmv3 emulate <run|checkpoint|pretrained|model.tflite> --target cortex-m7 [--images N] [--data DIR] [--json]
// Compiles the generated C for a Cortex-M7, runs it on QEMU's mps2-an500 on N CIFAR-10 test
// images, and checks every output byte against cmv3's int8 engine.
import { compileGraph } from '../compile/compile.js';
import { saveEmulation } from '../compile/emulation-cache.js';
import { INSTRUCTIONS_PER_TICK, missingToolchain, runM7, ToolchainError } from '../compile/toolchain.js';
import { int8Inputs, scoreOutputs } from '../compile/verify.js';
import { DataError } from '../data/cifar.js';
import { readDataset } from '../data/folder.js';
import { numberOption, parse, positiveInt, UsageError } from './args.js';
import { targetOption } from './compile.js';
import { QUANT_OPTIONS } from './deploy-options.js';
import { loadInt8Model } from './int8-model.js';

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
  const missing = missingToolchain();
  if (missing) throw new ToolchainError(`cmv3 emulate: ${missing}`); // before minutes of calibrating
  const m = await loadInt8Model(positionals[0], values);
  const g = m.graph, inT = g.tensors[g.inputs[0]], s = inT.shape;
  const set = readDataset(m.data, 'test', s[1], count);
  if (set.count === 0 || set.size !== s[1] || set.channels !== s[3]) throw new DataError(`${m.data} has no ${s[1]}x${s[1]}x${s[3]} test images; point --data at the model's data`);
  const per = s[1] * s[2] * s[3], images = int8Inputs(g, set.pixels, set.count);
  const c = compileGraph(g, null);
  const r = runM7(c.files, images, per, g.tensors[g.outputs[0]].shape.at(-1)!);
  const { equal, correct } = scoreOutputs(g, images, r.outputs, set.labels);
  const ipt = r.instructionsPerTick, perImage = Math.round((r.totalTicks * ipt) / images.length);
  const layers = c.program.layers.map((l, i) => ({ index: i, kind: l.kind, name: l.name, instructions: Math.round(((r.layerTicks[i] ?? 0) * ipt) / images.length) }));
  const summary = {
    model: m.name, target, board: 'QEMU mps2-an500 (Cortex-M7), -icount shift=0', images: images.length, bitExact: equal, top1: correct,
    instructionsPerImage: perImage, instructionsPerTick: ipt, latencyMsAt600MHzOneIpc: perImage / 600e3,
    flashBytes: r.flashBytes, arenaBytes: c.plan.bytes, stackBytes: r.stackBytes, inputBytes: per, layers,
    note: 'instruction counts on an emulator (SysTick ticks x instructions per tick), not cycles measured on a board',
  };
  if (equal === images.length) {
    saveEmulation(m.bytes, { date: new Date().toISOString().slice(0, 10), images: images.length, bitExact: equal, instructionsPerImage: perImage,
      arenaBytes: c.plan.bytes, stackBytes: r.stackBytes, flashBytes: r.flashBytes, layers });
  }
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(`${m.name} on an emulated Cortex-M7 (QEMU mps2-an500, -icount shift=0), ${images.length} test images of ${m.data}`);
    console.log(`outputs equal to cmv3's int8 engine: ${equal} of ${images.length} (byte for byte)`);
    console.log(`top-1: ${correct} of ${images.length} (${((100 * correct) / images.length).toFixed(1)}%)`);
    console.log(`instructions per inference: ${perImage.toLocaleString('en-US')} (SysTick ticks x ${ipt}; an emulator's instruction count, not cycles on a board)`);
    console.log(`latency estimate at 600 MHz: ${(perImage / 600e3).toFixed(1)} ms at 1 instruction per cycle (an estimate; the Cortex-M7 can issue 2 per cycle, memory stalls add)`);
    console.log(`flash: ${r.flashBytes.toLocaleString('en-US')} bytes (model + kernels, code and constants)   arena: ${c.plan.bytes.toLocaleString('en-US')} bytes   stack: ${r.stackBytes.toLocaleString('en-US')} bytes (painted)   + the caller's ${per.toLocaleString('en-US')}-byte input`);
    console.log('layer  instructions  what');
    for (const l of layers) console.log(`${String(l.index).padStart(5)}  ${l.instructions.toLocaleString('en-US').padStart(12)}  ${l.kind} ${l.name}`);
  }
  if (ipt !== INSTRUCTIONS_PER_TICK) console.error(`note: the calibration loop measured ${ipt} instructions per SysTick tick, not the expected ${INSTRUCTIONS_PER_TICK}`);
  if (equal !== images.length) {
    process.exitCode = 1;
    console.error(`cmv3: error: ${images.length - equal} of ${images.length} outputs differ from cmv3's int8 engine (a cmv3 bug; please report it with the model)`);
  }
}
