// npm run bench:bn [-- --baseline COPY.node --blocked --batch 128 --rounds 10 --threads 2]
// Each batch norm + activation of cmv3 width 0.5 timed alone, training forward (statistics and
// normalise) and backward, on this build of the addon and, with --baseline, on a copy of
// build/Release/cmv3_native.node made before a native change, loaded beside it. The layers' shapes
// and activations come from a training forward of the network itself. Per pass the best of the
// rounds is kept; the builds alternate within each round, so they see the same machine. Each build
// writes its own outputs, and the largest difference from the first build's is printed at the end
// (0 = the same bits; a changed activation formula shows its rounding here). --blocked adds this
// build over the blocked layout (src/backend/layout.ts, native/bn_blocked.cc) as one more column,
// its outputs reordered to NHWC for the comparison.
import { fromBlocked, toBlocked } from '../src/backend/layout.js';
import type { Activation, Backend } from '../src/backend/types.js';
import { Model } from '../src/model.js';
import { buildNetwork } from '../src/models/build.js';
import { resolveSpec } from '../src/models/registry.js';
import { addonBuilds, largestDifference } from './builds.js';
import { failer, parseOptions, type Fail } from './cli.js';

const { values } = parseOptions('bench:bn', {
  options: {
    baseline: { type: 'string' },
    blocked: { type: 'boolean' },
    batch: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '10' },
    threads: { type: 'string', default: '2' },
  },
});
const fail: Fail = failer('bench:bn');
const [batch, rounds, threads] = [values.batch, values.rounds, values.threads].map(Number);
for (const [k, v] of Object.entries({ batch, rounds, threads })) if (!Number.isInteger(v) || v < 1) fail(`--${k} must be a positive integer`);
const loaded = addonBuilds(fail, values.baseline, threads, ['this build', 'baseline']);
const block = loaded[0][1].activationBlock();
if (values.blocked && block === 0) fail('--blocked needs a build with AVX2 or AVX-512 (this one has no blocked kernels)');
/** The columns: each build in NHWC, and with --blocked this build over blocked planes. */
const builds: [string, Backend, boolean][] = [...loaded.map(([name, b]): [string, Backend, boolean] => [name, b, false]),
  ...(values.blocked ? [[`this build, blocked (${block})`, loaded[0][1], true] as [string, Backend, boolean]] : [])];

// The network's batch norms (rows = batch x pixels, channels, activation), in order, from one training forward.
interface BnLayer { rows: number; c: number; act: Activation }
const layers: BnLayer[] = [];
const probe = builds[0][1];
const capture = new Proxy(probe, {
  get(target, key: keyof Backend) {
    const v = target[key];
    if (key !== 'batchNormActForwardTraining') return typeof v === 'function' ? v.bind(target) : v;
    return (rows: number, c: number, ...rest: unknown[]) => {
      layers.push({ rows, c, act: rest[4] as Activation });
      return (v as (...a: unknown[]) => void).call(target, rows, c, ...rest);
    };
  },
});
const model = new Model(buildNetwork(resolveSpec('cmv3', { width: 0.5 }), { backend: capture }, 1), capture);
model.forward(Float32Array.from({ length: batch * 32 * 32 * 3 }, (_, i) => Math.sin(i)), batch, true);

const eps = 1e-5;
const totals = new Map<string, number[]>();
const maxDiff = builds.map(() => [0, 0]);
console.log(`cmv3 width 0.5 batch norms at batch ${batch}, ${threads} threads, best of ${rounds} rounds, ms per pass (training forward / backward)`);
console.log(`| layer (rows x channels, activation) | ${builds.map(([name]) => name).join(' | ')} |`);
console.log(`|---|${builds.map(() => '---:|').join('')}`);
for (const { rows, c, act } of layers) {
  const n = rows * c, hw = rows / batch;
  const x = Float32Array.from({ length: n }, (_, i) => 3 * Math.sin(i * 0.37));
  const dy = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11));
  const layout = { block, hw }, blocked = (a: Float32Array) => toBlocked(batch, hw, c, block, a, new Float32Array(n));
  const xb = values.blocked ? blocked(x) : x, dyb = values.blocked ? blocked(dy) : dy;
  const gamma = Float32Array.from({ length: c }, (_, i) => 0.5 + (i % 7) / 7), beta = Float32Array.from({ length: c }, (_, i) => ((i % 5) - 2) / 4);
  const outs = builds.map(() => ({ y: new Float32Array(n), dx: new Float32Array(n), mean: new Float32Array(c), variance: new Float32Array(c), dgamma: new Float32Array(c), dbeta: new Float32Array(c) }));
  const best = builds.map(() => [Infinity, Infinity]);
  for (let round = 0; round <= rounds; round++) { // round 0 warms up (pages, threads)
    for (let j = 0; j < builds.length; j++) {
      const k = (round + j) % builds.length, [, b, isBlocked] = builds[k], o = outs[k];
      const [xk, dyk, l] = isBlocked ? [xb, dyb, layout] : [x, dy, undefined];
      const passes = [
        () => b.batchNormActForwardTraining(rows, c, xk, gamma, beta, eps, act, o.y, o.mean, o.variance, null, l),
        () => b.batchNormActBackward(rows, c, xk, dyk, gamma, beta, o.mean, o.variance, eps, act, o.dx, o.dgamma, o.dbeta, null, l),
      ];
      passes.forEach((pass, i) => {
        const t0 = performance.now();
        pass();
        if (round > 0) best[k][i] = Math.min(best[k][i], performance.now() - t0);
      });
    }
  }
  builds.forEach(([name, , isBlocked], k) => {
    for (const f of ['y', 'dx'] as const) {
      if (!isBlocked) continue;
      const nhwc = new Float32Array(n);
      fromBlocked(batch, hw, c, block, outs[k][f], nhwc);
      outs[k][f] = nhwc;
    }
    const key = `${name} ${act}`;
    const t = totals.get(key) ?? [0, 0];
    totals.set(key, [t[0] + best[k][0], t[1] + best[k][1]]);
    maxDiff[k][0] = Math.max(maxDiff[k][0], largestDifference(outs[k].y, outs[0].y));
    maxDiff[k][1] = Math.max(maxDiff[k][1], largestDifference(outs[k].dx, outs[0].dx));
  });
  console.log(`| ${rows} x ${c}, ${act} | ${best.map((p) => p.map((ms) => ms.toFixed(2)).join(' / ')).join(' | ')} |`);
}
for (const act of [...new Set(layers.map((l) => l.act))]) {
  const count = layers.filter((l) => l.act === act).length;
  console.log(`| all ${count} ${act} | ${builds.map(([name]) => totals.get(`${name} ${act}`)!.map((ms) => ms.toFixed(1)).join(' / ')).join(' | ')} |`);
}
builds.slice(1).forEach(([name], i) => {
  const d = maxDiff[i + 1];
  console.log(`${name} against ${builds[0][0]}: largest output difference ${d.map((v) => (v === 0 ? '0 (same bits)' : v.toExponential(2))).join(' / ')} (y / dx)`);
});
