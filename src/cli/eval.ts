// cmv3 eval <run|checkpoint|model.tflite> [--data DIR] [--limit N] [--int8 ...] [--svg PATH] [--json]
import { join } from 'node:path';
import { readDataset } from '../data/folder.js';
import { writeAtomic } from '../io/write-file.js';
import { confusionSvg, evaluateSet } from '../train/evaluate.js';
import { loadPredictor } from '../deploy/load.js';
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
  const t = await loadPredictor(positionals[0], { int8: values.int8 ? int8Options(values, positionals[0]) : undefined, runtime });
  const set = readDataset(dataDir(values.data as string | undefined, positionals[0]), 'test', t.predictor.spec.inputSize, limit);
  const e = evaluateSet(t.predictor, set, t.normalization, t.labels);
  const svg = (values.svg as string | undefined) ?? (t.runDir ? join(t.runDir, 'confusion.svg') : undefined);
  if (svg) writeAtomic(svg, confusionSvg(e));
  if (values.json) {
    console.log(JSON.stringify({ checkpoint: t.source, engine: t.predictor.backend.name, ...e, confusionSvg: svg ?? null }));
    return;
  }
  console.log(`${t.source}: top-1 ${(100 * e.top1).toFixed(2)}% on ${e.images} test images (${e.imagesPerSec.toFixed(0)} images/s, ${t.predictor.backend.name})`);
  for (const c of e.perClass) console.log(`  ${c.label.padEnd(12)} ${(100 * c.accuracy).toFixed(2).padStart(6)}%  (${c.count})`);
  console.log('confusion (rows true, columns predicted):');
  for (const row of e.confusion) console.log('  ' + row.map((v) => String(v).padStart(5)).join(''));
  if (svg) console.log(`confusion matrix: ${svg}`);
}
