// The CLI as a user runs it: output, JSON, exit codes and one-line errors without stack traces.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CMV3_DEBUG: '' } });

test('summary prints the per-layer table and the paper\'s totals', () => {
  const r = run('summary', 'cmv3', '--width', '0.5');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Total params:\s+171,946/);
  assert.match(r.stdout, /Trainable params:\s+168,794/);
  assert.match(r.stdout, /MACs per image:\s+27,930,240/);
  assert.match(r.stdout, /block6\.1dw\.conv\s+dwconv5x5\s+\(1, 16, 16, 288\)/);
});

test('summary --json carries params.total, params.trainable, macs and layers[]', () => {
  const r = run('summary', 'mobilenetv3-small', '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.params.total, 1_846_930);
  assert.equal(typeof s.params.trainable, 'number');
  assert.equal(typeof s.macs, 'number');
  assert.ok(Array.isArray(s.layers) && s.layers.length > 50);
  assert.deepEqual(Object.keys(s.layers[0]).sort(), ['activationElements', 'inShape', 'kind', 'macs', 'name', 'nonTrainable', 'outShape', 'params']);
});

test('a dumped spec is a spec: edit it, summarise it', () => {
  const spec = JSON.parse(run('summary', 'cmv3', '--dump-spec').stdout);
  spec.width = 1;
  const path = join(mkdtempSync(join(tmpdir(), 'cmv3-cli-')), 'my.json');
  writeFileSync(path, JSON.stringify(spec));
  const s = JSON.parse(run('summary', path, '--json').stdout);
  assert.equal(s.params.total, 440_506);
  assert.equal(JSON.parse(run('summary', path, '--width', '0.35', '--json').stdout).params.total, 123_634);
});

test('bad input: one clear line, a non-zero exit, no stack trace', () => {
  const cases: [string[], number, RegExp][] = [
    [['summary', 'cmv3', '--bogus'], 2, /Unknown option '--bogus'/],
    [['summary', 'cmv3', '--width', 'abc'], 2, /Expected a positive number for --width but received "abc"/],
    [['summary', 'cmv3', '--width=-1'], 2, /Expected a positive number for --width/],
    [['summary', 'nope.json'], 1, /cannot read spec file nope\.json/],
    [['summary', 'resnet'], 1, /unknown model 'resnet'/],
    [['summary'], 2, /Expected one model name or spec file/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    // train checks its options and model before it looks for the data, so a typo is the first error
    [['train', '--epochs', '0', '--data', '/nonexistent'], 2, /Expected a positive integer for --epochs but received "0"/],
    [['train', '--model', 'resnet', '--data', '/nonexistent'], 1, /unknown model 'resnet'/],
    [['train', '--epochs', '1', '--data', '/nonexistent'], 2, /no training data in \/nonexistent: .*cmv3 data fetch cifar10/],
  ];
  for (const [args, code, re] of cases) {
    const r = run(...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /^cmv3: error: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-cli-'));
  writeFileSync(join(dir, 'broken.json'), '{"name": "x",');
  assert.match(run('summary', join(dir, 'broken.json')).stderr, /is not valid JSON/);
  writeFileSync(join(dir, 'wrong.json'), JSON.stringify({ name: 'x' }));
  assert.match(run('summary', join(dir, 'wrong.json')).stderr, /Expected a positive integer for spec\.inputSize but received nothing/);
});

test('the library entry resolves as the package name', async () => {
  const lib = await import('cmv3');
  assert.equal(typeof lib.Model.create, 'function');
  assert.equal(lib.CMV3.name, 'cmv3');
  const m = await lib.Model.create('cmv3', { width: 0.35, backend: 'reference' });
  assert.equal(lib.summarize(m.net).params.total, 123_634);
});
