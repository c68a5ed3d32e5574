// export / report / eval / predict on .tflite files from the command line, and their bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tinyCifarSpecFile } from './fixtures.js';
import { cifarOrSkip } from './helpers.js';

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CMV3_DEBUG: '' } });

function oneLineError(r: ReturnType<typeof run>, code: number, re: RegExp, what: string): void {
  assert.equal(r.status, code, `${what}: ${r.stderr}`);
  assert.match(r.stderr, re, what);
  assert.match(r.stderr, /^cmv3: error: /, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

test('export float and int8 .tflite and C sources, then report, eval and predict on the file', (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-export-'));
  const f32 = join(dir, 'm.tflite'), i8 = join(dir, 'm8.tflite'), c = join(dir, 'c');
  let r = run('export', 'cmv3-w0.5-cifar10', '--format', 'tflite', '-o', f32, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).dtype, 'float32');
  r = run('export', 'cmv3-w0.5-cifar10', '--format', 'tflite', '--int8', '--calibration', '20', '--data', data, '-o', i8, '--json');
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.dtype, 'int8');
  assert.equal(readFileSync(i8).length, info.bytes);
  assert.equal(readFileSync(i8).subarray(4, 8).toString(), 'TFL3');
  r = run('export', 'cmv3-w0.5-cifar10', '--format', 'c', '--int8', '--calibration', '20', '--data', data, '-o', c);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(c).sort(), ['labels.h', 'model_data.cc', 'model_data.h']);
  const cc = readFileSync(join(c, 'model_data.cc'), 'utf8');
  assert.match(cc, /alignas\(16\) const unsigned char g_model\[\] = \{/);
  assert.match(cc, new RegExp(`g_model_len = ${info.bytes};`));
  assert.equal((cc.match(/0x[0-9a-f]{2},/g) ?? []).length, info.bytes);
  assert.match(readFileSync(join(c, 'labels.h'), 'utf8'), /"airplane",/);
  r = run('report', i8, '--json');
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.flash.modelBytes, info.bytes);
  assert.equal(rep.totals.macs, 27_930_240, 'MACs as cmv3 summary counts them');
  assert.ok(rep.sram.arenaBytes > 147_456, 'the arena holds at least the largest activation');
  assert.match(run('report', i8).stdout, /an ESTIMATE from a cost model/);
  r = run('eval', i8, '--data', data, '--limit-test', '20', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).images, 20);
  assert.match(JSON.parse(r.stdout).engine, /int8 engine/);
  const png = join(dir, 'img.png');
  writeFileSync(png, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64'));
  r = run('predict', f32, png, '--json');
  assert.equal(r.status, 0, r.stderr);
  const top = JSON.parse(r.stdout)[0].top;
  assert.ok(Math.abs(top.reduce((a: number, x: { probability: number }) => a + x.probability, 0) - 1) < 0.5);
});

test('a run folder (a study trial is one) calibrates and evaluates on the data it was trained on when no --data is given', (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-rundata-')), spec = tinyCifarSpecFile(dir), runDir = join(dir, 'run');
  let r = run('train', '--model', spec, '--epochs', '1', '--data', data, '--limit-train', '256', '--limit-test', '50', '--batch-size', '32', '--out', runDir);
  assert.equal(r.status, 0, r.stderr);
  // no --data, no CMV3_DATA, and no ./data in the working folder: only the run's own record can say where CIFAR-10 is
  const bare = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, CMV3_DATA: undefined, CMV3_DEBUG: '' } });
  r = bare('export', 'run', '--format', 'tflite', '--int8', '--calibration', '4', '-o', 'run8.tflite', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).dtype, 'int8');
  r = bare('eval', 'run', '--limit-test', '20', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).images, 20);
  // a file that is not a run folder keeps the default, and says where it looked
  r = bare('export', 'cmv3-w0.5-cifar10', '--format', 'tflite', '--int8', '--calibration', '4', '-o', 'x.tflite');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^cmv3: error: CIFAR-10 file data\/cifar-10-batches-bin\/data_batch_1\.bin is missing; point --data/);
  assert.equal(existsSync(join(dir, 'x.tflite')), false, 'no partial file');
});

test('deployment commands refuse bad input with one line and no partial file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-export-bad-'));
  writeFileSync(join(dir, 'junk.tflite'), Buffer.from('this is not a flatbuffer at all, only text'));
  const cut = join(dir, 'cut.tflite');
  writeFileSync(cut, Buffer.alloc(6));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  const cases: [string[], number, RegExp][] = [
    [['report', join(dir, 'junk.tflite')], 1, /junk\.tflite: .*(TFLite|flatbuffer)/],
    [['report', cut], 1, /cut\.tflite: /],
    [['predict', join(dir, 'junk.tflite'), join(dir, 'junk.tflite')], 1, /./],
    [['eval', join(dir, 'missing.tflite')], 1, /missing\.tflite: cannot read the file/],
    [['export', 'cmv3-w0.5-cifar10', '--format', 'onnx2', '-o', join(dir, 'x')], 2, /Expected one of tflite, c, onnx for --format/],
    [['export', 'cmv3-w0.5-cifar10', '--format', 'tflite'], 2, /Expected an output path for -o/],
    [['export', 'cmv3-w0.5-cifar10', '--format', 'tflite', '--int8', '--observer', 'max', '-o', join(dir, 'y')], 2, /Expected one of minmax, percentile, mse for --observer/],
    [['export', join(dir, 'nothing'), '--format', 'tflite', '-o', join(dir, 'z.tflite')], 1, /no such run folder or checkpoint/],
    [['report', 'cmv3-w0.5-cifar10', '--target', 'esp32'], 2, /Expected one of imxrt1060, stm32h7 for --target/],
    [['export', 'cmv3-w0.5-cifar10', '--format', 'tflite', '-o', join(dir, 'no', 'w.tflite')], 1, /cannot write .*w\.tflite: folder .*no does not exist; create it or choose another path/],
    [['export', 'cmv3-w0.5-cifar10', '--format', 'tflite', '-o', dir], 1, /cannot write .*: it is a folder; name a file/],
    [['export', 'cmv3-w0.5-cifar10', '--format', 'c', '-o', join(dir, 'dangling', 'src')], 1, /cannot create folder .*dangling exists but is not a folder/],
  ];
  for (const [args, code, re] of cases) oneLineError(run(...args), code, re, args.join(' '));
  assert.ok(!existsSync(join(dir, 'x')) && !existsSync(join(dir, 'y')) && !existsSync(join(dir, 'z.tflite')), 'nothing written');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temp file left beside the output');
});
