// The study file: trials added once per (network, rung), claimed by exactly one worker even when
// several processes race for them, orphans re-queued, and foreign files refused with one line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CMV3 } from '../src/models/builtin.js';
import { Study, StudyError, workerId } from '../src/explore/store.js';

const STORE = new URL('../src/explore/store.js', import.meta.url).href;
const trial = (i: number) => ({ key: `k${i}`, rung: 0, generation: 0, genes: [i], label: `c${i}`, spec: CMV3, epochs: 1, trainImages: 100, seed: 1, status: 'pending' as const, cost: null });

test('61.1 the same network at the same rung is one trial; status counts add up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-study-'));
  const s = Study.create(join(dir, 'study.sqlite'), { any: 'options' }, { name: 'space' });
  const a = s.add(trial(1)), again = s.add({ ...trial(1), label: 'other' });
  assert.equal(a.id, again.id);
  assert.equal(again.label, 'c1');
  s.add({ ...trial(1), rung: 1 });
  s.reject(s.add(trial(2)).id, ['too big']);
  assert.deepEqual(s.counts(), { pending: 2, running: 0, done: 0, failed: 0, rejected: 1 });
  const c = s.claim('me')!;
  assert.equal(c.rung, 1, 'higher rungs first: they decide the front');
  s.complete(c.id, 'me', { valAcc: 0.5, testAcc: 0.4, trainSeconds: 1, imagesPerSec: 1 }, 2);
  assert.throws(() => s.complete(c.id, 'me', { valAcc: 0.5, testAcc: 0.4, trainSeconds: 1, imagesPerSec: 1 }, 2), /no longer held/);
  assert.deepEqual(s.meta().options, { any: 'options' });
  s.close();
});

test('61.2 two processes racing for 40 trials claim each exactly once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-study-'));
  const path = join(dir, 'study.sqlite');
  const s = Study.create(path, {}, {});
  for (let i = 0; i < 40; i++) s.add(trial(i));
  const racer = `import { Study } from '${STORE}';
    const s = Study.open(process.argv[1]); const got = [];
    for (let t; (t = s.claim('w' + process.pid)); ) { got.push(t.id); s.complete(t.id, 'w' + process.pid, { valAcc: 0, testAcc: 0, trainSeconds: 0, imagesPerSec: 0 }, 0); }
    console.log(JSON.stringify(got));`;
  const runOne = () => new Promise<number[]>((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', racer, path]);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`racer exited ${code}`))));
  });
  const [a, b] = await Promise.all([runOne(), runOne()]);
  const all = [...a, ...b].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 40 }, (_, i) => i + 1));
  assert.deepEqual(s.counts(), { pending: 0, running: 0, done: 40, failed: 0, rejected: 0 });
  s.close();
});

test('61.3 a trial held by a dead worker goes back to the queue; a live one stays', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-study-'));
  const s = Study.create(join(dir, 'study.sqlite'), {}, {});
  s.add(trial(1)); s.add(trial(2));
  s.claim('host:dead'); s.claim(workerId());
  assert.equal(s.requeueOrphans((w) => w === workerId()), 1);
  assert.deepEqual(s.counts(), { pending: 1, running: 1, done: 0, failed: 0, rejected: 0 });
  s.lockDriver(() => true);
  s.close();
  const again = Study.open(join(dir, 'study.sqlite'));
  assert.doesNotThrow(() => again.lockDriver(() => true), 'the same process may take its own lock again');
  again.close();
});

test('61.4 a driver on another host holds the study while it beats; a silent one loses it', async () => {
  const { isAlive } = await import('../src/explore/executor.js');
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-study-'));
  const path = join(dir, 'study.sqlite');
  Study.create(path, {}, {}).close();
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const raw = new Database(path);
  raw.prepare('UPDATE study SET driver = ?, driver_beat = ? WHERE id = 1').run('elsewhere:1', Date.now() / 1000);
  const s = Study.open(path);
  assert.equal(isAlive('elsewhere:1'), undefined, 'another host\'s process cannot be seen');
  assert.throws(() => s.lockDriver(isAlive), /is being run by process elsewhere:1/);
  raw.prepare('UPDATE study SET driver_beat = ? WHERE id = 1').run(Date.now() / 1000 - 3600);
  assert.doesNotThrow(() => s.lockDriver(isAlive));
  raw.close();
  s.close();
});

test('61.5 a file that is not a study, or not SQLite at all, is refused in one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-study-'));
  writeFileSync(join(dir, 'junk.sqlite'), 'this is not a database, just text'.repeat(100));
  assert.throws(() => Study.open(join(dir, 'junk.sqlite')), (e: Error) => e instanceof StudyError && /not a cmv3 study|cannot open study/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => Study.open(join(dir, 'missing.sqlite')), (e: Error) => e instanceof StudyError && /cannot open study/.test(e.message));
});
