// cmv3 compile: the generated C (portable kernels, and the DSP kernels through plain-C versions of
// the intrinsics) gives the int8 engine's bytes on both shipped models; the arena plan's in-place
// rules; unsupported ops refused by name; the CLI folder builds and classifies its image.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inPlaceDelay, planProgram } from '../src/compile/arena.js';
import { compileGraph } from '../src/compile/compile.js';
import { buildProgram } from '../src/compile/program.js';
import { runHost } from '../src/compile/toolchain.js';
import { int8Inputs } from '../src/compile/verify.js';
import { readCifar } from '../src/data/cifar.js';
import { Int8Engine } from '../src/deploy/engine-int8.js';
import * as k from '../src/deploy/int8/kernels.js';
import { GraphBuilder, type Graph } from '../src/deploy/ir.js';
import { int8Graph } from '../src/deploy/pipeline.js';
import { readTflite } from '../src/deploy/tflite/read.js';
import { writeTflite } from '../src/deploy/tflite/write.js';
import { loadTrained } from '../src/train/trained.js';
import { cifarOrSkip } from './helpers.js';

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CMV3_DEBUG: '' } });

async function shipped(name: string, data: string): Promise<Graph> {
  return readTflite(writeTflite(int8Graph(await loadTrained(name), { data, calibration: 32, observer: 'minmax' })));
}

function testInputs(g: Graph, data: string, n: number): Int8Array[] {
  return int8Inputs(g, readCifar(data, 'test', n).pixels, n);
}

for (const name of ['cmv3-w0.5-relu6-cifar10', 'cmv3-w0.5-cifar10']) {
  test(`${name}: the generated C gives the int8 engine's bytes (portable and DSP kernels)`, async (t) => {
    const data = cifarOrSkip(t);
    if (!data) return;
    const g = await shipped(name, data), images = testInputs(g, data, 6);
    const c = compileGraph(g, null), engine = new Int8Engine(g, 'reference');
    const expected = images.map((im) => Array.from(engine.run(im)[0]));
    for (const flags of [[], ['-DCMV3_EMULATE_DSP']]) {
      const r = runHost(c.files, images, 32 * 32 * 3, 10, flags);
      images.forEach((_, i) => assert.deepEqual(Array.from(r.outputs[i]), expected[i], `${flags.join(' ') || 'portable'} image ${i}`));
    }
    // no int32 tensor and no separate activation layer is left: every table is fused
    assert.ok(c.program.layers.every((l) => l.kind !== 'lut'), 'activations fused into convolutions');
    assert.ok(c.program.layers.some((l) => l.kind === 'dwpw'), 'depthwise + 1x1 fused');
    assert.ok(c.plan.bytes <= 160 * 1024, `arena ${c.plan.bytes} <= 160 KB`);
  });
}

test('in-place depthwise: the smallest safe delay per geometry', () => {
  const prep = (inH: number, kH: number, stride: number, padding: 'SAME' | 'VALID') => k.prepareDepthwiseConv2d(
    { batch: 1, inH, inW: inH, inC: 8, outC: 8, kH, kW: kH, stride, padding },
    { input: { scale: 1, zeroPoint: 0 }, output: { scale: 1, zeroPoint: 0 }, weightScales: [1], act: 'NONE', runtime: 'reference' });
  assert.equal(inPlaceDelay(prep(16, 3, 1, 'SAME')), 1); // row r reads r-1..r+1: write r-1 after r
  assert.equal(inPlaceDelay(prep(16, 5, 1, 'SAME')), 2);
  assert.equal(inPlaceDelay(prep(16, 3, 2, 'SAME')), 0); // output rows are half as long
  assert.equal(inPlaceDelay(prep(16, 3, 1, 'VALID')), 0);
  const m3 = k.prepareDepthwiseConv2d({ batch: 1, inH: 8, inW: 8, inC: 4, outC: 12, kH: 3, kW: 3, stride: 1, padding: 'SAME' },
    { input: { scale: 1, zeroPoint: 0 }, output: { scale: 1, zeroPoint: 0 }, weightScales: [1], act: 'NONE', runtime: 'reference' });
  assert.equal(inPlaceDelay(m3), null); // a channel multiplier grows the tensor: never in place
});

test('an op cmv3 compile cannot run is named in one error', () => {
  const b = new GraphBuilder(), q = { scale: [0.1], zeroPoint: [0], axis: 0 };
  const x = b.tensor({ name: 'x', shape: [1, 4, 4, 2], dtype: 'int8', quant: q });
  const v = b.tensor({ name: 'v', shape: [1, 1, 1, 2], dtype: 'int8', quant: q });
  const y = b.tensor({ name: 'sum', shape: [1, 4, 4, 2], dtype: 'int8', quant: q });
  b.op({ op: 'ADD', inputs: [x, v], outputs: [y], act: 'NONE' });
  const g = b.finish([x], [y], '{}');
  g.inputs = [x];
  assert.throws(() => buildProgram(g), (e: Error & { code?: string }) => e.code === 'ERR_COMPILE_UNSUPPORTED' && /ADD sum: only inputs of equal shapes/.test(e.message) && !e.message.includes('\n'));
});

