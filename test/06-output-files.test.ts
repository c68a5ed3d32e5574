// Output folders and files: makeDir (mkdir -p that refuses, at once and in one line, where Node's
// recursive mkdir spins forever) and writeAtomic (whole files, one-line refusals).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeDir, MakeDirError } from '../src/io/make-dir.js';
import { writeAtomic, WriteError } from '../src/io/write-file.js';
import { lineChart, niceTicks, scatterChart } from '../src/train/plot.js';

const root = mkdtempSync(join(tmpdir(), 'cmv3-mkdir-'));

test('06.1 makes missing parents, and an existing folder is fine', () => {
  const deep = join(root, 'a', 'b', 'c');
  makeDir(deep);
  makeDir(deep);
  assert.ok(statSync(deep).isDirectory());
});

test('06.2 a link to nowhere, a file in the path, or /proc is one error, not a hang', () => {
  symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
  writeFileSync(join(root, 'file'), 'x');
  const refused = (p: string, re: RegExp) => assert.throws(() => makeDir(p), (e: Error) => e instanceof MakeDirError && re.test(e.message) && !e.message.includes('\n'));
  refused(join(root, 'dangling', 'run'), /dangling exists but is not a folder \(a link to nowhere\?\); choose another path/);
  refused(join(root, 'file', 'run'), /file is a file, not a folder; choose another path/);
  if (process.platform === 'linux') refused('/proc/cmv3-not-a-folder/run', /the file system refused to make \/proc\/cmv3-not-a-folder \(ENOENT\)/);
});

test('06.3 writeAtomic writes whole files; a refusal is one WriteError line and leaves no temp file', () => {
  const dir = join(root, 'out');
  makeDir(dir);
  writeAtomic(join(dir, 'a.txt'), 'hello');
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'hello');
  const refused = (p: string, re: RegExp) => assert.throws(() => writeAtomic(p, 'x'), (e: Error) => e instanceof WriteError && re.test(e.message) && !e.message.includes('\n'));
  refused(join(dir, 'no', 'b.txt'), /folder .*no does not exist; create it or choose another path/);
  refused(dir, /it is a folder; name a file/);
  // /proc exists but takes no new files: that, not a missing folder, is what the line says.
  refused('/proc/cmv3-x.onnx', /folder \/proc does not take new files \(a system folder such as \/proc\); choose another path/);
  assert.deepEqual(readdirSync(dir).sort(), ['a.txt']);
});

test('06.4 plots: a one-epoch run draws its point; axis ticks are round numbers', () => {
  const one = lineChart('Loss', 'epoch', 'cross-entropy', [{ name: 'train', color: '#000', points: [[1, 2.3]] }]);
  assert.equal((one.match(/<circle /g) ?? []).length, 1, 'the single point is drawn');
  assert.deepEqual(niceTicks(221, 253), [225, 230, 235, 240, 245, 250]);
  assert.deepEqual(niceTicks(0, 1).map((t) => Number(t.toFixed(6))), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const front = scatterChart('front', 'KB', '%', [{ x: 1, y: 2, id: '7', title: 't', front: true }, { x: 2, y: 1, id: '8', title: 'u', front: false }]);
  assert.match(front, /<text class="label"[^>]*>#7<\/text>/, 'front points are labelled');
  assert.doesNotMatch(front, />#8</);
});
