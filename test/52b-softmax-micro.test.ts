// SOFTMAX in the int8 engine's TFLite Micro mode ('reference' runtime): the fixed-point arithmetic
// of TFLite Micro's reference kernel and CMSIS-NN's arm_softmax_s8, not desktop TFLite's float
// table. The expected hash below was computed by CMSIS-NN's arm_nn_softmax_common_s8 (commit
// 99f736a6, compiled for the host, generic C path) on the same seeded rows with the multipliers
// prepareSoftmaxMicro gives; it agreed on 40 further parameter sets x 200 rows (2026-12-05).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { prepareSoftmax, softmaxInt8 } from '../src/deploy/int8/kernels.js';
import { expOnNegativeValues, prepareSoftmaxMicro, softmaxInt8Micro } from '../src/deploy/int8/softmax-micro.js';
import { Rng } from '../src/nn/random.js';

test('TFLite Micro softmax: the bytes CMSIS-NN computes on 1,200 seeded rows', () => {
  const rng = new Rng(2026), out: number[] = [];
  for (const scale of [0.004, 0.02, 0.0625, 0.11, 0.3, 1.5]) for (const depth of [1, 3, 10, 64]) {
    const pp = prepareSoftmaxMicro({ scale, zeroPoint: 0 }, 1), rows = 50;
    const x = Int8Array.from({ length: rows * depth }, () => Math.floor(rng.next() * 256) - 128);
    const y = new Int8Array(x.length);
    softmaxInt8Micro(pp, x, y, depth);
    out.push(...y);
  }
  const hash = createHash('sha256').update(Int8Array.from(out)).digest('hex');
  assert.equal(hash, '1db24b454416e58f79291fdc872ed0ecb3c67f8f9999251f8a9c404276cba787');
});

test('TFLite Micro softmax: Prepare, exp, and within one step of the float-table softmax', () => {
  // beta * scale * 2^26 with scale float32(0.1): 0.8000000119 * 2^23, so multiplier round(0.8000000119 * 2^31)
  // and left shift 23; radius floor(31 * 2^26 / 2^23) = 248
  const pp = prepareSoftmaxMicro({ scale: 0.1, zeroPoint: 0 }, 1);
  assert.deepEqual(pp, { multiplier: Math.round(Math.fround(0.1) * 2 ** 34), leftShift: 23, diffMin: -248 });
  assert.equal(expOnNegativeValues(0), 2 ** 31 - 1, 'exp(0) is one');
  for (const v of [-0.1, -0.5, -1, -2.5, -7, -20]) {
    const got = expOnNegativeValues(Math.round(v * 2 ** 26)) / 2 ** 31;
    assert.ok(Math.abs(got - Math.exp(v)) < 2e-7, `exp(${v}) = ${got}`);
  }
  const rng = new Rng(3), depth = 10, x = Int8Array.from({ length: 1000 * depth }, () => Math.floor(rng.next() * 256) - 128);
  let differ = 0;
  for (const scale of [0.05, 0.2, 0.9]) {
    const a = new Int8Array(x.length), b = new Int8Array(x.length);
    softmaxInt8Micro(prepareSoftmaxMicro({ scale, zeroPoint: 0 }, 1), x, a, depth);
    softmaxInt8(prepareSoftmax({ scale, zeroPoint: 0 }, 1), x, b, depth);
    for (let i = 0; i < x.length; i++) {
      assert.ok(Math.abs(a[i] - b[i]) <= 1, `scale ${scale}: ${a[i]} against ${b[i]}`);
      if (a[i] !== b[i]) differ++;
    }
  }
  // two arithmetics (fixed point against a float table), so some last bits differ, rarely
  assert.ok(differ > 0 && differ < 3000, `${differ} of 30,000 differ by one step`);
  // 512 equal entries: each 1/512 of the mass; the final shift reaches 32 (see divideByPOT)
  const flat = new Int8Array(512).fill(7), y = new Int8Array(512);
  softmaxInt8Micro(prepareSoftmaxMicro({ scale: 0.1, zeroPoint: 0 }, 1), flat, y, 512);
  assert.deepEqual(new Set(y), new Set([-127]));
});