test('the arena plan never lets two live values share a byte unless one overwrites the other in place', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const p = buildProgram(await shipped('cmv3-w0.5-relu6-cifar10', data)), plan = planProgram(p);
  const spans: { v: number; lo: number; hi: number; first: number; last: number }[] = [];
  p.layers.forEach((l, i) => {
    const vals = l.kind === 'mul' ? [l.x, l.g, l.y] : l.kind === 'add' ? [l.a, l.b, l.y] : [l.x, l.y];
    for (const v of vals) {
      if (v === p.input) continue;
      const s = spans.find((q) => q.v === v);
      if (s) { s.first = Math.min(s.first, i); s.last = Math.max(s.last, i); } else spans.push({ v, lo: plan.offset.get(v)!, hi: plan.offset.get(v)! + p.bytes.get(v)!, first: i, last: i });
    }
  });
  const inPlace = new Set(p.layers.map((l, i) => plan.layers[i].over !== undefined ? `${plan.layers[i].over}>${l.y}` : '').filter(Boolean));
  for (const a of spans) for (const b of spans) {
    if (a.v >= b.v || a.last < b.first || b.last < a.first || a.hi <= b.lo || b.hi <= a.lo) continue;
    assert.ok(inPlace.has(`${a.v}>${b.v}`) || inPlace.has(`${b.v}>${a.v}`), `${a.v} and ${b.v} overlap while both live`);
  }
  assert.ok(spans.every((s) => s.hi <= plan.bytes), 'every value inside the arena');
});

test('cmv3 compile writes a folder that builds on this computer and classifies its image', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const out = join(mkdtempSync(join(tmpdir(), 'cmv3-compile-')), 'c');
  const r = cli('compile', 'cmv3-w0.5-relu6-cifar10', '--target', 'cortex-m7', '-o', out, '--calibration', '32', '--data', data, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { files: string[]; arenaBytes: number; expected: { label: string } };
  assert.deepEqual(readdirSync(out).sort(), s.files);
  assert.ok(readFileSync(join(out, 'cmv3_model.h'), 'utf8').includes(`#define CMV3_ARENA_SIZE ${s.arenaBytes}`));
  const make = spawnSync('make', ['-C', out, 'run'], { encoding: 'utf8' });
  assert.equal(make.status, 0, make.stderr + make.stdout);
  assert.match(make.stdout, new RegExp(`^${s.expected.label} `, 'm'));
  // again without --force: refused, the folder untouched
  const again = cli('compile', 'cmv3-w0.5-relu6-cifar10', '--target', 'cortex-m7', '-o', out, '--calibration', '32', '--data', data);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /exists and is not empty; pass --force/);
});

