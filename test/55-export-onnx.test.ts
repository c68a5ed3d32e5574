// float32 ONNX export in real ONNX Runtime (onnxruntime-node's CPU build): the packaged model and
// small hand-built graphs that reach every op the writer handles give the float engine's outputs
// within 1e-4; int8 graphs and pseudo-ops are refused; the CLI writes the file and refuses --int8.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { NO_AUGMENT, assembleBatch } from '../src/data/augment.js';
import { readCifar } from '../src/data/cifar.js';
import { runFloat } from '../src/deploy/engine-float.js';
import { GraphModel } from '../src/deploy/graph-model.js';
import { elementCount, GraphBuilder, type Graph } from '../src/deploy/ir.js';
import { writeOnnx } from '../src/deploy/onnx.js';
import { floatGraph } from '../src/deploy/pipeline.js';
import { Rng } from '../src/nn/random.js';
import { loadTrained } from '../src/train/trained.js';
import { cifarOrSkip, randomArray } from './helpers.js';

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CMV3_DEBUG: '' } });
const argmax = (v: ArrayLike<number>) => { let a = 0; for (let i = 1; i < v.length; i++) if (v[i] > v[a]) a = i; return a; };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** One session on one thread (a training run may own the other cores). */
const session = (bytes: Uint8Array) => InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });

async function ortRun(s: InferenceSession, g: Graph, x: Float32Array): Promise<Float32Array[]> {
  const inT = g.tensors[g.inputs[0]];
  const r = await s.run({ [inT.name]: new Tensor('float32', x, inT.shape) });
  return g.outputs.map((o) => {
    const t = r[g.tensors[o].name];
    assert.deepEqual([...t.dims], g.tensors[o].shape, `shape of ${g.tensors[o].name}`);
    return t.data as Float32Array;
  });
}

test('packaged model: ONNX Runtime within 1e-4 of the float engine on 100 test images, same top-1', async (t) => {
  const dir = cifarOrSkip(t);
  if (!dir) return;
  const trained = await loadTrained('cmv3-w0.5-cifar10');
  const n = 100, per = 32 * 32 * 3;
  const set = readCifar(dir, 'test', n);
  const x = new Float32Array(n * per), labels = new Int32Array(n);
  assembleBatch(set.pixels, set.labels, Uint32Array.from({ length: n }, (_, i) => i), 32, 3, NO_AUGMENT, trained.normalization, 0, x, labels);
  const g = floatGraph(trained);
  const bytes = writeOnnx(g);
  assert.ok(Buffer.from(bytes).includes(Buffer.from(g.description)), 'description in metadata_props');
  const s = await session(bytes);
  assert.deepEqual(s.inputNames, ['input']);
  assert.deepEqual(s.outputNames, ['probabilities']);
  const ours = new GraphModel(g);
  let worst = 0, agree = 0;
  for (let i = 0; i < n; i++) {
    const img = x.subarray(i * per, (i + 1) * per);
    const a = ours.forward(img, 1), [b] = await ortRun(s, g, img);
    worst = Math.max(worst, maxDiff(a, b));
    if (argmax(a) === argmax(b)) agree++;
  }
  await s.release();
  t.diagnostic(`${bytes.length} bytes, largest difference ${worst.toExponential(2)}, top-1 agreement ${agree}/${n}`);
  assert.ok(worst < 1e-4, `largest difference ${worst}`);
  assert.equal(agree, n);
});

const rng = new Rng(55);
const constant = (b: GraphBuilder, name: string, shape: number[], scale = 0.5) => b.tensor({ name, shape, dtype: 'float32', data: randomArray(rng, elementCount(shape), scale) });
const act = (b: GraphBuilder, name: string, shape: number[]) => b.tensor({ name, shape, dtype: 'float32' });

