// cmv3 emulate: both shipped models on an emulated Cortex-M7 (QEMU mps2-an500) give the int8
// engine's bytes on a handful of test images, with instruction counts and memory figures. Needs
// the apt toolchain (gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm): skipped without
// it, except in CI, which installs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { missingToolchain } from '../src/compile/toolchain.js';
import { cifarOrSkip } from './helpers.js';

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
// emulations are remembered per model for cmv3 report: keep this test's apart from the user's
const cache = mkdtempSync(join(tmpdir(), 'cmv3-cache-'));
const env = { ...process.env, XDG_CACHE_HOME: cache };
const missing = missingToolchain();
if (missing && process.env.CI) throw new Error(`CI must install the Cortex-M toolchain: ${missing}`);

interface Summary { images: number; bitExact: number; instructionsPerImage: number; instructionsPerTick: number; arenaBytes: number; stackBytes: number; flashBytes: number; layers: { instructions: number }[] }

for (const name of ['cmv3-w0.5-relu6-cifar10', 'cmv3-w0.5-cifar10']) {
  test(`${name} on an emulated Cortex-M7: every output byte equals the int8 engine's`, { skip: missing ?? false }, (t) => {
    const data = cifarOrSkip(t);
    if (!data) return;
    const r = spawnSync(process.execPath, [CLI, 'emulate', name, '--target', 'cortex-m7', '--images', '3', '--calibration', '32', '--data', data, '--json'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.images, 3);
    assert.equal(s.bitExact, 3);
    assert.equal(s.instructionsPerTick, 40); // 25 MHz SysTick, 1 ns per instruction under -icount shift=0
    const sum = s.layers.reduce((a, l) => a + l.instructions, 0);
    assert.ok(Math.abs(sum - s.instructionsPerImage) / s.instructionsPerImage < 0.01, `layers ${sum} vs total ${s.instructionsPerImage}`);
    assert.ok(s.stackBytes > 0 && s.stackBytes < 4096, `stack ${s.stackBytes}`);
    assert.ok(s.arenaBytes + s.stackBytes <= 160 * 1024, `arena + stack ${s.arenaBytes + s.stackBytes} <= 160 KB`);
    // cmv3 report --runtime cmv3 now prints the measurement beside its estimate
    const rep = spawnSync(process.execPath, [CLI, 'report', name, '--runtime', 'cmv3', '--calibration', '32', '--data', data, '--json'], { encoding: 'utf8', env });
    assert.equal(rep.status, 0, rep.stderr);
    const j = JSON.parse(rep.stdout) as { instructions: { estimate: number; measured: number }; stackBytes: number; arenaBytes: number };
    assert.equal(j.instructions.measured, s.instructionsPerImage);
    assert.equal(j.stackBytes, s.stackBytes);
    assert.equal(j.arenaBytes, s.arenaBytes);
    assert.ok(Math.abs(j.instructions.estimate / s.instructionsPerImage - 1) < 0.15, `estimate ${j.instructions.estimate} within 15% of ${s.instructionsPerImage}`);
  });
}
