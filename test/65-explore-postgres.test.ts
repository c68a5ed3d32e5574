// Studies across machines on a real PostgreSQL server (a throwaway cluster, test/pg-cluster.ts):
// a driver and three workers as separate processes with separate working folders share nothing but
// the URL; one worker is killed with SIGKILL mid-trial and its trial continues from its last epoch
// checkpoint on another; every trial finishes exactly once; the front equals a single-process SQLite
// run of the same seed and fidelity; Debian's python3-optuna reads the study with the same front;
// a SQLite study migrates; a trial exports from the database; bad input is one line each.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cifarOrSkip, findCifar } from './helpers.js';
import { fakeQueue, PG_PASSWORD, pgBin, startCluster, type Cluster } from './pg-cluster.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ENV = { ...process.env, CMV3_DEBUG: '', PGPASSWORD: PG_PASSWORD };
const run = (args: string[], env: NodeJS.ProcessEnv = ENV) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
// Tiny fidelities (the machinery, not the accuracy), one thread per process so results repeat.
const STUDY = ['--space', 'paper-widths', '--strategy', 'grid', '--trials', '3', '--rungs', '2x1024,3x1024', '--validation', '500', '--limit-test', '100',
  '--int8-images', '20', '--calibration', '2', '--batch-size', '64', '--seed', '3'];
const PYTHON = '/usr/bin/python3';

let cluster: Cluster | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'cmv3-pgstudy-'));
let sqliteDir = '';

before(async () => {
  if (!pgBin()) return;
  cluster = await startCluster();
  for (const db of ['studies', 'otherapp', 'newer', 'migrated']) cluster.psql('postgres', `CREATE DATABASE ${db}`);
});
after(() => cluster?.stop());

function needs(t: { skip: (m: string) => void }): Cluster | null {
  if (cluster) return cluster;
  if (process.env.CI) throw new Error('PostgreSQL not found: apt-get install postgresql');
  t.skip('PostgreSQL not installed (apt-get install postgresql)');
  return null;
}

