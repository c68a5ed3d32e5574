// cmv3 explore as a user runs it: a small study end to end under a flash limit, killed mid-way and
// resumed without losing or repeating a trial, shown as a table, JSON and SVG; bad input in one line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Study } from '../src/explore/store.js';
import { cifarOrSkip } from './helpers.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CMV3_DEBUG: '' } });
// Tiny fidelities: the point is the machinery, not the accuracy.
const SMALL = ['--rungs', '1x256,2x256', '--validation', '256', '--limit-test', '100', '--int8-images', '20', '--calibration', '2', '--batch-size', '64', '--threads', '2'];

test('62.1 a paper-widths study under --max-flash: over-limit widths rejected untrained, the rest trained, front shown', (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const dir = join(mkdtempSync(join(tmpdir(), 'cmv3-explore-')), 'widths');
  const r = run('explore', '--space', 'paper-widths', '--max-flash', '270KB', '--data', data, '--out', dir, ...SMALL);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /rejected w0\.75: int8 model [\d.]+ KB > --max-flash 270\.0 KB/);
  assert.match(r.stdout, /rejected w1\.5:/);
  const s = Study.open(join(dir, 'study.sqlite'));
  const trials = s.trials();
  s.close();
  assert.deepEqual(trials.filter((x) => x.rung === 0 && x.status === 'done').map((x) => x.label), ['w0.35', 'w0.5']);
  assert.equal(trials.filter((x) => x.status === 'rejected').length, 3);
  assert.equal(trials.filter((x) => x.status === 'rejected' && existsSync(join(dir, 'trials', String(x.id).padStart(4, '0')))).length, 0, 'rejected candidates cost no training');
  const top = trials.filter((x) => x.rung === 1);
  assert.equal(top.length, 1, 'successive halving: ceil(2 / 3) = 1 goes on');
  assert.equal(top[0].metrics?.int8Images, 20, 'the top rung measures int8 accuracy');
  assert.ok(trials.every((x) => x.status !== 'done' || x.cost!.int8Bytes <= 270 * 1024));
  const show = run('explore', 'show', dir, '--json');
  assert.equal(show.status, 0, show.stderr);
  const res = JSON.parse(show.stdout);
  assert.equal(res.rung, 1);
  assert.deepEqual(res.front, [top[0].id]);
  const svg = readFileSync(join(dir, 'front.svg'), 'utf8');
  assert.equal((svg.match(/<circle class="point/g) ?? []).length, 2, 'one dot per trial at the rung, in each of the two panels');
  const all = run('explore', 'show', dir, '--rung', '0', '--all');
  assert.match(all.stdout, /w0\.35/);
  assert.match(all.stdout, /w0\.5/);
  // a trial folder is a run folder: the export line show prints names it, and cmv3 export takes it as it is
  const named = run('explore', 'show', dir).stdout.match(/export the smallest on the front \(#(\d+)\) with: cmv3 export (\S+) --format tflite --int8 -o model\.tflite/);
  assert.ok(named, 'show prints an export command');
  assert.equal(Number(named[1]), top[0].id);
  assert.equal(named[2], join(dir, 'trials', String(top[0].id).padStart(4, '0')));
  const ex = run('export', named[2], '--format', 'tflite', '--int8', '--calibration', '2', '--data', data, '-o', join(dir, 'best.tflite'));
  assert.equal(ex.status, 0, ex.stderr);
  assert.equal(readFileSync(join(dir, 'best.tflite')).length, top[0].cost!.int8Bytes, 'the size the search priced is the size exported');
  // and its network retrains from spec.json at any fidelity
  const spec = JSON.parse(readFileSync(join(dir, 'trials', String(top[0].id).padStart(4, '0'), 'spec.json'), 'utf8'));
  assert.deepEqual(spec, top[0].spec);
  // and, without the study, from its space and label
  const cand = run('explore', 'candidate', 'paper-widths', top[0].label, '-o', join(dir, 'cand.json'));
  assert.equal(cand.status, 0, cand.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'cand.json'), 'utf8')), spec);
});

test('62.2 a study killed mid-trial resumes (with two workers): finished trials kept, none run twice', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const dir = join(mkdtempSync(join(tmpdir(), 'cmv3-explore-')), 'resume');
  const args = ['explore', '--space', 'paper-widths', '--max-flash', '270KB', '--rungs', '1x256', '--validation', '256', '--limit-test', '100',
    '--int8-images', '0', '--batch-size', '64', '--threads', '2', '--data', data, '--out', dir];
  const child = spawn(process.execPath, [CLI, ...args], { detached: true, stdio: 'ignore' });
  // wait until the first trial is done, then kill the driver and its worker at once (as a crash would)
  const studyPath = join(dir, 'study.sqlite');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 500));
    if (!existsSync(studyPath)) continue;
    const s = Study.open(studyPath), c = s.counts();
    s.close();
    if (c.done >= 1) break;
  }
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  let s = Study.open(studyPath);
  const before = s.trials().filter((x) => x.status === 'done');
  s.close();
  assert.ok(before.length >= 1);
  const r = run('explore', '--resume', dir, '--workers', '2', '--threads', '1');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  s = Study.open(studyPath);
  const after = s.trials();
  s.close();
  for (const b of before) assert.deepEqual(after.find((x) => x.id === b.id)?.metrics, b.metrics, `trial ${b.id} was not re-run`);
  assert.deepEqual(after.filter((x) => x.status === 'done').map((x) => x.label).sort(), ['w0.35', 'w0.5']);
  for (const x of after.filter((y) => y.status === 'done')) {
    const lines = readFileSync(join(dir, 'trials', String(x.id).padStart(4, '0'), 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 1, `trial ${x.id} trained its one epoch once`);
  }
  const started = [...r.stdout.matchAll(/^trial (\d+) \(.*\) started by/gm)].map((m) => Number(m[1]));
  assert.equal(new Set(started).size, started.length, `no trial started twice after the resume: ${started}`);
  for (const b of before) assert.ok(!started.includes(b.id), `finished trial ${b.id} was not started again`);
});