test('cmv3 compile refuses bad input with one line', () => {
  const cases: [string[], RegExp][] = [
    [['compile', 'cmv3-w0.5-relu6-cifar10', '-o', '/tmp/x'], /Expected --target cortex-m7/],
    [['compile', 'cmv3-w0.5-relu6-cifar10', '--target', 'cortex-m4', '-o', '/tmp/x'], /Expected one of cortex-m7 for --target/],
    [['compile', 'cmv3-w0.5-relu6-cifar10', '--target', 'cortex-m7'], /Expected an output folder for -o/],
    [['compile', '/nonexistent/model.tflite', '--target', 'cortex-m7', '-o', join(tmpdir(), 'cmv3-never')], /cannot read the file/],
    [['emulate', 'cmv3-w0.5-relu6-cifar10', '--target', 'cortex-m7', '--images', '0'], /Expected a positive number of images for --images/],
  ];
  for (const [args, re] of cases) {
    const r = cli(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n')[0].startsWith('cmv3: error:'), true);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  }
  assert.equal(existsSync(join(tmpdir(), 'cmv3-never')), false);
});

test('the C requantization shortcuts equal TFLite Micro double rounding on edge and random values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-rq-'));
  const src = `#include <stdio.h>
#include <stdlib.h>
#include "cmv3_internal.h"
static int32_t rnd32(void) { return (int32_t)(((uint32_t)rand() << 16) ^ (uint32_t)rand()); }
int main(void) {
  static const int32_t xs[] = { 0, 1, -1, 2, -2, 3, -3, 1 << 20, -(1 << 20), 1 << 29, -(1 << 29), 1 << 30, -(1 << 30),
    INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 123456789, -123456789, (1 << 30) - 1, -(1 << 30) + 1 };
  static const int32_t ms[] = { 0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, 1518500250, 1073741825 };
  long bad = 0, n = 0, badf = 0, nf = 0;
  for (int shift = -31; shift <= 30; shift++) {
    const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) for (unsigned j = 0; j < sizeof ms / sizeof ms[0]; j++, n++) {
      bad += cmv3_mbqm(xs[i], ms[j], shift) != cmv3_mbqm_pos(xs[i], ms[j], left, right);
      /* the fast form: shifts -31..-1, |acc| < 2^30 (what compile checks) */
      if (shift <= -1 && xs[i] > -(1 << 30) && xs[i] < (1 << 30)) for (int zp = -128; zp <= 127; zp += 17, nf++)
        badf += cmv3_clamp(cmv3_mbqm(xs[i], ms[j], shift) + zp, -128, 127) != cmv3_rqf(xs[i], ms[j], ~shift, 1 + 2 * zp);
    }
  }
  srand(1);
  for (long k = 0; k < 2000000; k++, n++) {
    const int32_t x = rnd32() >> (rand() % 31), m = rnd32() & 0x7fffffff;
    const int shift = rand() % 40 - 31;
    bad += cmv3_mbqm(x, m, shift) != cmv3_mbqm_pos(x, m, shift > 0 ? shift : 0, shift > 0 ? 0 : -shift);
    /* accumulators near the scale an output lands in int8, and anywhere below 2^30 */
    const int32_t xf = (rnd32() >> 2) >> (rand() % 30), sf = -1 - rand() % 31, zp = rand() % 256 - 128;
    badf += cmv3_clamp(cmv3_mbqm(xf, m, sf) + zp, -128, 127) != cmv3_rqf(xf, m, ~sf, 1 + 2 * zp);
    nf++;
  }
  printf("%ld %ld %ld %ld\\n", bad, n, badf, nf);
  return 0;
}
`;
  const mcu = new URL('../../mcu/', import.meta.url).pathname;
  for (const flags of [[], ['-DCMV3_EMULATE_DSP']]) {
    const exe = join(dir, `rq${flags.length}`);
    const cc = spawnSync('cc', ['-std=c99', '-O2', '-Wall', ...flags, `-I${mcu}`, '-x', 'c', '-', '-o', exe], { input: src, encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const [bad, n, badf, nf] = spawnSync(exe, [], { encoding: 'utf8' }).stdout.trim().split(' ').map(Number);
    assert.ok(n > 2_000_000 && nf > 2_000_000, `${n} ${nf} cases`);
    assert.equal(bad, 0, `cmv3_mbqm_pos ${flags.join(' ')}`);
    assert.equal(badf, 0, `cmv3_rqf ${flags.join(' ')}`);
  }
});

test('cmv3 deploy --runtime cmv3 writes the MCUXpresso folder; its example compiles against the SDK names', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const root = mkdtempSync(join(tmpdir(), 'cmv3-mcux-')), out = join(root, 'cmv3');
  const r = cli('deploy', 'cmv3-w0.5-relu6-cifar10', '--target', 'imxrt1060', '--runtime', 'cmv3', '-o', out, '--calibration', '32', '--data', data, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { files: string[]; runtime: string };
  assert.equal(s.runtime, 'cmv3');
  assert.ok(s.files.includes('cmv3_example.c') && s.files.includes('README.md') && !s.files.includes('main.c'));
  // the SDK's names, declared as the SDK declares them (board.h, CMSIS core's DWT and CoreDebug)
  const stubs = join(root, 'sdk');
  mkdirSync(stubs);
  writeFileSync(join(stubs, 'board.h'), `#include <stdint.h>
typedef struct { volatile uint32_t DEMCR; } CoreDebug_Type;
typedef struct { volatile uint32_t CTRL; volatile uint32_t CYCCNT; } DWT_Type;
extern CoreDebug_Type *CoreDebug; extern DWT_Type *DWT; extern uint32_t SystemCoreClock;
#define CoreDebug_DEMCR_TRCENA_Msk (1u << 24)
#define DWT_CTRL_CYCCNTENA_Msk 1u
void BOARD_ConfigMPU(void); void BOARD_InitDebugConsole(void);
`);
  writeFileSync(join(stubs, 'pin_mux.h'), 'void BOARD_InitBootPins(void);\n');
  writeFileSync(join(stubs, 'clock_config.h'), 'void BOARD_InitBootClocks(void);\n');
  writeFileSync(join(stubs, 'fsl_debug_console.h'), 'int PRINTF(const char *fmt, ...) __attribute__((format(printf, 1, 2)));\n');
  const cc = spawnSync('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-fsyntax-only', `-I${stubs}`, join(out, 'cmv3_example.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  const bad = cli('deploy', 'cmv3-w0.5-relu6-cifar10', '--target', 'imxrt1060', '--runtime', 'tflm', '-o', join(root, 'x'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Expected one of tflite-micro, cmv3 for --runtime/);
});