/** Debian's Optuna reads the study: every trial with state, params, values, and its best trials (cmv3 ids). */
function optunaRead(t: { skip: (m: string) => void }, url: string, study: string): { trials: { state: string; params: Record<string, string>; values: number[] | null; steps: number[]; ids: number[] }[]; best: number[] } | null {
  const probe = spawnSync(PYTHON, ['-c', 'import optuna, psycopg2'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    if (process.env.CI) throw new Error('python3-optuna / python3-psycopg2 missing: apt-get install python3-optuna python3-psycopg2');
    t.skip('python3-optuna not installed');
    return null;
  }
  const script = `
import json, logging, sys, optuna
optuna.logging.set_verbosity(logging.WARNING)
s = optuna.load_study(study_name=sys.argv[2], storage=sys.argv[1])
out = {"trials": [{"state": t.state.name, "params": t.params, "values": t.values, "steps": sorted(t.intermediate_values), "ids": t.user_attrs["cmv3_trials"]} for t in s.trials],
       "best": sorted(t.user_attrs["cmv3_trials"][-1] for t in s.best_trials)}
print(json.dumps(out))`;
  const r = spawnSync(PYTHON, ['-c', script, url.replace('cmv3test@', `cmv3test:${PG_PASSWORD}@`), study], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('65.1 bad storage input: one line each, non-zero exit, nothing written', (t) => {
  const c = needs(t);
  const data = findCifar();
  if (!c || !data) return void (data || t.skip('CIFAR-10 not found'));
  const explore = (url: string, env: NodeJS.ProcessEnv = ENV, study = "x") => run(['explore', ...STUDY, '--data', data, '--storage', url, '--study', study, '--workers', '0'], env);
  const oneLine = (r: ReturnType<typeof run>, re: RegExp) => {
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, new RegExp(PG_PASSWORD));
  };
  oneLine(explore(`postgresql://cmv3test@127.0.0.1:${c.port + 1}/studies`), /cannot reach PostgreSQL at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  oneLine(explore(c.url('studies'), { ...ENV, PGPASSWORD: 'wrong' }), /refused user cmv3test .*PGPASSWORD/);
  oneLine(explore(c.url('studies'), { ...ENV, PGPASSWORD: '', PGPASSFILE: join(tmp, 'none') }), /asks user cmv3test for a password and none was given/);
  oneLine(explore(c.url('nodb')), /database nodb does not exist/);
  // A password written in the URL works but is never shown; sslmode is honoured (this cluster has no SSL).
  oneLine(explore(`postgresql://cmv3test:${PG_PASSWORD}@127.0.0.1:${c.port}/nodb`, { ...ENV, PGPASSWORD: '' }), /database nodb does not exist/);
  oneLine(explore(`${c.url('studies')}?sslmode=require`), /SSL.*check sslmode in --storage/);
  oneLine(explore(c.url('studies'), ENV, 'bad name!'), /study name "bad name!"/);
  oneLine(run(['explore', 'show', '--storage', c.url('studies'), '--study', 'none']), /(no study none in|database studies holds no studies) /);
  // Another program's table named like Optuna's, and a newer Optuna schema: refused, untouched.
  c.psql('otherapp', 'CREATE TABLE studies (id int)');
  oneLine(explore(c.url('otherapp')), /database otherapp has a table 'studies' that is not Optuna's/);
  assert.equal(c.psql('otherapp', "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), '1', 'nothing written');
  c.psql('newer', "CREATE TABLE version_info (version_info_id int, schema_version int, library_version text); INSERT INTO version_info VALUES (1, 13, '4.0.0'); CREATE TABLE alembic_version (version_num text); INSERT INTO alembic_version VALUES ('v4.0.0.a')");
  oneLine(explore(c.url('newer')), /holds Optuna's schema version 13 \(written by Optuna 4\.0\.0.*cmv3 reads and writes version 12/);
  assert.equal(c.psql('newer', "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), '2', 'nothing written');
  // A name in use with another space.
  const first = run(['explore', '--space', 'paper-ablation', '--data', data, '--storage', c.url('studies'), '--study', 'taken', '--workers', '0', '--budget', '1s']);
  assert.ok([0, 3].includes(first.status!), first.stderr);
  oneLine(explore(c.url('studies'), ENV, 'taken'), /study taken already exists in .* with space paper-ablation; continue it with cmv3 explore --resume/);
  // The password from a .pgpass file (PGPASSFILE, else ~/.pgpass), as libpq reads it; no warning printed.
  const pgpass = join(tmp, 'pgpass');
  writeFileSync(pgpass, `127.0.0.1:${c.port}:studies:cmv3test:${PG_PASSWORD}\n`, { mode: 0o600 });
  const { PGPASSWORD: _, ...noPassword } = ENV;
  const viaFile = run(['explore', 'show', '--storage', c.url('studies'), '--study', 'taken'], { ...noPassword, PGPASSFILE: pgpass });
  assert.equal(viaFile.status, 0, viaFile.stderr);
  assert.equal(viaFile.stderr, '');
  oneLine(run(['explore', 'worker', '--storage', c.url('studies'), '--study', 'taken', '--data', join(tmp, 'nodata')]), /no CIFAR-10 training data in/);
  oneLine(run(['export', '--storage', c.url('studies'), '--study', 'taken', '--trial', '1', '--format', 'tflite', '-o', join(tmp, 'x.tflite')]), /has no checkpoint yet|has no trial 1/);
  assert.equal(existsSync(join(tmp, 'x.tflite')), false);
});

const lines = (p: ChildProcess) => { let out = ''; p.stdout!.on('data', (d) => { out += d; }); p.stderr!.on('data', (d) => { out += d; }); return () => out; };
const exited = (p: ChildProcess) => new Promise<number | null>((resolve) => { if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode); else p.once('exit', (code) => resolve(code)); });

test('65.2 a driver and three worker processes on PostgreSQL; a worker killed mid-trial; same front as SQLite; Optuna reads it', { timeout: 20 * 60_000 }, async (t) => {
  const c = needs(t);
  const data = cifarOrSkip(t);
  if (!c || !data) return;
  const url = c.url('studies');
  const driver = spawn(process.execPath, [CLI, 'explore', ...STUDY, '--data', data, '--storage', url, '--study', 'widths', '--workers', '0', '--heartbeat-timeout', '10', '--work-dir', join(tmp, 'driver')], { env: ENV });
  const driverOut = lines(driver);
  const client = new pg.Client({ connectionString: url.replace('cmv3test@', `cmv3test:${PG_PASSWORD}@`) });
  await client.connect();
  try {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref()); // never holds the test process open
    for (let i = 0; i < 600 && !/^study study widths/m.test(driverOut()); i++) await sleep(100);
    assert.match(driverOut(), /^study study widths in postgresql:\/\/cmv3test@127\.0\.0\.1:\d+\/studies/m);
    const workers = [1, 2, 3].map((i) => spawn(process.execPath, [CLI, 'explore', 'worker', '--storage', url, '--study', 'widths', '--threads', '1', '--data', data, '--work-dir', join(tmp, `machine${i}`)], { env: ENV }));
    const outs = workers.map(lines);
    // Kill worker 1 once its trial has handed in an epoch (last.ckpt in the database) and is still running.
    let victimTrial: number | undefined;
    for (let i = 0; i < 6000 && victimTrial === undefined; i++) {
      const r = await client.query("SELECT t.id FROM cmv3_trials t JOIN cmv3_files f ON f.study_id = t.study_id AND f.trial = t.id AND f.name = 'last.ckpt' WHERE t.status = 'running' AND t.worker LIKE $1", [`%:${workers[0].pid}`]);
      victimTrial = r.rows[0]?.id;
      if (victimTrial === undefined) await sleep(50);
    }
    assert.ok(victimTrial !== undefined, `worker 1 never held a trial with a checkpoint:\n${outs[0]()}`);
    workers[0].kill('SIGKILL');
    const code = await Promise.race([exited(driver), sleep(15 * 60_000).then(() => 'timeout')]);
    assert.equal(code, 0, driverOut());
    for (const w of workers.slice(1)) assert.equal(await exited(w), 0, 'a worker stops by itself when the study is finished');
    const rows = (await client.query("SELECT id, rung, label, status, metrics FROM cmv3_trials WHERE study_id = (SELECT study_id FROM studies WHERE study_name = 'widths') ORDER BY id")).rows;
    assert.deepEqual(rows.map((r) => r.status), ['done', 'done', 'done', 'done'], 'three at rung 0, one promoted');
    // Every trial started once, the killed one continued once, by another worker, from its checkpoint.
    const log = outs.map((o) => o()).join('\n');
    for (const r of rows) {
      const starts = log.match(new RegExp(`^trial ${r.id} \\(.*\\) started by`, 'gm')) ?? [];
      const continued = log.match(new RegExp(`^trial ${r.id} \\(.*\\) continued from its last checkpoint by`, 'gm')) ?? [];
      assert.deepEqual([starts.length, continued.length], r.id === victimTrial ? [1, 1] : [1, 0], `trial ${r.id}:\n${log}`);
    }
    assert.doesNotMatch(outs[0](), new RegExp(`^trial ${victimTrial} \\(.*\\) continued`, 'm'));
    const metrics = (await client.query("SELECT convert_from(data, 'UTF8') AS m FROM cmv3_files WHERE trial = $1 AND name = 'metrics.jsonl' AND study_id = (SELECT study_id FROM studies WHERE study_name = 'widths')", [victimTrial])).rows[0].m as string;
    assert.deepEqual(metrics.trim().split('\n').map((l) => JSON.parse(l).epoch), [1, 2], 'each epoch once: the second ran on the other worker');

    // The same study in one process on SQLite: the same front (results arrive in another order).
    sqliteDir = join(tmp, 'sqlite-widths');
    const single = run(['explore', ...STUDY, '--data', data, '--out', sqliteDir, '--workers', '1', '--threads', '1']);
    assert.equal(single.status, 0, single.stderr);
    const a = JSON.parse(run(['explore', 'show', '--storage', url, '--study', 'widths', '--json', '--all']).stdout);
    const b = JSON.parse(run(['explore', 'show', sqliteDir, '--json', '--all']).stdout);
    const byLabel = (res: { trials: { id: number; label: string; rung: number; metrics: { valAcc: number } }[]; front: number[] }) => ({
      front: res.trials.filter((x) => res.front.includes(x.id)).map((x) => x.label).sort(),
      acc: Object.fromEntries(res.trials.map((x) => [`${x.label}@${x.rung}`, x.metrics.valAcc])),
    });
    assert.deepEqual(byLabel(a), byLabel(b));

    const o = optunaRead(t, url, 'widths');
    if (!o) return;
    assert.equal(o.trials.length, 3, 'one Optuna trial per candidate');
    assert.deepEqual(o.trials.map((x) => x.state).sort(), ['COMPLETE', 'PRUNED', 'PRUNED']);
    assert.deepEqual(o.trials.map((x) => x.params.width), ['w0.35', 'w0.5', 'w0.75'], 'categorical params by label');
    const complete = o.trials.find((x) => x.state === 'COMPLETE')!;
    assert.deepEqual(complete.steps, [0, 1], 'validation accuracy per rung as intermediate values');
    assert.equal(complete.values!.length, 2, 'accuracy and int8 flash');
    assert.deepEqual(o.best, [...a.front].sort((x: number, y: number) => x - y), "Optuna's best_trials = cmv3's front");
  } finally {
    await client.end();
    driver.kill('SIGKILL');
  }
});

test('65.3 a SQLite study migrates to PostgreSQL with its trials and run files; a trial exports from the database', { timeout: 5 * 60_000 }, (t) => {
  const c = needs(t);
  const data = cifarOrSkip(t);
  if (!c || !data) return;
  if (!sqliteDir) return void t.skip('needs the SQLite study of 65.2');
  const url = c.url('migrated');
  const m = run(['explore', 'migrate', sqliteDir, '--storage', url, '--study', 'laptop']);
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stdout, /copied 4 trials and 20 run files .* into study laptop/);
  const a = JSON.parse(run(['explore', 'show', '--storage', url, '--study', 'laptop', '--json', '--all']).stdout);
  const b = JSON.parse(run(['explore', 'show', sqliteDir, '--json', '--all']).stdout);
  assert.deepEqual({ ...a, trials: a.trials.map((x: { worker: unknown }) => ({ ...x, worker: null })) }, { ...b, state: 'finished', trials: b.trials.map((x: { worker: unknown }) => ({ ...x, worker: null })) });
  assert.match(run(['explore', 'migrate', sqliteDir, '--storage', url, '--study', 'laptop']).stderr, /study laptop already exists/);
  const out = join(tmp, 'front.tflite');
  const e = run(['export', '--storage', url, '--study', 'laptop', '--trial', String(a.front[0]), '--format', 'tflite', '--int8', '--calibration', '4', '--data', data, '-o', out]);
  assert.equal(e.status, 0, e.stderr);
  assert.ok(existsSync(out));
  const local = join(tmp, 'front-local.tflite');
  const f = run(['export', join(sqliteDir, 'trials', String(a.front[0]).padStart(4, '0')), '--format', 'tflite', '--int8', '--calibration', '4', '--data', data, '-o', local]);
  assert.equal(f.status, 0, f.stderr);
  assert.deepEqual(spawnSync('cmp', [out, local]).status, 0, 'the same bytes as from the trial folder');
  const o = optunaRead(t, url, 'laptop');
  if (o) assert.deepEqual(o.best, [...a.front].sort((x: number, y: number) => x - y));
  writeFileSync(join(tmp, 'done'), '');
});

test('65.4 four processes claiming from one queue at once: every trial claimed exactly once', { timeout: 5 * 60_000 }, async (t) => {
  const c = needs(t);
  if (!c) return;
  const url = c.url('studies');
  await fakeQueue(url.replace('cmv3test@', `cmv3test:${PG_PASSWORD}@`), 'contention', 200);
  const claimer = fileURLToPath(new URL('./pg-claimer.js', import.meta.url));
  const procs = [0, 1, 2, 3].map(() => spawn(process.execPath, [claimer, url, 'contention'], { env: ENV }));
  const outs = procs.map((p) => { let o = ''; p.stdout!.on('data', (d) => { o += d; }); return () => o; });
  const codes = await Promise.all(procs.map(exited));
  assert.deepEqual(codes, [0, 0, 0, 0]);
  const got = outs.map((o) => JSON.parse(o()).got as number[]);
  const all = got.flat().sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 200 }, (_, i) => i + 1), 'each of the 200 trials once, none twice');
  assert.ok(got.filter((g) => g.length > 0).length >= 2, `the claims were contended: ${got.map((g) => g.length).join(', ')}`);
});

test('65.5 a stopped driver stops its standalone workers: the running trial goes back to the queue with its checkpoint', { timeout: 10 * 60_000 }, async (t) => {
  const c = needs(t);
  const data = cifarOrSkip(t);
  if (!c || !data) return;
  const url = c.url('studies');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
  // Long trials (20 epochs), so the held trial cannot finish between the stop and the worker's next beat.
  const long = STUDY.map((a, i) => (STUDY[i - 1] === '--rungs' ? '20x1024,21x1024' : a));
  const driver = spawn(process.execPath, [CLI, 'explore', ...long, '--data', data, '--storage', url, '--study', 'stopme', '--workers', '0', '--heartbeat-timeout', '10', '--work-dir', join(tmp, 'stop-driver')], { env: ENV });
  const driverOut = lines(driver);
  const client = new pg.Client({ connectionString: url.replace('cmv3test@', `cmv3test:${PG_PASSWORD}@`) });
  await client.connect();
  try {
    for (let i = 0; i < 600 && !/^study study stopme/m.test(driverOut()); i++) await sleep(100);
    const worker = spawn(process.execPath, [CLI, 'explore', 'worker', '--storage', url, '--study', 'stopme', '--threads', '1', '--data', data, '--work-dir', join(tmp, 'stop-worker')], { env: ENV });
    const workerOut = lines(worker);
    const study = "(SELECT study_id FROM studies WHERE study_name = 'stopme')";
    let held: number | undefined;
    for (let i = 0; i < 6000 && held === undefined; i++) {
      held = (await client.query(`SELECT t.id FROM cmv3_trials t JOIN cmv3_files f ON f.study_id = t.study_id AND f.trial = t.id AND f.name = 'last.ckpt' WHERE t.study_id = ${study} AND t.status = 'running'`)).rows[0]?.id;
      if (held === undefined) await sleep(50);
    }
    assert.ok(held !== undefined, workerOut());
    driver.kill('SIGINT');
    assert.equal(await exited(driver), 130, driverOut());
    assert.equal(await exited(worker), 0, workerOut());
    assert.match(workerOut(), new RegExp(`the study was stopped; trial ${held} goes back to the queue with its progress`));
    const row = (await client.query(`SELECT status, worker FROM cmv3_trials WHERE study_id = ${study} AND id = $1`, [held])).rows[0];
    assert.deepEqual(row, { status: 'pending', worker: null });
    const state = (await client.query(`SELECT state FROM cmv3_studies WHERE study_id = ${study}`)).rows[0].state;
    assert.equal(state, 'stopped');
  } finally {
    await client.end();
    driver.kill('SIGKILL');
  }
});
