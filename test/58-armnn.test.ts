// A second, independent TFLite reader: Debian's Arm NN (python3-pyarmnn 20.08, CpuRef backend)
// parses and runs our float and int8 files and gets our engines' results. Arm NN 20.08 has no
// CAST or LOG, so it cannot read the exact-Mish files; the model here is cmv3 with Mish swapped
// for ReLU6 (the deployment default, see README), weights as shipped (accuracy is not the point).
// Skipped when /usr/bin/python3 cannot import pyarmnn (.ci/run installs it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { NO_AUGMENT, assembleBatch } from '../src/data/augment.js';
import { readCifar } from '../src/data/cifar.js';
import { GraphModel } from '../src/deploy/graph-model.js';
import { quantizeInt8 } from '../src/deploy/int8/kernels.js';
import { floatGraph, int8Graph } from '../src/deploy/pipeline.js';
import { readTflite } from '../src/deploy/tflite/read.js';
import { writeTflite } from '../src/deploy/tflite/write.js';
import { loadCheckpoint, restoreCheckpoint } from '../src/io/checkpoint.js';
import { Model } from '../src/model.js';
import { buildNetwork } from '../src/models/build.js';
import { replaceActivation } from '../src/models/registry.js';
import { loadTrained, type Trained } from '../src/train/trained.js';
import { cifarOrSkip } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('../../test/python/armnn_run.py', import.meta.url));
const hasArmnn = spawnSync('/usr/bin/python3', ['-c', 'import pyarmnn'], { encoding: 'utf8' }).status === 0;
const N = 8;

function armnn(model: Uint8Array, inputs: Int8Array | Float32Array, dir: string, tag: string): Int8Array | Float32Array {
  const m = join(dir, `${tag}.tflite`), i = join(dir, `${tag}.in`), o = join(dir, `${tag}.out`);
  writeFileSync(m, model);
  writeFileSync(i, new Uint8Array(inputs.buffer, inputs.byteOffset, inputs.byteLength));
  const r = spawnSync('/usr/bin/python3', [SCRIPT, m, i, String(N), o], { encoding: 'utf8' });
  assert.equal(r.status, 0, `Arm NN on the ${tag} file: ${r.stderr}`);
  const b = readFileSync(o);
  return inputs instanceof Float32Array ? new Float32Array(b.buffer, b.byteOffset, b.length / 4) : new Int8Array(b.buffer, b.byteOffset, b.length);
}

async function relu6Model(): Promise<Trained> {
  const base = await loadTrained('cmv3-w0.5-cifar10');
  const net = buildNetwork(replaceActivation(base.model.spec, 'mish', 'relu6'), { backend: base.model.backend });
  restoreCheckpoint(loadCheckpoint(base.checkpoint), net);
  return { ...base, model: new Model(net, base.model.backend) };
}

const argmax = (v: ArrayLike<number>, at: number, k: number) => { let a = 0; for (let j = 1; j < k; j++) if (v[at + j] > v[at + a]) a = j; return a; };

test('Arm NN (CpuRef) runs our float and int8 .tflite files with our results', { skip: !hasArmnn && 'python3-pyarmnn not installed (apt-get install python3-pyarmnn libarmnn-cpuref-backend22)' }, async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const trained = await relu6Model();
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-armnn-'));
  const per = 32 * 32 * 3, set = readCifar(data, 'test', N), x = new Float32Array(N * per);
  assembleBatch(set.pixels, set.labels, Uint32Array.from({ length: N }, (_, i) => i), 32, 3, NO_AUGMENT, trained.normalization, 0, x, new Int32Array(N));

  const fbytes = writeTflite(floatGraph(trained));
  const theirs = armnn(fbytes, x, dir, 'float') as Float32Array;
  const ours = new GraphModel(readTflite(fbytes)).forward(x, N);
  let worst = 0;
  for (let j = 0; j < ours.length; j++) worst = Math.max(worst, Math.abs(ours[j] - theirs[j]));
  t.diagnostic(`float: max |difference| ${worst.toExponential(2)} over ${N} images`);
  assert.equal(theirs.length, ours.length);
  assert.ok(worst < 1e-4, `float outputs differ by ${worst}`);

  const ibytes = writeTflite(int8Graph(trained, { data, calibration: 64, observer: 'minmax' }));
  const g = readTflite(ibytes), engine = new GraphModel(g, 'reference').int8!;
  const inQ = g.tensors[g.inputs[0]].quant!, q = new Int8Array(N * per);
  quantizeInt8(x, { scale: inQ.scale[0], zeroPoint: inQ.zeroPoint[0] }, q);
  const got = armnn(ibytes, q, dir, 'int8') as Int8Array;
  const k = got.length / N;
  let identical = 0, agree = 0, steps = 0;
  for (let i = 0; i < N; i++) {
    const mine = engine.run(q.subarray(i * per, (i + 1) * per))[0];
    if (mine.every((v, j) => v === got[i * k + j])) identical++;
    if (argmax(mine, 0, k) === argmax(got, i * k, k)) agree++;
    for (let j = 0; j < k; j++) steps = Math.max(steps, Math.abs(mine[j] - got[i * k + j]));
  }
  // Arm NN's reference kernels requantize in float, TFLite's in fixed point, and the rounding
  // differences compound through 50 ops: probabilities move by a few steps of 1/256 (measured up
  // to 16 with the shipped weights); the class may not. The bound catches a misread file, which
  // moves outputs across the whole range.
  t.diagnostic(`int8: identical outputs ${identical}/${N}, top-1 agreement ${agree}/${N}, max difference ${steps} steps of 1/256`);
  assert.equal(agree, N);
  assert.ok(steps <= 32, `int8 outputs differ by ${steps} steps`);
});
