// cmv3 eval <run|checkpoint|model.tflite> [--data DIR] [--limit-test N] [--int8 ...] [--svg PATH] [--json]: a thin layer over evaluate().
import { join } from 'node:path';
import { writeAtomic } from '../io/write-file.js';
import { confusionSvg } from '../train/evaluate.js';
import { evaluate } from '../api/evaluate.js';
import { resolveCheckpoint } from '../train/trained.js';
import { progressBar } from './progress.js';
import { int8Options, QUANT_OPTIONS, runtimeOption } from './deploy-options.js';
import { numberOption, parse, positiveInt, UsageError } from './args.js';
import { dataDir } from './common.js';

export const EVAL_USAGE = `usage: cmv3 eval <run|checkpoint|pretrained|model.tflite> [--data DIR] [--limit-test N] [--svg PATH] [--json] [--int8 ...]
  test accuracy, per class, and the confusion matrix (float32, or the int8 engine with --int8)`;

export async function evalCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, 'limit-test': { type: 'string' }, limit: { type: 'string', renamed: 'limit-test' }, svg: { type: 'string' }, json: { type: 'boolean' }, ...QUANT_OPTIONS }, EVAL_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}\n${EVAL_USAGE}`);
  const limit = numberOption(values['limit-test'], 'limit-test', positiveInt, 'a positive integer') ?? Infinity;
  const runtime = runtimeOption(values);
  const src = positionals[0];
  const int8 = values.int8 ? int8Options(values, src) : undefined;
  const bar = progressBar();
  const e = await evaluate(src, { data: dataDir(values.data as string | undefined, src), limit: limit === Infinity ? undefined : limit, int8, runtime, onProgress: bar.update }).finally(bar.done);
  const runDir = src.toLowerCase().endsWith('.tflite') ? null : resolveCheckpoint(src).runDir;
  const svg = (values.svg as string | undefined) ?? (runDir ? join(runDir, 'confusion.svg') : undefined);
  if (svg) writeAtomic(svg, confusionSvg(e));
  const { source, engine, calibration: _c, ...figures } = e;
  if (values.json) {
    console.log(JSON.stringify({ checkpoint: source, engine, ...figures, confusionSvg: svg ?? null }));
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
}
