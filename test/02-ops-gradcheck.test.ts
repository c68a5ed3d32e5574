// Finite-difference gradient checks of every reference op, computed entirely in float64:
// the reference loops only index their arrays, so they run unchanged on Float64Array.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceBackend as R } from '../src/backend/reference.js';
import { ACTIVATIONS, type Activation, type ConvGeometry } from '../src/backend/types.js';
import { samePadding } from '../src/nn/conv.js';
import { softmaxCrossEntropy } from '../src/nn/loss.js';
import { Rng } from '../src/nn/random.js';

type F64 = Float64Array;
const f32 = (a: F64) => a as unknown as Float32Array; // run the reference in float64
const rng = new Rng(7);
const rand = (n: number, lo = -1, hi = 1): F64 => Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
const KINKS: Record<Activation, number[]> = { none: [], relu: [0], relu6: [0, 6], hswish: [-3, 3], hsigmoid: [-3, 3], sigmoid: [], mish: [], leaky_relu: [0] };

/**
 * Checks d(sum(r * f(inputs)))/d(inputs[k]) from backward() against central differences.
 * backward(inputs, r) returns the analytic gradient for each input listed in `check`.
 */
function gradCheck(name: string, inputs: F64[], forward: (ins: F64[]) => F64, backward: (ins: F64[], r: F64) => F64[], check: number[]): void {
  const r = rand(forward(inputs).length);
  const loss = (ins: F64[]) => forward(ins).reduce((a, y, i) => a + y * r[i], 0);
  const analytic = backward(inputs, r);
  const h = 1e-6;
  check.forEach((k, j) => {
    const x = inputs[k];
    const idx = x.length <= 40 ? [...x.keys()] : Array.from({ length: 40 }, () => rng.int(x.length));
    for (const i of idx) {
      const keep = x[i];
      x[i] = keep + h; const up = loss(inputs);
      x[i] = keep - h; const down = loss(inputs);
      x[i] = keep;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - analytic[j][i]) / Math.max(1, Math.abs(numeric));
      assert.ok(err < 1e-6, `${name}: input ${k}[${i}] analytic ${analytic[j][i]} numeric ${numeric}`);
    }
  });
}

function geometry(n: number, h: number, w: number, cin: number, cout: number, k: number, stride: number, groups: number): ConvGeometry {
  const py = samePadding(h, k, stride), px = samePadding(w, k, stride);
  return { n, h, w, cin, cout, kh: k, kw: k, stride, groups, oh: py.out, ow: px.out, padTop: py.before, padBottom: py.after, padLeft: px.before, padRight: px.after };
}

test('conv2d: regular, strided, grouped and depthwise with multiplier, with and without bias', () => {
  const cases = [
    geometry(2, 5, 4, 3, 4, 3, 1, 1), geometry(1, 6, 7, 2, 3, 3, 2, 1), geometry(2, 5, 5, 4, 6, 1, 1, 2),
    geometry(1, 7, 6, 3, 6, 5, 2, 3), geometry(2, 4, 4, 3, 3, 3, 1, 3), geometry(1, 5, 5, 2, 2, 5, 1, 2),
  ];
  cases.forEach((g, c) => {
    for (const withBias of [false, true]) {
      const x = rand(g.n * g.h * g.w * g.cin), w = rand(g.kh * g.kw * (g.cin / g.groups) * g.cout), b = rand(g.cout);
      const ySize = g.n * g.oh * g.ow * g.cout;
      gradCheck(`conv case ${c} bias ${withBias}`, [x, w, b], ([x, w, b]) => {
        const y = new Float64Array(ySize);
        R.conv2dForward(g, f32(x), f32(w), withBias ? f32(b) : null, f32(y));
        return y;
      }, ([x, w], r) => {
        const dx = new Float64Array(x.length), dw = new Float64Array(w.length), db = new Float64Array(g.cout);
        R.conv2dBackwardData(g, f32(r), f32(w), f32(dx));
        R.conv2dBackwardWeights(g, f32(x), f32(r), f32(dw), withBias ? f32(db) : null);
        return [dx, dw, db];
      }, withBias ? [0, 1, 2] : [0, 1]);
    }
  });
});

