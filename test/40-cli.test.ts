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
    [['summary', 'cmv3', '--bogus'], 2, /unknown option --bogus \(cmv3 summary --help lists them\)/],
    [['train', '--widht', '0.5'], 2, /unknown option --widht; did you mean --width\?/],
    [['train', '--epoch', '3'], 2, /unknown option --epoch; did you mean --epochs\?/],
    [['sumary', 'cmv3'], 2, /unknown command 'sumary'; did you mean 'summary'\?/],
    [['help', 'sumary'], 2, /unknown command 'sumary'; did you mean 'summary'\?/],
    [['summary', 'cmv3', '--width', 'abc'], 2, /Expected a positive number for --width but received "abc"/],
    [['summary', 'cmv3', '--width=-1'], 2, /Expected a positive number for --width/],
    [['summary', 'nope.json'], 1, /cannot read spec file nope\.json/],
    [['summary', 'resnet'], 1, /unknown model 'resnet'/],
    [['summary'], 2, /Expected one model name or spec file/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    // train checks its options and model before it looks for the data, so a typo is the first error
    [['train', '--epochs', '0', '--data', '/nonexistent'], 2, /Expected a positive integer for --epochs but received "0"/],
    [['train', '--model', 'resnet', '--data', '/nonexistent'], 1, /unknown model 'resnet'/],
    [['train', '--precision', 'fp16', '--data', '/nonexistent'], 2, /Expected f32 or bf16 for --precision but received "fp16"/],
    [['train', '--epochs', '1', '--data', '/nonexistent'], 2, /no training data in \/nonexistent: .*cmv3 data fetch cifar10/],
    [['eval', 'cmv3-w0.5-cifar10', '--per-tensor', '5'], 2, /--per-tensor compares the int8 model with the float one; add --int8/],
    [['eval', 'cmv3-w0.5-cifar10', '--int8', '--per-tensor', '0'], 2, /Expected a positive integer for --per-tensor but received "0"/],
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

test('help: every command documents every option it takes, with text; cmv3 help CMD is CMD --help', () => {
  const commands = ['summary', 'train', 'eval', 'predict', 'data', 'export', 'report', 'deploy', 'compile', 'emulate', 'explore', 'explore show', 'explore candidate', 'explore worker', 'explore migrate', 'serve'];
  for (const c of commands) {
    const r = run(...c.split(' '), '--help');
    assert.equal(r.status, 0, `${c}: ${r.stderr}`);
    const [usage, options] = r.stdout.split('\noptions:\n');
    assert.match(usage, new RegExp(`^usage: cmv3 ${c}`));
    assert.ok(options, `${c} --help lists its options`);
    // an entry is a flag line, plus a continuation line when the flag is too long to share its line with the text
    const entries = options.replace(/\n {20,}/g, '  ').split('\n').filter((l) => l.startsWith('  -'));
    for (const line of entries) {
      assert.match(line, /^ {2}(-\w, )?--[\w-]+( [A-Z=|]+)?( \(repeatable\))?\s{2,}\S/, `${c}: an option without text: ${line}`);
    }
  }
  assert.equal(run('help', 'export').stdout, run('export', '--help').stdout);
  assert.match(run('help', 'train').stdout, /--recipe NAME\s+paper \| fast.*\(default: paper\)/);
  assert.match(run('--help').stdout, /ONNX/);
});

test('renamed options: the old spelling works for one release, with a note; both at once is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-cli-'));
  const r = run('eval', join(dir, 'none'), '--limit', '5');
  assert.match(r.stderr, /--limit is now --limit-test; the old name still works in this release/);
  assert.match(r.stderr, /no such run folder or checkpoint/); // and the command went on with it
  assert.match(run('eval', 'x', '--limit', '5', '--limit-test', '5').stderr, /--limit is the old name of --limit-test; give only --limit-test/);
  assert.match(run('explore', '--help').stdout, /old spellings still accepted in this release: --max-sram \(now --max-arena\), --test-images \(now --limit-test\)/);
});
