// cmv3 report <run|checkpoint|model.tflite> [--target imxrt1060|stm32h7] [--json] [--calibration N ...]
import { TARGETS } from '../deploy/report.js';
import { report } from '../api/deploy.js';
import { progressBar } from './progress.js';
import { parse, UsageError } from './args.js';
import { int8Options, QUANT_OPTIONS } from './deploy-options.js';
import { loadInt8Model } from '../api/int8-model.js';
import { reportCmv3 } from './report-cmv3.js';

export const REPORT_USAGE = `usage: cmv3 report <run|checkpoint|model.tflite> [--target ${Object.keys(TARGETS).join('|')}] [--runtime tflite-micro|cmv3] [--json]
  --runtime cmv3         cmv3's own C (cmv3 compile): its exact arena, estimated instructions, and cmv3 emulate's measurements
  a run or checkpoint is quantized first (--calibration N, --observer NAME, --data DIR as for export)`;

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

export async function reportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { target: { type: 'string' }, json: { type: 'boolean' }, data: { type: 'string' }, ...QUANT_OPTIONS }, REPORT_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one run, checkpoint or .tflite file but received ${positionals.length}\n${REPORT_USAGE}`);
  const targetName = (values.target as string | undefined) ?? 'imxrt1060';
  const target = TARGETS[targetName];
  if (!target) throw new UsageError(`Expected one of ${Object.keys(TARGETS).join(', ')} for --target but received ${JSON.stringify(targetName)}`);
  const src = positionals[0];
  // --runtime: whose deployment to describe (the int8 engine's name for TFLite Micro is accepted)
  const runtime = values.runtime === undefined || values.runtime === 'reference' ? 'tflite-micro' : values.runtime as string;
  if (runtime !== 'tflite-micro' && runtime !== 'cmv3') throw new UsageError(`Expected one of tflite-micro, cmv3 for --runtime but received ${JSON.stringify(values.runtime)}`);
  if (runtime === 'cmv3') { reportCmv3(await loadInt8Model(src, src.toLowerCase().endsWith('.tflite') ? { data: values.data as string | undefined } : int8Options(values, src)), target, values.json === true); return; }
  const bar = progressBar();
  const q = src.toLowerCase().endsWith('.tflite') ? {} : int8Options(values, src);
  const r = await report(src, { target: targetName, ...q, onProgress: bar.update }).finally(bar.done);
  if (values.json) { console.log(JSON.stringify(r)); return; }
  console.log(`${src} on ${target.description}`);
  console.log('op  type                name                                 output shape        MACs   weights  activations  est. ms');
  for (const o of r.ops) {
    console.log(`${String(o.index).padStart(2)}  ${o.op.padEnd(18)}  ${o.name.slice(0, 35).padEnd(35)}  ${`(${o.shape.join(', ')})`.padEnd(16)} ${o.macs.toLocaleString('en-US').padStart(10)} ${String(o.weightBytes).padStart(8)} ${String(o.activationBytes).padStart(12)} ${((o.cycles / (target.mhz * 1e6)) * 1000).toFixed(2).padStart(8)}`);
  }
  console.log(`\nMACs ${r.totals.macs.toLocaleString('en-US')}, weights ${kb(r.totals.weightBytes)}`);
  console.log(`flash: model ${kb(r.flash.modelBytes)} + TFLite Micro code ~${kb(r.flash.runtimeCodeBytes)} (estimate) = ${kb(r.flash.totalBytes)} of ${kb(target.flashBytes)}`);
  console.log(`SRAM:  tensor arena ${kb(r.sram.arenaBytes)} (planned; ${kb(r.sram.arenaInPlaceBytes)} for a runtime with in-place ops) + runtime ~${kb(r.sram.runtimeBytes)} (estimate) = ${kb(r.sram.totalBytes)} of ${kb(target.sramBytes)}`);
  console.log(`       peak at ${r.sram.peakOp}: ${r.sram.peakTensors.join(', ')}`);
  console.log(`latency: ~${r.latencyMs.toFixed(1)} ms per image, an ESTIMATE from a cost model, not a measurement`);
  for (const a of r.assumptions) console.log(`  - ${a}`);
}
