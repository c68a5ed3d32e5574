// int32 biases that do not fit at the natural weight scale. A squeeze-excite branch behind dead
// ReLUs has a nearly-zero input range (scale ~1e-4) and weights decayed to ~1e-6, so its bias over
// (input scale x weight scale) passes 2^31: MobileNetV3-Small's int8 form wrapped such biases and
// lost 11-29 points. The rule (TFLite's converter, AdjustWeightsForBiasScale) raises the weight
// scale until the bias needs at most half the int32 range. The per-tensor int8 error
// (`cmv3 eval --int8 --per-tensor N`) is how it was found.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { int8Errors } from '../src/api/evaluate.js';
import { calibrate } from '../src/deploy/calibrate.js';
import { runFloat } from '../src/deploy/engine-float.js';
import { Int8Engine } from '../src/deploy/engine-int8.js';
import { int8TensorErrors } from '../src/deploy/int8-error.js';
import type { Graph } from '../src/deploy/ir.js';
import { quantizeGraph } from '../src/deploy/quantize.js';
import { Rng } from '../src/nn/random.js';

const INT32_MAX = 2 ** 31 - 1;

/** One 1x1 CONV_2D (8 -> 4 channels) whose inputs are tiny and whose weights are, per channel: tiny, tiny, zero, ordinary. */
function tinyInputConv(rng: Rng): { g: Graph; images: Float32Array[] } {
  const cin = 8, cout = 4, hw = 3;
  const magnitude = [2e-6, 5e-7, 0, 0.3];
  const w = Float32Array.from({ length: cout * cin }, (_, i) => magnitude[Math.floor(i / cin)] * (rng.next() * 2 - 1));
  const bias = Float32Array.from([0.5, -0.7, 3.0, 0.01]);
  const g: Graph = {
    tensors: [
      { name: 'x', shape: [1, hw, hw, cin], dtype: 'float32' },
      { name: 'w', shape: [cout, 1, 1, cin], dtype: 'float32', data: w },
      { name: 'b', shape: [cout], dtype: 'float32', data: bias },
      { name: 'y', shape: [1, hw, hw, cout], dtype: 'float32' },
    ],
    ops: [{ op: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], stride: 1, padding: 'SAME', act: 'NONE' }],
    inputs: [0], outputs: [3], description: 'bias overflow probe',
  };
  // Inputs in [0, 0.026]: the range of a squeeze-excite fc1 output measured in MobileNetV3-Small.
  const images = Array.from({ length: 16 }, () => Float32Array.from({ length: hw * hw * cin }, () => 0.026 * rng.next()));
  return { g, images };
}

test('a bias beyond int32 at the natural weight scale raises that channel\'s weight scale, never wraps', () => {
  const rng = new Rng(11);
  const { g, images } = tinyInputConv(rng);
  const q = quantizeGraph(g, calibrate(g, images, 'minmax'));
  const [xi, wi, bi] = q.ops[0].inputs as number[];
  const x = q.tensors[xi], w = q.tensors[wi], b = q.tensors[bi];
  const sIn = x.quant!.scale[0], floatBias = g.tensors[2].data as Float32Array, floatW = g.tensors[1].data as Float32Array;
  for (let c = 0; c < 4; c++) {
    const sw = w.quant!.scale[c];
    assert.ok(sw >= (2 * Math.abs(floatBias[c])) / (sIn * INT32_MAX), `channel ${c}: weight scale ${sw} leaves the bias room`);
    const qb = (b.data as Int32Array)[c];
    assert.ok(Math.abs(qb) <= 2 ** 30 + 1, `channel ${c}: bias ${qb} within half the int32 range`);
    assert.equal(Math.sign(qb), Math.sign(floatBias[c]), `channel ${c}: the bias keeps its sign`);
    assert.ok(Math.abs(qb * b.quant!.scale[c] - floatBias[c]) <= b.quant!.scale[c], `channel ${c}: the bias keeps its value`);
  }
  // The ordinary channel keeps max|w| / 127.
  const maxAbs3 = Math.max(...floatW.subarray(24, 32).map(Math.abs));
  assert.equal(w.quant!.scale[3], maxAbs3 / 127);

  // And the int8 output is the float output within two steps of its scale, on every image.
  const y = q.tensors[q.outputs[0]].quant!;
  for (const kernels of ['typescript', 'native'] as const) {
    const engine = new Int8Engine(q, 'reference', kernels);
    for (const img of images) {
      const want = runFloat(g, img)[0], got = engine.runFloat(img).y;
      const worst = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
      assert.ok(worst <= 2 * y.scale[0], `${kernels}: int8 within two steps (${worst} > ${2 * y.scale[0]})`);
    }
  }
});

test('the per-tensor int8 error names the layer that computes wrongly', async () => {
  const rng = new Rng(12);
  const { g, images } = tinyInputConv(rng);
  const q = quantizeGraph(g, calibrate(g, images, 'minmax'));
  const [row] = int8TensorErrors(g, q, images).filter((r) => r.tensor === 'y');
  assert.equal(row.op, 'CONV_2D');
  assert.ok(row.error < 0.02 && row.added < 0.02, `a right conv adds little: ${JSON.stringify(row)}`);
  assert.ok(row.rounding <= row.error + 1e-9 || row.error < 0.01, 'own rounding is part of the error');
  // A wrapped bias, as before the rule: the conv's added error jumps far above its own rounding.
  const broken = structuredClone(q);
  const bias = broken.tensors[broken.ops[0].inputs[2] as number].data as Int32Array;
  bias[0] = -bias[0];
  const [bad] = int8TensorErrors(g, broken, images).filter((r) => r.tensor === 'y');
  assert.ok(bad.added > 0.3 && bad.added > 10 * bad.rounding, `a wrong bias shows: ${JSON.stringify(bad)}`);
  const input = int8TensorErrors(g, q, images.slice(0, 2)).find((r) => r.tensor === 'x')!;
  assert.deepEqual([input.op, input.added], ['input', 0]);
  await assert.rejects(int8Errors('model.tflite'), (e: Error & { code?: string }) => e.code === 'ERR_CMV3_OPTION' && /compare with the float model, which model\.tflite does not hold/.test(e.message));
});
