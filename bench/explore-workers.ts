// npm run bench:explore-workers [-- --no-write]
// How to spend 2 cores on a study: one worker with 2 threads, or 2 workers with 1 thread each.
// The same small study (paper-widths w0.35 and w0.5, 2 epochs on 20,000 images, 2,000 test
// images) runs both ways; wall time and each trial's training throughput go into BENCHMARKS.md
// (section explore:workers). Needs the machine to itself.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMetrics } from '../src/train/run.js';
import { findCifar } from '../test/helpers.js';
import { writeSection } from './section.js';
import { failer, parseOptions, type Fail } from './cli.js';

const { values } = parseOptions('bench:explore-workers', { options: { 'no-write': { type: 'boolean' } } });
const data = findCifar();
const fail: Fail = failer('bench:explore-workers', 1);
if (!data) fail('CIFAR-10 not found; set CMV3_DATA to the cifar-10-batches-bin folder');
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const STUDY = ['--space', 'paper-widths', '--trials', '2', '--rungs', '2x20000', '--limit-test', '2000', '--int8-images', '0', '--seed', '1', '--data', data];

const rows: string[] = [];
for (const [workers, threads] of [[1, 2], [2, 1]]) {
  const out = join(mkdtempSync(join(tmpdir(), 'cmv3-bench-workers-')), 'study');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'explore', ...STUDY, '--workers', String(workers), '--threads', String(threads), '--out', out], { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) fail(`the study failed (${r.status}): ${r.stderr.trim().split('\n').at(-1)}`);
  const ips = ['0001', '0002'].map((id) => readMetrics(join(out, 'trials', id)).map((m) => m.imagesPerSec));
  const acc = ['0001', '0002'].map((id) => readMetrics(join(out, 'trials', id)).at(-1)?.testAcc ?? NaN);
  const line = `| ${workers} x ${threads} | ${wall.toFixed(1)} s | ${ips.map((v) => v.map((x) => x.toFixed(0)).join(', ')).join(' / ')} | ${acc.map((a) => `${(100 * a).toFixed(2)}%`).join(' / ')} |`;
  console.log(line);
  rows.push(line);
}
const body = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, oneDNN backend.`,
  `Command: \`npm run bench:explore-workers\` (two runs of \`cmv3 explore ${STUDY.slice(0, -2).join(' ')} --data DIR\`, once \`--workers 1 --threads 2\`, once \`--workers 2 --threads 1\`; wall time of the whole command, pricing, training, evaluation included).`,
  '',
  '| workers x threads | wall | training images/s per epoch (w0.35 / w0.5) | validation accuracy (w0.35 / w0.5) |',
  '|---|---:|---|---|',
  ...rows,
  '',
  'The two trials of the 2-worker run train at the same time, so each one\'s images/s is its share of the 2 cores.',
].join('\n');
if (!values['no-write']) { writeSection('explore:workers', 'Explore: workers x threads on 2 cores', body); console.log('written to BENCHMARKS.md (explore:workers)'); }