/** Every op of a float graph, NHWC in and out; 7x7 input so stride-2 SAME padding is uneven. */
function everyOpGraph(): Graph {
  const b = new GraphBuilder();
  const x = act(b, 'input', [1, 7, 7, 3]);
  // 7 rows, kernel 4, stride 2: 3 rows of padding, 1 on top and 2 below; 7 columns, kernel 3: 1 and 1.
  const c1 = b.op({ op: 'CONV_2D', inputs: [x, constant(b, 'c1.w', [4, 4, 3, 3]), constant(b, 'c1.b', [4])], outputs: [act(b, 'c1', [1, 4, 4, 4])], stride: 2, padding: 'SAME', act: 'RELU6' });
  // 4 pixels, kernel 3, stride 2: the one padding pixel is bottom/right only. Multiplier 2.
  const d1 = b.op({ op: 'DEPTHWISE_CONV_2D', inputs: [c1, constant(b, 'd1.w', [1, 3, 3, 8]), constant(b, 'd1.b', [8])], outputs: [act(b, 'd1', [1, 2, 2, 8])], stride: 2, padding: 'SAME', multiplier: 2, act: 'RELU' });
  const s = [1, 2, 2, 8];
  const hs = b.op({ op: 'HARD_SWISH', inputs: [d1], outputs: [act(b, 'hs', s)] });
  const e = b.op({ op: 'EXP', inputs: [hs], outputs: [act(b, 'exp', s)] });
  const one = b.tensor({ name: 'const/one', shape: [1, 1, 1, 1], dtype: 'float32', data: Float32Array.of(1) });
  const p = b.op({ op: 'ADD', inputs: [e, one], outputs: [act(b, 'one_plus_exp', s)], act: 'NONE' });
  const l = b.op({ op: 'LOG', inputs: [p], outputs: [act(b, 'log', s)] });
  const th = b.op({ op: 'TANH', inputs: [l], outputs: [act(b, 'tanh', s)] });
  const a1 = b.op({ op: 'ADD', inputs: [th, constant(b, 'add.c', [1, 1, 1, 8], 2)], outputs: [act(b, 'add_c', s)], act: 'RELU6' });
  const m1 = b.op({ op: 'MUL', inputs: [constant(b, 'mul.s', [1, 1, 1, 1], 3), a1], outputs: [act(b, 'mul_s', s)], act: 'RELU' });
  const m2 = b.op({ op: 'MUL', inputs: [m1, constant(b, 'mul.c', [1, 1, 1, 8], 2)], outputs: [act(b, 'mul_c', s)], act: 'NONE' });
  const r6 = b.op({ op: 'RELU6', inputs: [m2], outputs: [act(b, 'relu6', s)] });
  const r = b.op({ op: 'RELU', inputs: [m2], outputs: [act(b, 'relu', s)] });
  const sum = b.op({ op: 'ADD', inputs: [r6, r], outputs: [act(b, 'sum', s)], act: 'NONE' });
  const sig = b.op({ op: 'LOGISTIC', inputs: [sum], outputs: [act(b, 'sigmoid', s)] });
  const se = b.op({ op: 'AVERAGE_POOL_2D', inputs: [sig], outputs: [act(b, 'se.pool', [1, 1, 1, 8])], filter: 2, stride: 1, padding: 'VALID', act: 'NONE' });
  const scaled = b.op({ op: 'MUL', inputs: [sum, se], outputs: [act(b, 'se', s)], act: 'NONE' });
  const pool = b.op({ op: 'AVERAGE_POOL_2D', inputs: [scaled], outputs: [act(b, 'pool', [1, 1, 1, 8])], filter: 2, stride: 1, padding: 'VALID', act: 'NONE' });
  const fc = b.op({ op: 'CONV_2D', inputs: [pool, constant(b, 'fc.w', [5, 1, 1, 8], 2), constant(b, 'fc.b', [5])], outputs: [act(b, 'fc', [1, 1, 1, 5])], stride: 1, padding: 'SAME', act: 'NONE' });
  const lg = b.op({ op: 'RESHAPE', inputs: [fc], outputs: [act(b, 'logits', [1, 5])], newShape: [1, 5] });
  const y = b.op({ op: 'SOFTMAX', inputs: [lg], outputs: [act(b, 'probabilities', [1, 5])], beta: 0.5 });
  return b.finish([x], [y], JSON.stringify({ model: 'tiny', labels: ['a', 'b', 'c', 'd', 'e'] }));
}

