// npm run bench:emulate [-- --images 200 --models a,b --calibration 500 --no-write]
// cmv3's own C (cmv3 compile) for both shipped models on an emulated Cortex-M7 (QEMU mps2-an500,
// -icount shift=0): outputs byte for byte against the int8 engine, top-1, instructions per image
// and per layer beside the cost model's estimate, flash, arena, stack. Writes BENCHMARKS.md.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { compileGraph } from '../src/compile/compile.js';
import { runM7 } from '../src/compile/toolchain.js';
import { readDataset } from '../src/data/folder.js';
import { preprocessInt8 } from '../src/deploy/eiq.js';
import { Int8Engine } from '../src/deploy/engine-int8.js';
import { graphInfo } from '../src/deploy/graph-model.js';
import { int8Graph } from '../src/deploy/pipeline.js';
import { mcuReport, TARGETS } from '../src/deploy/report.js';
import { readTflite } from '../src/deploy/tflite/read.js';
import { writeTflite } from '../src/deploy/tflite/write.js';
import { loadTrained } from '../src/train/trained.js';
import { writeSection } from './section.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '200' }, calibration: { type: 'string', default: '500' },
    models: { type: 'string', default: 'cmv3-w0.5-relu6-cifar10,cmv3-w0.5-cifar10' }, 'no-write': { type: 'boolean' },
    data: { type: 'string', default: process.env.CMV3_DATA ?? '../shared/datasets/cifar-10-batches-bin' },
  },
});
const data = values.data!, n = Number(values.images), calibration = Number(values.calibration);
const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
const parts: string[] = [];

for (const name of values.models!.split(',')) {
  const t = await loadTrained(name);
  const bytes = writeTflite(int8Graph(t, { data, calibration, observer: 'minmax' }));
  const g = readTflite(bytes), info = graphInfo(g), inT = g.tensors[g.inputs[0]], per = 32 * 32 * 3;
  const set = readDataset(data, 'test', 32, n);
  const images = Array.from({ length: set.count }, (_, i) => preprocessInt8(set.pixels.subarray(i * per, (i + 1) * per), 3, info.normalization.mean, info.normalization.std, inT.quant!.scale[0], inT.quant!.zeroPoint[0]));
  const engine = new Int8Engine(g, 'reference'), expected = images.map((im) => Int8Array.from(engine.run(im)[0]));
  const c = compileGraph(g, null);
  const t0 = performance.now();
  const r = runM7(c.files, images, per, 10);
  const seconds = (performance.now() - t0) / 1000;
  const equal = expected.filter((e, i) => e.every((v, k) => v === r.outputs[i]?.[k])).length;
  const argmax = (o: Int8Array) => o.reduce((b, v, k) => (v > o[b] ? k : b), 0);
  const top1 = r.outputs.filter((o, i) => argmax(o) === set.labels[i]).length / images.length;
  const ipt = r.instructionsPerTick, perImage = (r.totalTicks * ipt) / images.length;
  const report = mcuReport(g, bytes.length, TARGETS.imxrt1060);
  console.log(`${name}: ${equal}/${images.length} bit-exact, top-1 ${(top1 * 100).toFixed(1)}%, ${fmt(perImage)} instructions/image, arena ${c.plan.bytes}, stack ${r.stackBytes}, flash ${r.flashBytes} (${seconds.toFixed(0)} s)`);
  const rows = c.program.layers.map((l, i) => {
    const measured = ((r.layerTicks[i] ?? 0) * ipt) / images.length;
    const estimate = l.ops.reduce((a, o) => a + report.ops[o].cycles, 0);
    return `| ${i} | ${l.kind} | ${l.name} | ${fmt(measured)} | ${fmt(estimate)} |`;
  });
  parts.push(`### ${name}

\`npm run bench:emulate -- --images ${n}\`: int8 (calibrated on the first ${calibration} training images, minmax), compiled by \`cmv3 compile\`, run on ${images.length} CIFAR-10 test images.

| | cmv3's C on the emulated Cortex-M7 | TFLite Micro + CMSIS-NN (cmv3 report) |
|---|---|---|
| outputs equal to the int8 engine | ${equal} of ${images.length} | |
| top-1 on these images | ${(top1 * 100).toFixed(1)}% | |
| instructions per image | ${fmt(perImage)} (emulator count) | ${fmt(report.ops.reduce((a, o) => a + o.cycles, 0))} cycles (cost-model estimate) |
| arena | ${fmt(c.plan.bytes)} bytes (static plan, in-place and fused layers) | ${fmt(report.sram.arenaBytes)} bytes planned + ~${fmt(report.sram.runtimeBytes)} runtime (estimate) |
| stack (painted) | ${fmt(r.stackBytes)} bytes | |
| flash (model + kernels, code and constants) | ${fmt(r.flashBytes)} bytes | ${fmt(report.flash.totalBytes)} bytes (file + estimated runtime code) |

Per layer (instructions per image, measured; the cost model's cycles for the same TFLite ops, estimated):

| layer | kind | ops | instructions | cost model |
|---|---|---|---|---|
${rows.join('\n')}
`);
}

const body = `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0].model.trim()} (QEMU's speed does not change the counts): QEMU ${'mps2-an500'} (Cortex-M7), \`-icount shift=0\`, Debian's arm-none-eabi-gcc (\`-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16 -O2\`). Instruction counts are SysTick ticks x 40 (25 MHz SysTick, 1 ns per instruction; a calibration loop checks the 40 every run): counts on an emulator, not cycles measured on a board. Input image (3,072 bytes) is the caller's and not in the arena. The TFLite Micro column is cmv3 report's cost model, an estimate; TFLite Micro's own kernels with CMSIS-NN, built and run on the same emulator by an earlier session (issue 23), took about 204 M instructions per image for the ReLU6 model and 223 M for the exact-Mish one, with a 224,256-byte arena for ReLU6 (1,176 KB planned for Mish, over the RT1060's 1 MB).

Reading: both models are byte for byte the int8 engine's on every image. Memory: an 88 KB arena for either model (TFLite Micro: 224 KB for ReLU6, 1.2 MB for Mish), because every activation is fused into its convolution as a table, each depthwise is fused with the 1x1 convolution before or after it, and element-wise layers run in place. Speed: about 112 M instructions per image, half of TFLite Micro + CMSIS-NN's measured 204 M but not yet the third (68 M) issue 23 asks for; the per-layer rows show where: the depthwise tap loops and the per-output requantization (see DEVELOPERS.md).

${parts.join('\n')}`;
if (!values['no-write']) writeSection('emulate', "cmv3's own C on an emulated Cortex-M7", body);
