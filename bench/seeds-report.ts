// node dist/bench/seeds-report.js runs/A runs/B ...: the same recipe run with several seeds, as
// Markdown for BENCHMARKS.md: each run's final test accuracy, its training wall time, when it
// first reached the paper's 89.13%, and the mean and spread over the runs.
import { readMetrics, readRunConfig } from '../src/train/run.js';
import { timeToAccuracy } from '../src/train/time-to.js';
import { failer, type Fail } from './cli.js';

const PAPER = 0.8913;
const dirs = process.argv.slice(2);
const usage: Fail = failer('seeds-report'), fail: Fail = failer('seeds-report', 1);
if (!dirs.length) usage('usage: node dist/bench/seeds-report.js <run folder> [<run folder> ...]');
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
// rounded to the second first, so 59.6 s carries into the minute instead of printing 60s
const mmss = (s: number) => { const t = Math.round(s); return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`; };
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
// sample standard deviation (n - 1): the spread a new seed should be expected to show
const sd = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));

const rows = dirs.map((dir) => {
  let config: ReturnType<typeof readRunConfig>;
  try {
    config = readRunConfig(dir);
  } catch (err) {
    fail((err as Error).message);
  }
  const m = readMetrics(dir);
  if (!m.length) fail(`${dir} has no finished epoch yet`);
  const last = m.at(-1)!, reached = timeToAccuracy(m, PAPER);
  if (last.epoch !== config.epochs) console.error(`note: ${dir} stopped at epoch ${last.epoch} of ${config.epochs}`);
  return { dir, seed: config.seed, epochs: last.epoch, acc: last.testAcc, wall: last.wallSeconds, reached };
});
const lines = [
  `| run | seed | epochs | final test accuracy | training wall time | ${pct(PAPER)} first reached |`,
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| \`${r.dir}\` | ${r.seed} | ${r.epochs} | ${pct(r.acc)} | ${r.wall.toFixed(0)} s (${mmss(r.wall)}) | ${r.reached ? `epoch ${r.reached.epoch}, ${mmss(r.reached.wallSeconds)}` : 'not reached'} |`),
];
const accs = rows.map((r) => r.acc), walls = rows.map((r) => r.wall), times = rows.flatMap((r) => (r.reached ? [r.reached.wallSeconds] : []));
// One run has no spread to report: its row is the whole of it.
if (rows.length > 1) lines.push('', `Over ${rows.length} runs: final test accuracy ${pct(mean(accs))} mean, ${(100 * sd(accs)).toFixed(2)} points standard deviation (${pct(Math.min(...accs))} to ${pct(Math.max(...accs))}); training wall time ${mean(walls).toFixed(0)} s mean (${Math.min(...walls).toFixed(0)} to ${Math.max(...walls).toFixed(0)} s)`
  + (times.length ? `; ${pct(PAPER)} first reached after ${mmss(mean(times))} on average (${mmss(Math.min(...times))} to ${mmss(Math.max(...times))}), in ${times.length} of ${rows.length} runs.` : `; ${pct(PAPER)} not reached.`));
console.log(lines.join('\n'));
