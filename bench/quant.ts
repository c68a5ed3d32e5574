// npm run bench:quant [-- --model cmv3-w0.5-cifar10 --calibration 500 --observers minmax,percentile,mse --limit N --no-write]
// int8 post-training quantization of a trained model: top-1 on the CIFAR-10 test set in float and
// in int8 for each calibration observer (int8 engine, TFLite Micro reference arithmetic), the
// int8 file's size and planned arena, and the engines' speed; results go to BENCHMARKS.md.
import { cpus } from 'node:os';
import { readDataset } from '../src/data/folder.js';
import type { Observer } from '../src/deploy/calibrate.js';
import { runFloat } from '../src/deploy/engine-float.js';
import { Int8Engine } from '../src/deploy/engine-int8.js';
import { lowerTrained } from '../src/deploy/from-model.js';
import { GraphModel } from '../src/deploy/graph-model.js';
import { int8Graph } from '../src/deploy/pipeline.js';
import { mcuReport, TARGETS } from '../src/deploy/report.js';
import { readTflite } from '../src/deploy/tflite/read.js';
import { writeTflite } from '../src/deploy/tflite/write.js';
import { evaluateSet } from '../src/train/evaluate.js';
import { loadTrained } from '../src/train/trained.js';
import { writeSection } from './section.js';
import { parseOptions } from './cli.js';

const { values } = parseOptions('bench:quant', {
  options: {
    model: { type: 'string', default: 'cmv3-w0.5-cifar10' }, calibration: { type: 'string', default: '500' },
    observers: { type: 'string', default: 'minmax,percentile,mse' }, limit: { type: 'string' }, 'no-write': { type: 'boolean' },
    data: { type: 'string', default: process.env.CMV3_DATA ?? '../shared/datasets/cifar-10-batches-bin' },
  },
});
const data = values.data!, calibration = Number(values.calibration), limit = values.limit ? Number(values.limit) : Infinity;
const trained = await loadTrained(values.model!);
const test = readDataset(data, 'test', trained.model.spec.inputSize, limit);
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

const float = evaluateSet(trained.model, test, trained.normalization, trained.labels);
console.log(`float: ${pct(float.top1)}`);
const rows: string[] = [];
let speedGraph = null;
for (const observer of values.observers!.split(',') as Observer[]) {
  const t0 = performance.now();
  const bytes = writeTflite(int8Graph(trained, { data, calibration, observer }));
  const calibSeconds = (performance.now() - t0) / 1000;
  const graph = readTflite(bytes); // evaluate what the file holds
  speedGraph ??= graph;
  const ev = evaluateSet(new GraphModel(graph, 'reference'), test, trained.normalization, trained.labels);
  const rep = mcuReport(graph, bytes.length, TARGETS.imxrt1060);
  console.log(`${observer}: ${pct(ev.top1)} (${(ev.top1 - float.top1) * 100 >= 0 ? '+' : ''}${((ev.top1 - float.top1) * 100).toFixed(2)} points), ${ev.imagesPerSec.toFixed(1)} img/s`);
  rows.push(`| ${observer} | ${pct(ev.top1)} | ${((ev.top1 - float.top1) * 100).toFixed(2)} | ${bytes.length.toLocaleString('en-US')} | ${(rep.sram.arenaBytes / 1024).toFixed(1)} KB | ${calibSeconds.toFixed(0)} s |`);
}

// Engine speed: one image at a time, as eval runs it, after one warm-up image.
const speed: string[] = [], floatSpeed: string[] = [];
const img = new Int8Array(test.size * test.size * test.channels).map((_, i) => ((i * 37) % 255) - 128);
for (const kernels of ['native', 'typescript'] as const) {
  const e = new Int8Engine(speedGraph!, 'reference', kernels);
  e.run(img);
  const n = kernels === 'native' ? 200 : 10, t0 = performance.now(), c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) e.run(img);
  const cu = process.cpuUsage(c0), wall = (performance.now() - t0) / n;
  speed.push(`| ${kernels} | ${wall.toFixed(1)} | ${((cu.user + cu.system) / 1000 / n).toFixed(1)} | ${(1000 / wall).toFixed(1)} |`);
}
// The float engine over the lowered graph: what calibration runs per image.
const lowered = lowerTrained(trained), fimg = new Float32Array(img.length).map((_, i) => ((i * 37) % 255) / 128 - 1);
for (const kernels of ['native', 'typescript'] as const) {
  runFloat(lowered, fimg, undefined, kernels);
  const n = kernels === 'native' ? 20 : 5, t0 = performance.now();
  for (let i = 0; i < n; i++) runFloat(lowered, fimg, undefined, kernels);
  floatSpeed.push(`| ${kernels} | ${((performance.now() - t0) / n).toFixed(1)} |`);
}
console.log([...speed, ...floatSpeed].join('\n'));

const body = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}.`,
  `Command: \`npm run bench:quant -- --model ${values.model} --calibration ${calibration}\`; ${test.count.toLocaleString('en-US')} CIFAR-10 test images; calibration on the first ${calibration} training images; int8 engine with TFLite Micro's reference arithmetic on the written .tflite.`,
  '',
  `Float (the trained model as trained): ${pct(float.top1)}.`,
  '',
  '| observer | int8 top-1 | change (points) | int8 file bytes | planned arena | calibration + quantization time |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  `Calibration keeps its passes between observers (src/deploy/calibrate.ts): the first observer above runs the extremes pass, the first histogram observer the histogram pass, the others neither; each time is that observer's share.`,
  '',
  `int8 engine speed, one image at a time (the ${values.model} graph above; native: convolutions and lookups in the addon, CMV3_THREADS threads for the convolutions; typescript: every op's reference kernel):`,
  '',
  '| kernels | ms per image (wall) | ms CPU per image | images/s |',
  '|---|---:|---:|---:|',
  ...speed,
  '',
  'Float engine over the lowered graph (what calibration runs per image; native: the convolutions in the addon, the same bits; Mish and the other ops in TypeScript either way):',
  '',
  '| convolution kernels | ms per image (wall) |',
  '|---|---:|',
  ...floatSpeed,
].join('\n');
if (!values['no-write']) {
  writeSection(`bench:quant:${values.model}`, `int8 quantization: ${values.model}`, body);
  console.log('wrote BENCHMARKS.md');
} else console.log(body);
