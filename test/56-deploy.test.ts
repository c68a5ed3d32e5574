// cmv3 deploy --target imxrt1060: the eIQ TensorFlow Lite Micro folder, checked against the model it
// holds (ops, arena, expected label by our int8 engine), parsed by g++ against stub TFLM headers,
// and its bad input refused with one line and nothing left behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { readCifar } from '../src/data/cifar.js';
import { RESOLVER_METHOD } from '../src/deploy/eiq.js';
import { Int8Engine } from '../src/deploy/engine-int8.js';
import { graphInfo } from '../src/deploy/graph-model.js';
import type { BuiltinName } from '../src/deploy/ir.js';
import { planArena } from '../src/deploy/planner.js';
import { readTflite } from '../src/deploy/tflite/read.js';
import { cifarOrSkip } from './helpers.js';

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CMV3_DEBUG: '' } });
const FILES = ['README.md', 'labels.h', 'main_example.cc', 'model_config.h', 'model_data.cc', 'model_data.h', 'model_ops.h'];

/** The bytes of a C array `name[] = { 0x.., ... };` in a source file. */
function cArray(src: string, name: string): Uint8Array {
  const m = new RegExp(`${name}\\[[^\\]]*\\] = \\{([^}]*)\\};`).exec(src);
  assert.ok(m, `${name} array present`);
  return Uint8Array.from(m[1].match(/0x[0-9a-f]{2}/g) ?? [], (h) => parseInt(h, 16));
}

// Just the declarations the generated files use, with TFLite Micro's names and signatures
// (micro_interpreter.h, micro_mutable_op_resolver.h, micro_log.h, system_setup.h, schema). The
// format attribute on MicroPrintf lets -Wformat check the generated format strings.
const STUBS: Record<string, string> = {
  'tensorflow/lite/c/common.h': `#pragma once
#include <cstddef>
#include <cstdint>
typedef enum { kTfLiteOk = 0, kTfLiteError = 1 } TfLiteStatus;
typedef enum { kTfLiteNoType = 0, kTfLiteFloat32 = 1, kTfLiteInt32 = 2, kTfLiteUInt8 = 3, kTfLiteInt8 = 9 } TfLiteType;
typedef struct { float scale; int32_t zero_point; } TfLiteQuantizationParams;
typedef union { int32_t* i32; float* f; uint8_t* uint8; int8_t* int8; void* data; } TfLitePtrUnion;
typedef struct { int size; int data[4]; } TfLiteIntArray;
typedef struct { TfLiteType type; TfLitePtrUnion data; TfLiteIntArray* dims; TfLiteQuantizationParams params; size_t bytes; } TfLiteTensor;
`,
  'tensorflow/lite/schema/schema_generated.h': `#pragma once
#include <cstdint>
#define TFLITE_SCHEMA_VERSION (3)
namespace tflite {
struct Model { uint32_t version() const; };
inline const Model* GetModel(const void* buf) { return static_cast<const Model*>(buf); }
}  // namespace tflite
`,
  'tensorflow/lite/micro/micro_op_resolver.h': `#pragma once
namespace tflite { class MicroOpResolver { public: virtual ~MicroOpResolver() {} }; }
`,
  'tensorflow/lite/micro/micro_mutable_op_resolver.h': `#pragma once
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/micro_op_resolver.h"
namespace tflite {
template <unsigned int tOpCount>
class MicroMutableOpResolver : public MicroOpResolver {
 public:
${Object.values(RESOLVER_METHOD).map((m) => `  TfLiteStatus ${m}();`).join('\n')}
};
}  // namespace tflite
`,
  'tensorflow/lite/micro/micro_interpreter.h': `#pragma once
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/micro_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"
namespace tflite {
class MicroResourceVariables;
class MicroProfilerInterface;
class MicroInterpreter {
 public:
  MicroInterpreter(const Model* model, const MicroOpResolver& op_resolver, uint8_t* tensor_arena, size_t tensor_arena_size,
                   MicroResourceVariables* resource_variables = nullptr, MicroProfilerInterface* profiler = nullptr, bool preserve_all_tensors = false);
  MicroInterpreter(const MicroInterpreter&) = delete;
  TfLiteStatus AllocateTensors();
  TfLiteStatus Invoke();
  TfLiteTensor* input(size_t index);
  TfLiteTensor* output(size_t index);
  size_t arena_used_bytes() const;
};
}  // namespace tflite
`,
  'tensorflow/lite/micro/micro_log.h': `#pragma once
void MicroPrintf(const char* format, ...) __attribute__((format(printf, 1, 2)));
`,
  'tensorflow/lite/micro/system_setup.h': `#pragma once
namespace tflite { void InitializeTarget(); }
`,
  'board_init.h': `#pragma once
void BOARD_Init(void);
`,
};