/** Layout edge cases: reshapes that reorder NHWC vs NCHW, 4-D and 3-D outputs, lower-rank constants. */
function layoutGraph(): Graph {
  const b = new GraphBuilder();
  const x = act(b, 'input', [1, 5, 5, 2]);
  const c = b.op({ op: 'CONV_2D', inputs: [x, constant(b, 'c.w', [3, 3, 3, 2]), constant(b, 'c.b', [3])], outputs: [act(b, 'c', [1, 5, 5, 3])], stride: 1, padding: 'SAME', act: 'NONE' });
  const shape = b.tensor({ name: 'flat.shape', shape: [3], dtype: 'int32', data: Int32Array.of(1, 25, 3) }); // as TFLite files carry it
  const flat = b.op({ op: 'RESHAPE', inputs: [c, shape], outputs: [act(b, 'flat', [1, 25, 3])], newShape: [1, 25, 3] });
  const back = b.op({ op: 'RESHAPE', inputs: [flat], outputs: [act(b, 'back', [1, 5, 5, 3])], newShape: [1, 5, 5, 3] });
  const biased = b.op({ op: 'ADD', inputs: [back, constant(b, 'bias', [3], 2)], outputs: [act(b, 'biased', [1, 5, 5, 3])], act: 'NONE' });
  const sm = b.op({ op: 'SOFTMAX', inputs: [biased], outputs: [act(b, 'softmax4d', [1, 5, 5, 3])], beta: 1 });
  const half = b.tensor({ name: 'const/half', shape: [1, 1, 1, 1], dtype: 'float32', data: Float32Array.of(0.5) });
  const sc = b.op({ op: 'MUL', inputs: [flat, half], outputs: [act(b, 'flat_half', [1, 25, 3])], act: 'NONE' });
  return b.finish([x], [sm, sc, c], 'free text, not JSON');
}

for (const [name, build] of [['every op', everyOpGraph], ['layout edge cases', layoutGraph]] as const) {
  test(`hand-built graph (${name}): ONNX Runtime within 1e-4 of the float engine`, async (t) => {
    const g = build();
    const s = await session(writeOnnx(g));
    const inT = g.tensors[g.inputs[0]];
    let worst = 0;
    for (let k = 0; k < 5; k++) {
      const x = randomArray(rng, elementCount(inT.shape), 2);
      const want = runFloat(g, x), got = await ortRun(s, g, x);
      want.forEach((w, j) => { worst = Math.max(worst, maxDiff(w, got[j])); });
    }
    await s.release();
    t.diagnostic(`largest difference ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4, `largest difference ${worst}`);
  });
}

test('int8 graphs and pseudo-ops are refused with one line', () => {
  const b = new GraphBuilder();
  const x = b.tensor({ name: 'input', shape: [1, 2, 2, 1], dtype: 'int8', quant: { scale: [0.1], zeroPoint: [0], axis: 0 } });
  const y = b.op({ op: 'RELU', inputs: [x], outputs: [b.tensor({ name: 'y', shape: [1, 2, 2, 1], dtype: 'int8', quant: { scale: [0.1], zeroPoint: [0], axis: 0 } })] });
  assert.throws(() => writeOnnx(b.finish([x], [y], '')), (e: Error) => /ONNX export is float32/.test(e.message) && !e.message.includes('\n'));
  const m = new GraphBuilder();
  const xi = act(m, 'input', [1, 2, 2, 1]);
  const yi = m.op({ op: 'MISH', inputs: [xi], outputs: [act(m, 'y', [1, 2, 2, 1])] });
  assert.throws(() => writeOnnx(m.finish([xi], [yi], '')), (e: Error) => /MISH is a pseudo-op/.test(e.message) && !e.message.includes('\n'));
});

test('cmv3 export --format onnx writes a model ONNX Runtime loads; --int8 is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-onnx-'));
  const path = join(dir, 'model.onnx');
  let r = run('export', 'cmv3-w0.5-cifar10', '--format', 'onnx', '-o', path, '--json');
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.dtype, 'float32');
  assert.equal(readFileSync(path).length, info.bytes);
  const s = await session(readFileSync(path));
  const out = await s.run({ input: new Tensor('float32', new Float32Array(32 * 32 * 3), [1, 32, 32, 3]) });
  await s.release();
  const p = out.probabilities.data as Float32Array;
  assert.equal(p.length, 10);
  assert.ok(Math.abs(p.reduce((a, v) => a + v, 0) - 1) < 1e-5);

  const bad = join(dir, 'x.onnx');
  r = run('export', 'cmv3-w0.5-cifar10', '--format', 'onnx', '--int8', '-o', bad);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'cmv3: error: ONNX export is float32; use --format tflite for int8\n');
  assert.ok(!existsSync(bad), 'nothing written');
});
