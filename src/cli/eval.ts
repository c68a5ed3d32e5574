// cmv3 eval <run|checkpoint|model.tflite> [--data DIR] [--limit N] [--int8 ...] [--svg PATH] [--json]
import { join } from 'node:path';
import { writeAtomic } from '../io/write-file.js';
import { confusionSvg } from '../train/evaluate.js';
import { evaluate } from '../api/evaluate.js';
import { resolveCheckpoint } from '../train/trained.js';
import { progressBar } from './progress.js';
import { int8Options, QUANT_OPTIONS, runtimeOption } from './deploy-options.js';
import { numberOption, parse, positiveInt, UsageError } from './args.js';
import { dataDir } from './common.js';

export const EVAL_USAGE = `usage: cmv3 eval <run|checkpoint|model.tflite> [--data DIR] [--limit N] [--svg PATH] [--json]
  --int8                 quantize in memory first and run the int8 engine
  --calibration N        calibration images from the training split (default 500)
  --observer NAME        minmax | percentile | mse (default minmax)
  --runtime NAME         int8 arithmetic to mirror: reference (TFLite Micro, default) | builtin | xnnpack`;

export async function evalCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, limit: { type: 'string' }, svg: { type: 'string' }, json: { type: 'boolean' }, ...QUANT_OPTIONS }, EVAL_USAGE);
  if (values.help) { console.log(EVAL_USAGE); return; }
  if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}\n${EVAL_USAGE}`);
  const limit = numberOption(values.limit, 'limit', positiveInt, 'a positive integer') ?? Infinity;
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
  console.log('confusion (rows true, columns predicted):');
  for (const row of e.confusion) console.log('  ' + row.map((v) => String(v).padStart(5)).join(''));
  if (svg) console.log(`confusion matrix: ${svg}`);
}
