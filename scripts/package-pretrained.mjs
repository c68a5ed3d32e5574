// Copies a finished run's final checkpoint into pretrained/<name>.ckpt without the optimizer state,
// recording where it came from. The final epoch, not the best one: picking the epoch by test
// accuracy would report a number chosen on the test set. Usage: node scripts/package-pretrained.mjs runs/NAME cmv3-w0.5-cifar10
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../dist/src/index.js';

const [run, name] = process.argv.slice(2);
if (!run || !name) {
  console.error('usage: node scripts/package-pretrained.mjs <run folder> <name>');
  process.exit(2);
}
const c = loadCheckpoint(join(run, 'last.ckpt'));
const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const final = metrics[metrics.length - 1];
if (final.epoch !== config.epochs) {
  console.error(`${run} stopped at epoch ${final.epoch} of ${config.epochs}; finish it with cmv3 train --resume ${run}`);
  process.exit(1);
}
saveCheckpoint(join('pretrained', `${name}.ckpt`), {
  spec: c.spec, tensors: c.tensors,
  meta: { normalization: c.meta.normalization, labels: c.meta.labels, source: { recipe: config.recipe, seed: config.seed, epochs: config.epochs, batchSize: config.batchSize, lr: config.lr, testAcc: final.testAcc } },
});
console.log(`pretrained/${name}.ckpt: ${final.epoch} epochs, test accuracy ${(100 * final.testAcc).toFixed(2)}%`);
