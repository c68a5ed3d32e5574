// npm run bench:explore-pg [-- --no-write]
// A study on PostgreSQL with 1, 2 and 4 worker processes of 1 thread each (the scaling of the
// coordination, not of the cores: this machine has 2), and the cost of claiming a trial, alone and
// with 4 processes contending. A throwaway cluster (test/pg-cluster.ts). Writes BENCHMARKS.md
// (section explore:postgres). Needs the machine to itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCifar } from '../test/helpers.js';
import { fakeQueue, PG_PASSWORD, startCluster } from '../test/pg-cluster.js';
import { writeSection } from './section.js';
import { failer, parseOptions, type Fail } from './cli.js';

const { values } = parseOptions('bench:explore-pg', { options: { 'no-write': { type: 'boolean' } } });
const data = findCifar();
const fail: Fail = failer('bench:explore-pg', 1);
if (!data) fail('CIFAR-10 not found; set CMV3_DATA to the cifar-10-batches-bin folder');
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const CLAIMER = fileURLToPath(new URL('../test/pg-claimer.js', import.meta.url));
const STUDY = ['--space', 'paper-widths', '--strategy', 'grid', '--trials', '5', '--rungs', '1x2000', '--validation', '500', '--limit-test', '500', '--int8-images', '0', '--seed', '1'];
const env = { ...process.env, PGPASSWORD: PG_PASSWORD };
const exited = (p: ChildProcess) => new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const pct = (a: number[], q: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(q * a.length))];

const cluster = await startCluster();
const rows: string[] = [], claims: string[] = [];
try {
  cluster.psql('postgres', 'CREATE DATABASE bench');
  const url = cluster.url('bench');
  for (const workers of [1, 2, 4]) {
    const name = `widths-${workers}`, work = mkdtempSync(join(tmpdir(), 'cmv3-bench-pg-'));
    const t0 = performance.now();
    const driver = spawn(process.execPath, [CLI, 'explore', ...STUDY, '--data', data, '--storage', url, '--study', name, '--workers', '0', '--work-dir', join(work, 'driver')], { env, stdio: 'ignore' });
    // Workers start once the study exists (a worker refuses a study that is not there).
    let ws: ChildProcess[] = [];
    for (let i = 0; i < 600; i++) {
      let made = false;
      try { made = cluster.psql('bench', `SELECT count(*) FROM studies WHERE study_name = '${name}'`) === '1'; } catch { /* no tables yet */ }
      if (made) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    ws = Array.from({ length: workers }, (_, i) => spawn(process.execPath, [CLI, 'explore', 'worker', '--storage', url, '--study', name, '--threads', '1', '--data', data, '--work-dir', join(work, `w${i}`)], { env, stdio: 'ignore' }));
    const code = await exited(driver);
    await Promise.all(ws.map(exited));
    const wall = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`the study with ${workers} workers failed (exit ${code})`);
    const train = cluster.psql('bench', `SELECT round(sum(seconds)::numeric, 1) FROM cmv3_trials WHERE study_id = (SELECT study_id FROM studies WHERE study_name = '${name}') AND status = 'done'`);
    const done = cluster.psql('bench', `SELECT count(*) FROM cmv3_trials WHERE study_id = (SELECT study_id FROM studies WHERE study_name = '${name}') AND status = 'done'`);
    const line = `| ${workers} | ${done} | ${wall.toFixed(1)} s | ${train} s |`;
    console.log(line);
    rows.push(line);
  }
  for (const procs of [1, 4]) {
    const name = `claims-${procs}`;
    await fakeQueue(url.replace('cmv3test@', `cmv3test:${PG_PASSWORD}@`), name, 400);
    const ps = Array.from({ length: procs }, () => spawn(process.execPath, [CLAIMER, url, name], { env }));
    const outs = ps.map((p) => { let o = ''; p.stdout!.on('data', (d) => { o += d; }); return () => o; });
    await Promise.all(ps.map(exited));
    const res = outs.map((o) => JSON.parse(o()) as { got: number[]; ms: number[] });
    const ids = res.flatMap((r) => r.got), ms = res.flatMap((r) => r.ms);
    if (new Set(ids).size !== 400 || ids.length !== 400) throw new Error(`claims-${procs}: ${ids.length} claims of ${new Set(ids).size} distinct trials, expected 400 of 400`);
    const line = `| ${procs} | 400 | ${mean(ms).toFixed(2)} ms | ${pct(ms, 0.5).toFixed(2)} ms | ${pct(ms, 0.95).toFixed(2)} ms |`;
    console.log(line);
    claims.push(line);
  }
} finally {
  cluster.stop();
}
const body = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, PostgreSQL from Debian on loopback (a throwaway cluster).`,
  `Command: \`npm run bench:explore-pg\`: \`cmv3 explore ${STUDY.join(' ')} --data DIR --storage URL --study NAME --workers 0\` (the driver alone) and N \`cmv3 explore worker --threads 1\` processes with their own work folders; wall time from the driver's start to its end.`,
  '',
  '| worker processes (1 thread each) | trials done | wall | training + evaluation, summed over trials |',
  '|---:|---:|---:|---:|',
  ...rows,
  '',
  'Claiming: N processes take 400 queued trials that need no training (claim, then complete at once); the time of one claim transaction (`SELECT ... FOR UPDATE SKIP LOCKED`, the update, the Optuna trial re-derived), every trial taken exactly once:',
  '',
  '| claiming processes | trials | mean | median | 95th percentile |',
  '|---:|---:|---:|---:|---:|',
  ...claims,
].join('\n');
if (!values['no-write']) { writeSection('explore:postgres', 'Explore: a study on PostgreSQL, 1 to 4 workers', body); console.log('written to BENCHMARKS.md (explore:postgres)'); }
