// cmv3 eval <run|checkpoint|model.tflite> [--data DIR] [--limit-test N] [--int8 ... [--per-tensor N]] [--svg PATH] [--json]:
// a thin layer over evaluate() and int8Errors().
import { join } from 'node:path';
import { writeAtomic } from '../io/write-file.js';
import { confusionSvg } from '../train/evaluate.js';
import { evaluate, int8Errors } from '../api/evaluate.js';
import type { TensorError } from '../deploy/int8-error.js';
import { resolveCheckpoint } from '../train/trained.js';
import { progressBar } from './progress.js';
import { int8Options, QUANT_OPTIONS, runtimeOption } from './deploy-options.js';
import { numberOption, parse, positiveInt, UsageError } from './args.js';
import { dataDir } from './common.js';

export const EVAL_USAGE = `usage: cmv3 eval <run|checkpoint|pretrained|model.tflite> [--data DIR] [--limit-test N] [--svg PATH] [--json] [--int8 ... [--per-tensor N]]
  test accuracy, per class, and the confusion matrix (float32, or the int8 engine with --int8)`;

export async function evalCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, 'limit-test': { type: 'string' }, limit: { type: 'string', renamed: 'limit-test' }, svg: { type: 'string' }, json: { type: 'boolean' }, 'per-tensor': { type: 'string' }, ...QUANT_OPTIONS }, EVAL_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}\n${EVAL_USAGE}`);
  const limit = numberOption(values['limit-test'], 'limit-test', positiveInt, 'a positive integer') ?? Infinity;
  const runtime = runtimeOption(values);
  const src = positionals[0];
  const int8 = values.int8 ? int8Options(values, src) : undefined;
  const perTensor = numberOption(values['per-tensor'], 'per-tensor', positiveInt, 'a positive integer');
  if (perTensor !== undefined && !int8) throw new UsageError('--per-tensor compares the int8 model with the float one; add --int8');
  const bar = progressBar();
  const e = await evaluate(src, { data: dataDir(values.data as string | undefined, src), limit: limit === Infinity ? undefined : limit, int8, runtime, onProgress: bar.update }).finally(bar.done);
  const runDir = src.toLowerCase().endsWith('.tflite') ? null : resolveCheckpoint(src).runDir;
  const svg = (values.svg as string | undefined) ?? (runDir ? join(runDir, 'confusion.svg') : undefined);
  if (svg) writeAtomic(svg, confusionSvg(e));
  const { source, engine, calibration: _c, ...figures } = e;
  const tensors = perTensor === undefined ? undefined : await int8Errors(src, { ...int8, runtime, images: perTensor });
  if (values.json) {
    console.log(JSON.stringify({ checkpoint: source, engine, ...figures, confusionSvg: svg ?? null, ...(tensors ? { perTensor: tensors } : {}) }));
    return;
  }
  console.log(`${source}: top-1 ${(100 * e.top1).toFixed(2)}% on ${e.images} test images (${e.imagesPerSec.toFixed(0)} images/s, ${engine})`);
  for (const c of e.perClass) console.log(`  ${c.label.padEnd(12)} ${(100 * c.accuracy).toFixed(2).padStart(6)}%  (${c.count})`);
  // Columns headed by the first letters of each class (distinct for CIFAR-10), rows by the full name.
  const names = e.perClass.map((c) => c.label), rowW = Math.max(...names.map((n) => n.length)) + 2;
  const colW = Math.max(6, ...e.confusion.flat().map((v) => String(v).length + 1));
  console.log('confusion (rows true class, columns predicted):');
  console.log(' '.repeat(rowW) + names.map((n) => n.slice(0, colW - 1).padStart(colW)).join(''));
  e.confusion.forEach((row, i) => console.log(`  ${names[i].padEnd(rowW - 2)}${row.map((v) => String(v).padStart(colW)).join('')}`));
  if (svg) console.log(`confusion matrix: ${svg}`);
  if (tensors) printTensorErrors(tensors, perTensor!);
}

/** The per-tensor table, then the tensors whose op added the most error. */
function printTensorErrors(rows: TensorError[], images: number): void {
  const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : 'inf');
  const nameW = Math.max(6, ...rows.map((r) => r.tensor.length)), opW = Math.max(2, ...rows.map((r) => r.op.length));
  console.log(`int8 error per tensor on the first ${images} test images (relative RMS against float32; own: this tensor's rounding and clipping alone; added: beyond its inputs' error):`);
  console.log(`  ${'tensor'.padEnd(nameW)}  ${'op'.padEnd(opW)}  ${'scale'.padStart(9)}  ${'error'.padStart(8)}  ${'own'.padStart(8)}  ${'added'.padStart(8)}  clipped`);
  for (const r of rows) {
    console.log(`  ${r.tensor.padEnd(nameW)}  ${r.op.padEnd(opW)}  ${r.scale.toExponential(2).padStart(9)}  ${pct(r.error).padStart(8)}  ${pct(r.rounding).padStart(8)}  ${pct(r.added).padStart(8)}  ${pct(r.clipped)}`);
  }
  const worst = [...rows].sort((a, b) => b.added - a.added).slice(0, 3).filter((r) => r.added > 0);
  if (worst.length) console.log(`most error added: ${worst.map((r) => `${r.tensor} (${r.op}, +${pct(r.added)})`).join(', ')}`);
}