test('batch norm fused with every activation (training mode)', () => {
  for (const act of ACTIVATIONS) {
    const rows = 12, c = 3;
    const x = rand(rows * c, -2, 2), gamma = rand(c, 0.5, 2), beta = rand(c, -1, 1);
    const fwd = ([x, gamma, beta]: F64[]) => {
      const y = new Float64Array(rows * c);
      R.batchNormActForwardTraining(rows, c, f32(x), f32(gamma), f32(beta), 1e-3, act, f32(y), f32(new Float64Array(c)), f32(new Float64Array(c)));
      return y;
    };
    gradCheck(`bn+${act}`, [x, gamma, beta], fwd, ([x, gamma, beta], r) => {
      const mean = new Float64Array(c), variance = new Float64Array(c);
      R.batchNormActForwardTraining(rows, c, f32(x), f32(gamma), f32(beta), 1e-3, act, f32(new Float64Array(rows * c)), f32(mean), f32(variance));
      const dx = new Float64Array(rows * c), dg = new Float64Array(c), db = new Float64Array(c);
      R.batchNormActBackward(rows, c, f32(x), f32(r), f32(gamma), f32(beta), f32(mean), f32(variance), 1e-3, act, f32(dx), f32(dg), f32(db));
      return [dx, dg, db];
    }, [0, 1, 2]);
  }
});

test('activations, away from their kinks', () => {
  for (const act of ACTIVATIONS) {
    const x = rand(40, -8, 8).map((v) => (KINKS[act].some((k) => Math.abs(v - k) < 1e-3) ? v + 0.01 : v));
    gradCheck(act, [x], ([x]) => { const y = new Float64Array(x.length); R.activationForward(act, f32(x), f32(y)); return y; },
      ([x], r) => { const dx = new Float64Array(x.length); R.activationBackward(act, f32(x), f32(r), f32(dx)); return [dx]; }, [0]);
  }
});

test('global average pool and channel scale (squeeze-and-excite)', () => {
  const n = 2, hw = 5, c = 3;
  gradCheck('gap', [rand(n * hw * c)], ([x]) => { const y = new Float64Array(n * c); R.globalAvgPoolForward(n, hw, c, f32(x), f32(y)); return y; },
    ([x], r) => { const dx = new Float64Array(x.length); R.globalAvgPoolBackward(n, hw, c, f32(r), f32(dx)); return [dx]; }, [0]);
  gradCheck('scale', [rand(n * hw * c), rand(n * c)], ([x, s]) => { const y = new Float64Array(x.length); R.channelScaleForward(n, hw, c, f32(x), f32(s), f32(y)); return y; },
    ([x, s], r) => { const dx = new Float64Array(x.length), ds = new Float64Array(s.length); R.channelScaleBackward(n, hw, c, f32(x), f32(s), f32(r), f32(dx), f32(ds)); return [dx, ds]; }, [0, 1]);
});

test('softmax cross-entropy with and without label smoothing', () => {
  for (const smoothing of [0, 0.1]) {
    const n = 3, k = 5, labels = [1, 4, 0];
    const lossOf = (z: F64) => softmaxCrossEntropy(f32(z), labels, k, f32(new Float64Array(n * k)), smoothing).loss;
    gradCheck(`xent ${smoothing}`, [rand(n * k, -3, 3)], ([z]) => Float64Array.of(lossOf(z)),
      ([z], r) => { const d = new Float64Array(n * k); softmaxCrossEntropy(f32(z), labels, k, f32(d), smoothing); return [d.map((v) => v * r[0])]; }, [0]);
  }
});
