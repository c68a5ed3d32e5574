// Loaded values that parse but make no sense are refused in one line with a non-zero exit:
// a checkpoint with a valid checksum but NaN weights, a zero std or too few labels; an empty or
// huge image; a spec with a typo'd key or a size no machine has; a training run that diverges.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint.js';
import { CMV3 } from '../src/models/builtin.js';
import { pretrainedPath } from '../src/train/pretrained.js';
import { cifarOrSkip } from './helpers.js';
import { tinyCifarSpecFile } from './fixtures.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CMV3_DEBUG: '' }, timeout: 120_000 });
const root = mkdtempSync(join(tmpdir(), 'cmv3-bad-values-'));

function refused(r: ReturnType<typeof cli>, pattern: RegExp): void {
  assert.notEqual(r.status, 0, `exit code for ${pattern}: ${r.stdout}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, /^cmv3: error: /);
  assert.match(r.stderr, pattern);
}

test('checkpoints whose checksum is valid but whose values make no sense are refused', () => {
  const good = decodeCheckpoint(readFileSync(pretrainedPath('cmv3-w0.5-relu6-cifar10')!));
  const mutant = (name: string, change: (c: typeof good) => void) => {
    const c = decodeCheckpoint(encodeCheckpoint(good)); // a deep copy
    change(c);
    const file = join(root, `${name}.ckpt`);
    writeFileSync(file, encodeCheckpoint(c)); // checksum recomputed: only the values are wrong
    return file;
  };
  const nan = mutant('nan', (c) => { c.tensors.values().next().value![3] = NaN; });
  refused(cli('eval', nan), /holds NaN at index 3: the training that wrote it diverged/);
  const inf = mutant('inf', (c) => { [...c.tensors.values()][5][0] = -Infinity; });
  refused(cli('predict', inf, join(root, 'none.png')), /cannot read image|holds -Infinity/);
  refused(cli('eval', mutant('std0', (c) => { c.meta.normalization = { mean: [0.5, 0.5, 0.5], std: [0.25, 0, 0.25] }; })), /normalisation std must be 3 positive numbers/);
  refused(cli('eval', mutant('labels', (c) => { c.meta.labels = ['airplane', 'car']; })), /label list must name the network's 10 classes, one string each \(it has 2\)/);
  refused(cli('eval', mutant('variance', (c) => { [...c.tensors.entries()].find(([n]) => n.endsWith('.moving_variance'))![1][0] = -1; })), /negative variance/);
  refused(cli('eval', mutant('spec', (c) => { (c.spec as unknown as Record<string, unknown>).dropuot = 0.2; })), /the network spec inside is invalid \(unknown key 'dropuot' in spec; did you mean 'dropout'\?/);
  // A damaged header is named as such, never as a JavaScript message.
  const buf = readFileSync(pretrainedPath('cmv3-w0.5-relu6-cifar10')!);
  const headerLength = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString('utf8', 16, 16 + headerLength));
  for (const [name, h] of [['entries', { ...header, entries: 7 }], ['optimizer', { ...header, optimizer: { m: 'x' } }], ['meta', { ...header, meta: [1] }]] as const) {
    const text = Buffer.from(JSON.stringify(h));
    const c = Buffer.concat([buf.subarray(0, 12), Buffer.alloc(4), text]);
    c.writeUInt32LE(text.length, 12);
    // Rebuild a file with this header and no tensors: the structure check comes first.
    const pad = (4 - ((16 + text.length) % 4)) % 4;
    const body = Buffer.concat([c, Buffer.alloc(pad)]);
    const file = join(root, `header-${name}.ckpt`);
    writeFileSync(file, Buffer.concat([body, createHashOf(body)]));
    refused(cli('eval', file), /header's .* (missing or malformed|malformed|not an object)/);
  }
});

const createHashOf = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

test('images: an empty PNG and one over the megapixel limit are refused from the header', () => {
  const png = new PNG({ width: 8, height: 8 });
  const file = PNG.sync.write(png);
  const empty = Buffer.from(file);
  empty.writeUInt32BE(0, 16);
  writeFileSync(join(root, 'empty.png'), empty);
  refused(cli('predict', 'cmv3-w0.5-relu6-cifar10', join(root, 'empty.png')), /empty\.png: the image is 0x8 pixels \(empty\)/);
  const huge = Buffer.from(file);
  huge.writeUInt32BE(8000, 16); huge.writeUInt32BE(8000, 20);
  writeFileSync(join(root, 'huge.png'), huge);
  const t0 = Date.now();
  refused(cli('predict', 'cmv3-w0.5-relu6-cifar10', join(root, 'huge.png')), /8000x8000 pixels is over the 16 megapixel limit; scale the image down \(or raise --max-megapixels\)/);
  assert.ok(Date.now() - t0 < 30_000, 'refused before decoding');
  refused(cli('predict', 'cmv3-w0.5-relu6-cifar10', join(root, 'huge.png'), '--max-megapixels', '0.5'), /over the 0\.5 megapixel limit/);
});

test("specs: a typo'd key names itself and the nearest known key; sizes no machine has are refused at once", () => {
  const write = (name: string, spec: unknown) => { const f = join(root, name); writeFileSync(f, JSON.stringify(spec)); return f; };
  const base = structuredClone(CMV3) as unknown as Record<string, unknown>;
  refused(cli('summary', write('top.json', { ...base, dropuot: 0.2 })), /unknown key 'dropuot' in spec; did you mean 'dropout'\?/);
  const blocks = structuredClone(CMV3.blocks) as unknown as Record<string, unknown>[];
  blocks[2] = { ...blocks[2], strdie: 2 };
  refused(cli('summary', write('block.json', { ...base, blocks })), /unknown key 'strdie' in spec\.blocks\[2\]; did you mean 'stride'\?/);
  refused(cli('summary', write('stem.json', { ...base, stem: { ...CMV3.stem, colour: 1 } })), /unknown key 'colour' in spec\.stem \(the keys are kernel, out/);
  const big = structuredClone(CMV3.blocks);
  big[1] = { ...big[1], exp: 1e7 };
  const t0 = Date.now();
  refused(cli('summary', write('exp.json', { ...base, blocks: big })), /spec\.blocks\[1\]\.exp is 10000000, over the limit of 16384/);
  big[1] = { ...big[1], exp: 16000 };
  refused(cli('summary', write('wide.json', { ...base, blocks: big, width: 8, inputSize: 1024 })), /over the limit of/);
  assert.ok(Date.now() - t0 < 20_000, 'refused before anything is built');
});

test('a training run that diverges stops with the reason instead of saving NaN weights', (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const spec = tinyCifarSpecFile(root);
  const run = join(root, 'diverge');
  const r = cli('train', '--model', spec, '--data', data, '--limit-train', '256', '--limit-test', '64', '--batch-size', '32', '--epochs', '3', '--lr', '1e12', '--out', run);
  refused(r, /training diverged at epoch \d+, step \d+ \(loss (NaN|Infinity)\); nothing was saved, .* Start a new run with a lower --lr \(this one used 1000000000000\)/);
});

test('studies: a rung that does not exist, a trial with an unknown status, a newer format version are named', async () => {
  const { fakeStudy } = await import('./serve-helpers.js');
  const { createRequire } = await import('node:module');
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const dir = join(root, 'study');
  await fakeStudy(dir, 4);
  assert.equal(cli('explore', 'show', dir).status, 0);
  refused(cli('explore', 'show', dir, '--rung', '99'), /the study has rungs 0 to \d+ \(.*\), no rung 99; pick one of those/);
  const db = new Database(join(dir, 'study.sqlite'));
  db.prepare("UPDATE trials SET status = 'paused' WHERE id = 2").run();
  db.close();
  refused(cli('explore', 'show', dir), /trial\(s\) of the study have the unknown status "paused"; the study file is damaged|trial 2 of the study has the unknown status "paused"/);
  const db2 = new Database(join(dir, 'study.sqlite'));
  db2.prepare("UPDATE trials SET status = 'done' WHERE id = 2").run();
  db2.prepare("UPDATE trials SET genes = 'not json' WHERE id = 3").run();
  db2.close();
  refused(cli('explore', 'show', dir), /trial 3 of the study has genes that are not JSON; the study file is damaged/);
  const db4 = new Database(join(dir, 'study.sqlite'));
  db4.prepare("UPDATE trials SET genes = '[0]' WHERE id = 3").run();
  db4.prepare('UPDATE trials SET cost = NULL WHERE id = 1').run(); // found by npm run fuzz (seed 1)
  db4.close();
  refused(cli('explore', 'show', dir), /trial 1 of the study is done but has no cost; the study file is damaged/);
  const db3 = new Database(join(dir, 'study.sqlite'));
  db3.prepare('UPDATE study SET version = 99').run();
  db3.close();
  refused(cli('explore', 'show', dir), /is a study of format version 99; this cmv3 reads version 1; upgrade cmv3/);
});

test('explore with a limit nothing in the space can meet stops within seconds and says what the smallest candidate costs', (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const t0 = Date.now();
  const r = cli('explore', '--space', 'cmv3-neighbourhood', '--max-flash', '1KB', '--data', data, '--out', join(root, 'impossible'), '--trials', '4', '--rungs', '1x500', '--limit-test', '100');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^cmv3: error: the first 40 candidates all break the limits and none has fit so far, so likely nothing in space cmv3-neighbourhood can; the smallest seen: int8 model \d+\.\d KB \(.*\)\. Relax the limit or use a smaller space\n$/);
  assert.ok(Date.now() - t0 < 120_000, `${Date.now() - t0} ms`);
});

test('internal JavaScript errors are told apart from cmv3 explanations', async () => {
  const { isInternalError } = await import('../src/internal-error.js');
  assert.equal(isInternalError(new TypeError("Cannot read properties of null (reading 'startsWith')")), true);
  assert.equal(isInternalError(new RangeError('Invalid typed array length: -100')), true);
  assert.equal(isInternalError(new RangeError('Maximum call stack size exceeded')), true);
  assert.equal(isInternalError(new RangeError('Expected a positive integer for stem.kernel but received 0')), false);
  assert.equal(isInternalError(new Error('x.tflite: corrupt TFLite file')), false);
  assert.equal(isInternalError('a string'), true);
});
