// npm run bench:recipe -- [--epochs E] [--rows a,b,...] [--threads T]: the recipe ablation.
// Each row is the row before plus one change (or a stated removal), trained on 45,000 CIFAR-10
// training images and measured on the 5,000 held out (never the test set), at a fixed epoch
// budget, seed 1. A row's run folder is runs/recipe-ablation-eE/NAME: a finished row is read
// back, an interrupted one resumed, so the bench continues across sessions. Writes BENCHMARKS.md.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../src/cli/common.js';
import { resolveSpec } from '../src/models/registry.js';
import { PAPER_RECIPE, type Recipe } from '../src/train/recipe.js';
import { createRun, readMetrics, readRunConfig, runPaths } from '../src/train/run.js';
import { newRunConfig, train } from '../src/train/trainer.js';
import { formatDuration } from '../src/train/time-to.js';
import { writeSection } from './section.js';
import { failer, parseOptions, type Fail } from './cli.js';

interface Row { name: string; change: string; apply(r: Recipe): Recipe }

const opt = (patch: Partial<Recipe['optimizer']>) => (r: Recipe): Recipe => ({ ...r, optimizer: { ...r.optimizer, ...patch } });
export const ROWS: Row[] = [
  { name: 'paper', change: 'the paper recipe (cosine, SGD+Nesterov lr 0.1, L2 1e-5, dropout 0.2, label smoothing 0.1)', apply: (r) => r },
  { name: 'wd5e-4', change: '+ weight decay 5e-4 (from 1e-5)', apply: opt({ weightDecay: 5e-4 }) },
  { name: 'linear', change: '+ linear decay to 0, 1 warm-up epoch (from cosine, 2)', apply: (r) => ({ ...r, schedule: 'linear', warmupEpochs: 1 }) },
  { name: 'lr0.2', change: '+ lr 0.2 at batch 128 (from 0.1)', apply: opt({ lr: 0.2 }) },
  { name: 'nodrop', change: '- dropout (0 from 0.2)', apply: (r) => ({ ...r, dropout: 0 }) },
  { name: 'bnbias8', change: '+ BN shifts at 8x the lr', apply: opt({ bnBiasLrScale: 8 }) },
  { name: 'altflip', change: '+ alternating flips (from random)', apply: (r) => ({ ...r, aug: { ...r.aug, alternateFlip: true } }) },
];

const { values } = parseOptions('bench:recipe', { options: { epochs: { type: 'string', default: '6' }, rows: { type: 'string' }, threads: { type: 'string', default: '2' }, data: { type: 'string' } } });
const epochs = Number(values.epochs), threads = Number(values.threads);
const wanted = values.rows ? new Set(values.rows.split(',')) : null;
const root = `runs/recipe-ablation-e${epochs}`;
// Rows of an ablation train on one dataset: without --data, the one the first row recorded.
const data = dataDir(values.data, `${root}/${ROWS[0].name}`);
if (!existsSync(join(data, 'data_batch_1.bin'))) {
  const usage: Fail = failer('bench:recipe');
  usage(`no CIFAR-10 training batches in ${data}; pass --data DIR (the cifar-10-batches-bin folder) or set CMV3_DATA`);
}
const signal = { stop: false };
process.on('SIGINT', () => { signal.stop = true; console.error('stopping after this step and saving'); });

const results: { row: Row; acc: number | null; epochsDone: number }[] = [];
let recipe: Recipe = { ...PAPER_RECIPE, name: 'ablation' };
for (const row of ROWS) {
  recipe = row.apply(recipe);
  const dir = `${root}/${row.name}`;
  if (!signal.stop && (!wanted || wanted.has(row.name))) {
    if (!existsSync(runPaths(dir).config)) {
      const spec = resolveSpec('cmv3', { width: 0.5 });
      spec.dropout = recipe.dropout;
      createRun(dir, newRunConfig({ spec, recipe: { ...recipe, name: `ablation:${row.name}` }, seed: 1, epochs, batchSize: recipe.batchSize,
        lr: recipe.optimizer.lr, limitTrain: null, limitTest: null, validation: 5000, init: null, data }));
    }
    if (readMetrics(dir).length < readRunConfig(dir).epochs) {
      console.log(`${row.name}: ${row.change}`);
      await train({ dir, backend: 'auto', threads, signal }, { onEpoch: (m) => console.log(`  epoch ${m.epoch}/${epochs} validation ${(100 * m.testAcc).toFixed(2)}% (${formatDuration(m.wallSeconds)})`) });
    }
  }
  const m = existsSync(runPaths(dir).config) ? readMetrics(dir) : [];
  results.push({ row, acc: m.length === epochs ? m.at(-1)!.testAcc : null, epochsDone: m.length });
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} on this 2-core machine, ${threads} threads. Command: \`npm run bench:recipe -- --epochs ${epochs}\`.`,
  `Wall times are left out: other work shared the machine during these runs (accuracy at a fixed epoch budget does not depend on it).`,
  `cmv3 width 0.5, batch 128, seed 1, ${epochs} epochs on 45,000 CIFAR-10 training images, accuracy at the final epoch on the 5,000 held-out training images (the test set is not looked at). Each row adds one change to the row above.`,
  '',
  '| row | change | validation accuracy | against the row above |',
  '|---|---|---:|---:|',
  ...results.map((r, i) => {
    const prev = results.slice(0, i).reverse().find((p) => p.acc !== null);
    const acc = r.acc === null ? (r.epochsDone ? `unfinished (${r.epochsDone}/${epochs} epochs)` : 'not run') : pct(r.acc);
    const delta = r.acc !== null && prev?.acc != null && i > 0 ? `${r.acc >= prev.acc ? '+' : ''}${(100 * (r.acc - prev.acc)).toFixed(2)}` : '';
    return `| ${r.row.name} | ${r.row.change} | ${acc} | ${delta} |`;
  }),
];
writeSection(`bench:recipe:e${epochs}`, `Recipe ablation (${epochs} epochs, validation split)`, lines.join('\n'));
console.log(lines.join('\n'));
if (signal.stop) process.exitCode = 130;
