// Copies a run's best checkpoint into pretrained/<name>.ckpt without the optimizer state,
// recording where it came from. Usage: node scripts/package-pretrained.mjs runs/NAME cmv3-w0.5-cifar10
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../dist/src/index.js';

const [run, name] = process.argv.slice(2);
if (!run || !name) {
  console.error('usage: node scripts/package-pretrained.mjs <run folder> <name>');
  process.exit(2);
}
const c = loadCheckpoint(join(run, 'best.ckpt'));
const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const best = metrics.reduce((a, m) => (m.testAcc > a.testAcc ? m : a));
saveCheckpoint(join('pretrained', `${name}.ckpt`), {
  spec: c.spec, tensors: c.tensors,
  meta: { normalization: c.meta.normalization, labels: c.meta.labels, source: { recipe: config.recipe, seed: config.seed, epochs: config.epochs, batchSize: config.batchSize, lr: config.lr, bestEpoch: best.epoch, testAcc: best.testAcc } },
});
console.log(`pretrained/${name}.ckpt: epoch ${best.epoch}, test accuracy ${(100 * best.testAcc).toFixed(2)}%`);