test('deploy --target imxrt1060 writes an eIQ TFLite Micro folder that matches its model', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-deploy-'));
  const out = join(dir, 'eiq');
  let r = run('deploy', 'cmv3-w0.5-cifar10', '--target', 'imxrt1060', '-o', out, '--calibration', '20', '--data', data, '--json');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(readdirSync(out).sort(), FILES);
  assert.deepEqual(readdirSync(dir), ['eiq'], 'no temporary folder left beside it');
  const read = (f: string) => readFileSync(join(out, f), 'utf8');

  // model_data.cc holds the .tflite; everything else is checked against what it decodes to.
  const cc = read('model_data.cc');
  const bytes = cArray(cc, 'model_data');
  assert.match(cc, new RegExp(`model_data_len = ${bytes.length};`));
  assert.equal(bytes.length, summary.modelBytes);
  const g = readTflite(bytes);

  const ops = [...new Set(g.ops.map((o) => o.op))].sort() as BuiltinName[];
  const opsH = read('model_ops.h');
  assert.match(opsH, /tflite::MicroOpResolver& MODEL_GetOpsResolver\(\)/);
  const added = [...opsH.matchAll(/s_microOpResolver\.(Add\w+)\(\);/g)].map((m) => m[1]);
  assert.deepEqual([...added].sort(), ops.map((o) => RESOLVER_METHOD[o]).sort(), 'exactly the ops of the .tflite');
  assert.equal(Number(/MicroMutableOpResolver<(\d+)>/.exec(opsH)?.[1]), ops.length, 'template count = number of ops');

  const config = read('model_config.h');
  const arena = Number(/constexpr int kTensorArenaSize = (\d+);/.exec(config)?.[1]);
  const peak = planArena(g).peak;
  assert.ok(arena >= peak, `kTensorArenaSize ${arena} >= planned ${peak}`);
  assert.equal(arena % 1024, 0);
  const inT = g.tensors[g.inputs[0]];
  assert.equal(Math.fround(Number(/kInputScale = ([0-9.e+-]+)f;/.exec(config)?.[1])), Math.fround(inT.quant!.scale[0]));
  assert.equal(Number(/kInputZeroPoint = (-?\d+);/.exec(config)?.[1]), inT.quant!.zeroPoint[0]);
  assert.match(config, /kNumClasses = 10;/);
  assert.match(read('labels.h'), /"airplane",/);

  // The embedded image is test record 0; its expected label is what our int8 engine (TFLite Micro
  // arithmetic) answers on the int8 input the C++ Preprocess computes, redone here in float32.
  const main = read('main_example.cc');
  const img = cArray(main, 'kTestImage');
  assert.deepEqual(img, readCifar(data, 'test', 1).pixels);
  const { mean, std } = graphInfo(g).normalization, f = Math.fround, scale = f(inT.quant!.scale[0]);
  const qin = Int8Array.from(img, (p, i) => {
    const x = f(f(f(p / 255) - f(mean[i % 3])) / f(std[i % 3])), v = f(x / scale);
    return Math.max(-128, Math.min(127, Math.sign(v) * Math.floor(Math.abs(v) + 0.5) + inT.quant!.zeroPoint[0]));
  });
  const y = new Int8Engine(g, 'reference').run(qin)[0];
  const best = y.indexOf(Math.max(...y));
  const labels = graphInfo(g).labels;
  const m = /Expected top-1 \(cmv3 int8 engine[^)]*\): (\S+) \(index (\d+)/.exec(main);
  assert.ok(m, 'expected-label comment present');
  assert.equal(m[1], labels[best]);
  assert.equal(Number(m[2]), best);
  assert.match(main, new RegExp(`kExpectedIndex = ${best};`));
  assert.equal(summary.expected.index, best);
  for (const api of ['tflite::MicroInterpreter interpreter(', 'AllocateTensors()', 'arena_used_bytes()', 'Invoke()', 'tflite::InitializeTarget()']) assert.ok(main.includes(api), api);

  const readme = read('README.md');
  assert.match(readme, /latency: ~[\d.]+ ms per image .*\*\*An estimate\*\*/s);
  assert.match(readme, new RegExp(`${bytes.length.toLocaleString('en-US')} bytes \\(exact\\)`));
  for (const op of ops) assert.ok(readme.includes(`${op} x`), `README lists ${op}`);

  await t.test('g++ -fsyntax-only parses the C++ against stub TFLite Micro headers', (st) => {
    const gxx = spawnSync('g++', ['--version'], { encoding: 'utf8' });
    if (gxx.error || gxx.status !== 0) { st.skip('g++ not installed (CI installs it)'); return; }
    const stub = join(dir, 'stub');
    for (const [p, text] of Object.entries(STUBS)) { mkdirSync(dirname(join(stub, p)), { recursive: true }); writeFileSync(join(stub, p), text); }
    const opsCc = join(dir, 'ops_tu.cc');
    writeFileSync(opsCc, '#include "model_ops.h"\n'); // the SDK's model_*_ops_micro.cpp, as README step 2 says
    const compile = (file: string, ...extra: string[]) => {
      const c = spawnSync('nice', ['-n', '19', 'g++', '-fsyntax-only', '-std=c++17', '-Wall', '-Wextra', '-Werror', '-I', stub, '-I', out, ...extra, file], { encoding: 'utf8' });
      assert.equal(c.status, 0, `${file} ${extra.join(' ')}:\n${c.stderr}`);
    };
    compile(join(out, 'model_data.cc'));
    compile(opsCc);
    compile(join(out, 'main_example.cc'));
    compile(join(out, 'main_example.cc'), '-DMCUXPRESSO_SDK');
  });

  // --force replaces an earlier deploy folder in one rename, leaving nothing beside it.
  writeFileSync(join(out, 'stale.txt'), 'from before');
  r = run('deploy', 'cmv3-w0.5-cifar10', '--target', 'imxrt1060', '-o', out, '--calibration', '20', '--data', data, '--force');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /kTensorArenaSize [\d,]+ \(planned [\d,]+ \+ estimated [\d,]+ \+ margin [\d,]+\), ~[\d.]+ ms per image \(estimate\)/);
  assert.deepEqual(readdirSync(out).sort(), FILES);
  assert.ok(readdirSync(dir).every((e) => !/\.(tmp|old)-\d+$/.test(e)), 'no temporary folders left');
});

