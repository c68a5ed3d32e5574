// Data: CIFAR file validation, augmentation determinism, and `cmv3 data fetch` against a local server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { alternateFlip, assembleBatch, batchSeed, epochOrder } from '../src/data/augment.js';
import { CIFAR_MEAN, CIFAR_STD, readCifar } from '../src/data/cifar.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args]);
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A ustar archive of the given files. */
function tar(files: Record<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, body] of Object.entries(files)) {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100); h.write('0000000\0', 108); h.write('0000000\0', 116);
    h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('0', 156);
    h.write('ustar\0' + '00', 257);
    h.fill(' ', 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    parts.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

test('cmv3 data fetch downloads, verifies the checksum, then unpacks; a bad checksum leaves nothing', async () => {
  const files = { 'cifar-10-batches-bin/batches.meta.txt': Buffer.from('airplane\nautomobile\n'), 'cifar-10-batches-bin/data_batch_1.bin': Buffer.alloc(3073 * 2, 7) };
  const archive = gzipSync(tar(files));
  const md5 = createHash('md5').update(archive).digest('hex');
  const server = createServer((req, res) => {
    if (req.url !== '/cifar.tar.gz') { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-length': archive.length });
    res.end(archive);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/cifar.tar.gz`;
  try {
    const dir = mkdtempSync(join(tmpdir(), 'cmv3-fetch-'));
    const ok = await cli(['data', 'fetch', 'cifar10', '--dir', dir, '--url', url, '--md5', md5]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /checksum verified; unpacked 2 files/);
    assert.deepEqual(readFileSync(join(dir, 'cifar-10-batches-bin/data_batch_1.bin')), files['cifar-10-batches-bin/data_batch_1.bin']);
    assert.deepEqual(readdirSync(dir), ['cifar-10-batches-bin'], 'no temp files left');

    const bad = mkdtempSync(join(tmpdir(), 'cmv3-fetch-'));
    const r = await cli(['data', 'fetch', 'cifar10', '--dir', bad, '--url', url, '--md5', '0'.repeat(32)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /checksum mismatch/);
    assert.deepEqual(readdirSync(bad), []);

    const missing = await cli(['data', 'fetch', 'cifar10', '--dir', bad, '--url', url.replace('cifar', 'nope'), '--md5', md5]);
    assert.match(missing.stderr, /HTTP 404/);
  } finally {
    server.close();
  }
  const t0 = Date.now();
  const off = await cli(['data', 'fetch', 'cifar10', '--dir', mkdtempSync(join(tmpdir(), 'cmv3-fetch-')), '--url', 'http://127.0.0.1:9/x.tar.gz', '--md5', md5]);
  assert.equal(off.code, 1);
  assert.match(off.stderr, /cannot download .* \(ECONNREFUSED\): are you offline\?/);
  assert.ok(Date.now() - t0 < 5000, 'fails at once');
});

test('CIFAR reader names a missing or truncated file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-cifar-'));
  assert.throws(() => readCifar(dir, 'test'), /test_batch\.bin is missing; point --data/);
  writeFileSync(join(dir, 'test_batch.bin'), Buffer.alloc(3073 * 100));
  assert.throws(() => readCifar(dir, 'test'), /test_batch\.bin has 307300 bytes, expected 30730000; it is truncated/);
  assert.ok(!existsSync(join(dir, 'data_batch_1.bin')));
});

test('augmentation is a pure function of (seed, epoch, batch) and keeps the images', () => {
  const pixels = Uint8Array.from({ length: 4 * 32 * 32 * 3 }, (_, i) => (i * 7) % 256), labels = Uint8Array.of(1, 2, 3, 4);
  const norm = { mean: CIFAR_MEAN, std: CIFAR_STD };
  const run = (seed: number) => {
    const x = new Float32Array(4 * 3072), l = new Int32Array(4);
    assembleBatch(pixels, labels, epochOrder(1, 0, 4), 32, 3, { crop: 4, flip: true, cutout: 8 }, norm, seed, x, l);
    return { x, l };
  };
  assert.deepEqual(run(batchSeed(1, 0, 0)), run(batchSeed(1, 0, 0)));
  assert.notDeepEqual(run(batchSeed(1, 0, 0)).x, run(batchSeed(1, 0, 1)).x);
  assert.deepEqual([...epochOrder(3, 2, 50)].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual([...epochOrder(3, 2, 50)], [...epochOrder(3, 3, 50)]);
  const plain = new Float32Array(3072), l = new Int32Array(1);
  assembleBatch(pixels, labels, [0], 32, 3, { crop: 0, flip: false, cutout: 0 }, norm, 1, plain, l);
  assert.ok(Math.abs(plain[0] - (0 / 255 - CIFAR_MEAN[0]) / CIFAR_STD[0]) < 1e-6);
  assert.ok(Math.abs(plain[4] - (28 / 255 - CIFAR_MEAN[1]) / CIFAR_STD[1]) < 1e-6);
});

test('alternating flips: each image changes side every epoch, about half start flipped', () => {
  const flips = (epoch: number) => Array.from({ length: 1000 }, (_, i) => alternateFlip(7, epoch, i));
  const e0 = flips(0), e1 = flips(1), e2 = flips(2);
  assert.ok(e0.every((f, i) => f !== e1[i] && f === e2[i]), 'side alternates');
  const share = e0.filter(Boolean).length / 1000;
  assert.ok(share > 0.4 && share < 0.6, `share flipped in epoch 0: ${share}`);
  assert.notDeepEqual(e0, Array.from({ length: 1000 }, (_, i) => alternateFlip(8, 0, i)), 'the run seed picks the first side');
  // Through assembleBatch: an image in epoch 1 is the mirror of itself in epoch 0 (no crop).
  const pixels = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 13) % 256), norm = { mean: CIFAR_MEAN, std: CIFAR_STD };
  const aug = { crop: 0, flip: true, alternateFlip: true, cutout: 0 };
  const at = (epoch: number) => {
    const x = new Float32Array(3072);
    assembleBatch(pixels, Uint8Array.of(0), [0], 32, 3, aug, norm, 1, x, new Int32Array(1), { seed: 7, epoch });
    return x;
  };
  const a = at(0), b = at(1);
  for (const [y, x] of [[0, 0], [5, 9], [31, 31]]) assert.equal(a[(y * 32 + x) * 3], b[(y * 32 + 31 - x) * 3]);
  assert.throws(() => assembleBatch(pixels, Uint8Array.of(0), [0], 32, 3, aug, norm, 1, new Float32Array(3072), new Int32Array(1)), /run seed and epoch/);
});
