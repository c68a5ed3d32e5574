// The whole path through the library (ESM): build a network, train it briefly, evaluate it,
// export it as an int8 .tflite and print its MCU report.
//   node examples/quickstart.mjs [DATA_DIR] [OUT_DIR]
// DATA_DIR: CIFAR-10 binary (default $CMV3_DATA, else ./data/cifar-10-batches-bin; `npx cmv3 data fetch cifar10` gets it).
import { join } from 'node:path';
import { buildNetwork, evaluate, exportModel, getBackend, report, resolveSpec, summarize, train } from 'cmv3';

const data = process.argv[2] ?? process.env.CMV3_DATA ?? './data/cifar-10-batches-bin';
const out = process.argv[3] ?? 'quickstart-out';

// 1. Build: the network is data (a spec); width 0.35 of the paper's network.
const spec = resolveSpec('cmv3', { width: 0.35 });
const s = summarize(buildNetwork(spec, { backend: await getBackend('auto') }));
console.log(`cmv3 width 0.35: ${s.params.total.toLocaleString('en-US')} parameters, ${s.macs.toLocaleString('en-US')} MACs`);

// 2. Train briefly: two epochs of the fast recipe on 2,048 images (a real run: drop the limits and epochs).
const run = join(out, 'run');
const result = await train({
  model: spec, data, out: run, recipe: 'fast', epochs: 2, batchSize: 64, limitTrain: 2048, limitTest: 500, seed: 1,
  onEpoch: (m) => console.log(`epoch ${m.epoch}: test accuracy ${(100 * m.testAcc).toFixed(2)}%, ${m.imagesPerSec.toFixed(0)} images/s`),
});
console.log(`trained in ${result.dir}: best ${(100 * result.bestAccuracy).toFixed(2)}%`);

// 3. Evaluate (any run folder, checkpoint, .tflite or pretrained name works the same).
const e = await evaluate(run, { data, limit: 500 });
console.log(`evaluate: top-1 ${(100 * e.top1).toFixed(2)}% on ${e.images} images`);

// 4. Export int8, calibrated on 100 training images.
const tflite = join(out, 'model-int8.tflite');
const x = await exportModel(run, { format: 'tflite', int8: true, calibration: 100, data, out: tflite });
console.log(`export: ${x.files[0]}, ${x.bytes.length.toLocaleString('en-US')} bytes, ${x.ops} ops`);

// 5. The MCU report of the int8 file (TFLite Micro on an i.MX RT1060).
const r = await report(tflite, { target: 'imxrt1060' });
console.log(`report: arena ${(r.sram.arenaBytes / 1024).toFixed(1)} KB, flash ${(r.flash.totalBytes / 1024).toFixed(1)} KB, ~${r.latencyMs.toFixed(0)} ms per image (an estimate)`);
