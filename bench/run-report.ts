// node dist/bench/run-report.js runs/NAME: a run's accuracy curve as Markdown for BENCHMARKS.md:
// final and best test accuracy, wall time to each accuracy level, throughput and data waits.
import { referenceBackend } from '../src/backend/reference.js';
import { buildNetwork } from '../src/models/build.js';
import { summarize } from '../src/summary.js';
import { readRunConfig, readMetrics } from '../src/train/run.js';
import { REPORT_LEVELS, timeToAccuracy, wallCountsEval } from '../src/train/time-to.js';
import { failer, type Fail } from './cli.js';

const dir = process.argv[2];
const usage: Fail = failer('run-report'), fail: Fail = failer('run-report', 1);
if (!dir) usage('usage: node dist/bench/run-report.js <run folder>');
let config: ReturnType<typeof readRunConfig>;
try {
  config = readRunConfig(dir);
} catch (err) {
  fail((err as Error).message);
}
const m = readMetrics(dir);
if (!m.length) fail(`${dir} has no finished epoch yet`);
// The parameter count tells a study candidate from its base: both carry the base's name.
const params = summarize(buildNetwork(config.spec, { backend: referenceBackend })).params.total;
const best = m.reduce((a, r) => (r.testAcc > a.testAcc ? r : a));
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const hms = (s: number) => `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
const evalNote = wallCountsEval(m) ? 'wall time counts training steps and the per-epoch test passes'
  : 'wall time counts training steps only (recorded before test passes were timed); each epoch\'s test pass comes on top';
// A run with --validation N measured held-out training images each epoch, not the test set.
const heldOut = config.validation ?? 0;
const set = heldOut > 0 ? 'validation' : 'test', setNote = heldOut > 0 ? ` (${heldOut.toLocaleString('en-US')} training images held out; the test set was not looked at)` : '';
const lines = [
  `Run \`${dir}\`: ${config.spec.name} width ${config.spec.width} (${params.toLocaleString('en-US')} parameters), recipe ${config.recipe.name}, ${config.epochs} epochs, batch ${config.batchSize}, lr ${config.lr}, seed ${config.seed}.`,
  `Final ${set} accuracy${setNote} ${pct(m.at(-1)!.testAcc)} (epoch ${m.at(-1)!.epoch}), best ${pct(best.testAcc)} (epoch ${best.epoch}); training wall time ${hms(m.at(-1)!.wallSeconds)} (${evalNote.replace('test passes', `${set} passes`)}).`,
  '',
  `| ${set} accuracy reached | epoch | training wall time |`,
  '|---|---:|---:|',
  ...[...REPORT_LEVELS, 0.9].map((level) => {
    const r = timeToAccuracy(m, level);
    return `| ${pct(level)} | ${r ? r.epoch : 'not reached'} | ${r ? hms(r.wallSeconds) : '-'} |`;
  }),
  '',
  `| epoch | train loss | train acc | ${set} loss | ${set} acc | lr | img/s | data wait ms |`,
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...m.map((r) => `| ${r.epoch} | ${r.trainLoss.toFixed(4)} | ${pct(r.trainAcc)} | ${r.testLoss.toFixed(4)} | ${pct(r.testAcc)} | ${r.lr.toExponential(2)} | ${r.imagesPerSec.toFixed(1)} | ${r.dataWaitMs.toFixed(0)} |`),
];
console.log(lines.join('\n'));
