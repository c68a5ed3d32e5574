// makeDir: mkdir -p that refuses, at once and in one line, where Node's recursive mkdir spins forever.
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeDir, MakeDirError } from '../src/io/make-dir.js';

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