test('62.3 bad input: one line, non-zero exit, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-explore-'));
  const cases: [string[], RegExp][] = [
    [['explore', '--space', 'nope', '--out', join(dir, 'a')], /unknown space 'nope'/],
    [['explore', '--space', 'paper-widths', '--max-flash', 'lots'], /Expected a size such as 256KB or 1MB for --max-flash but received "lots"/],
    [['explore', '--space', 'paper-widths', '--rungs', '3x100,1x100'], /each rung must cost more than the one before/],
    [['explore', '--space', 'paper-widths', '--rungs', '3x60000'], /only 45000 remain after the validation hold-out/],
    [['explore', '--space', 'paper-widths', '--budget', 'soon'], /Expected a duration such as 2h/],
    [['explore', '--space', 'paper-widths', '--strategy', 'annealing'], /Expected grid\|random\|nsga2 for --strategy/],
    [['explore', '--space', 'paper-widths', '--objectives', 'accuracy,beauty'], /--objectives/],
    [['explore', '--resume', join(dir, 'none')], /no such study/],
    [['explore', 'show', join(dir, 'junk.sqlite')], /not a cmv3 study|cannot open study|no such study/],
    [['explore', '--resume', join(dir, 'none'), '--space', 'paper-widths'], /only --budget, --workers and --threads may change/],
    [['explore', 'candidate', 'cmv3-local', 'b0.act=relu7'], /dimension b0\.act has no choice 'relu7'; use one of: hswish, relu6, mish/],
    [['explore', 'candidate', 'cmv3-local'], /Expected a space and a candidate label but received 1/],
    [['explore', 'candidate', 'paper-widths', 'w2'], /space paper-widths has no candidate 'w2'; use one of: /],
  ];
  writeFileSync(join(dir, 'junk.sqlite'), 'not sqlite at all'.repeat(200));
  writeFileSync(join(dir, 'bad-space.json'), JSON.stringify({ name: 'b', base: 'cmv3', dims: [{ name: 'k', choices: [{ set: { 'blocks.0.kernal': 3 } }] }] }));
  cases.push([['explore', '--space', join(dir, 'bad-space.json')], /blocks\.0\.kernal does not name a field of the spec/]);
  for (const [args, msg] of cases) {
    const r = run(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, msg, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