test('deploy refuses bad input with one line, a non-zero exit and no folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-deploy-bad-'));
  const full = join(dir, 'full'), foreign = join(dir, 'foreign');
  mkdirSync(full);
  writeFileSync(join(full, 'model_ops.h'), 'an earlier deploy');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'main.cpp'), 'someone else\'s source');
  const cases: [string[], number, RegExp, string | null][] = [
    [['deploy', 'cmv3-w0.5-cifar10', '--target', 'esp32', '-o', join(dir, 'a')], 2, /Expected one of imxrt1060 for --target but received "esp32"/, join(dir, 'a')],
    [['deploy', 'cmv3-w0.5-cifar10', '-o', join(dir, 'b')], 2, /Expected one of imxrt1060 for --target but received null/, join(dir, 'b')],
    [['deploy', 'cmv3-w0.5-cifar10', '--target', 'imxrt1060'], 2, /Expected an output folder for -o/, null],
    [['deploy', 'cmv3-w0.5-cifar10', '--target', 'imxrt1060', '-o', full], 2, /full exists and is not empty; pass --force to replace it/, null],
    [['deploy', 'cmv3-w0.5-cifar10', '--target', 'imxrt1060', '-o', foreign, '--force'], 2, /not a cmv3 deploy folder/, null],
    [['deploy', join(dir, 'no-such-run'), '--target', 'imxrt1060', '-o', join(dir, 'c')], 1, /no-such-run: no such run folder or checkpoint/, join(dir, 'c')],
    [['deploy', 'cmv3-w0.5-cifar10', '--target', 'imxrt1060', '-o', join(dir, 'd'), '--observer', 'max'], 2, /Expected one of minmax, percentile, mse for --observer/, join(dir, 'd')],
  ];
  for (const [args, code, re, absent] of cases) {
    const r = run(...args), what = args.join(' ');
    assert.equal(r.status, code, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /^cmv3: error: /, what);
    assert.match(r.stderr, re, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`);
    if (absent) assert.ok(!existsSync(absent), `${what}: no folder written`);
  }
  assert.deepEqual(readdirSync(dir).sort(), ['foreign', 'full'], 'nothing else created, no temporary folders');
  assert.deepEqual(readdirSync(full), ['model_ops.h'], 'the existing folder is untouched');
  assert.deepEqual(readdirSync(foreign), ['main.cpp']);
});
