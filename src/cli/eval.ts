// cmv3 eval <run|checkpoint> [--data DIR] [--limit N] [--svg PATH] [--json]
import { join } from 'node:path';
import { readDataset } from '../data/folder.js';
import { writeAtomic } from '../train/run.js';
import { confusionSvg, evaluateSet } from '../train/evaluate.js';
import { loadTrained } from '../train/trained.js';
import { numberOption, parse, positiveInt, UsageError } from './args.js';
import { dataDir } from './common.js';

export const EVAL_USAGE = 'usage: cmv3 eval <run|checkpoint> [--data DIR] [--limit N] [--svg PATH] [--json]';

export async function evalCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, limit: { type: 'string' }, svg: { type: 'string' }, json: { type: 'boolean' } }, EVAL_USAGE);
  if (values.help) { console.log(EVAL_USAGE); return; }
  if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}\n${EVAL_USAGE}`);
  const t = await loadTrained(positionals[0]);
  const set = readDataset(dataDir(values.data as string | undefined), 'test', t.model.spec.inputSize, numberOption(values.limit, 'limit', positiveInt, 'a positive integer') ?? Infinity);
  const e = evaluateSet(t.model, set, t.normalization, t.labels);
  const svg = (values.svg as string | undefined) ?? (t.runDir ? join(t.runDir, 'confusion.svg') : undefined);
  if (svg) writeAtomic(svg, confusionSvg(e));
  if (values.json) {
    console.log(JSON.stringify({ checkpoint: t.checkpoint, ...e, confusionSvg: svg ?? null }));
    return;
  }
  console.log(`${t.checkpoint}: top-1 ${(100 * e.top1).toFixed(2)}% on ${e.images} test images (${e.imagesPerSec.toFixed(0)} images/s, ${t.model.backend.name})`);
  for (const c of e.perClass) console.log(`  ${c.label.padEnd(12)} ${(100 * c.accuracy).toFixed(2).padStart(6)}%  (${c.count})`);
  console.log('confusion (rows true, columns predicted):');
  for (const row of e.confusion) console.log('  ' + row.map((v) => String(v).padStart(5)).join(''));
  if (svg) console.log(`confusion matrix: ${svg}`);
}
