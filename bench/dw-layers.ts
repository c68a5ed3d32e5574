// npm run bench:dw [-- --modes default,onednn --baseline COPY.node --blocked --batch 128 --rounds 6 --threads 2]
// Each depthwise layer of cmv3 width 0.5 timed alone, forward, backward data and backward weights,
// for every variant in turn: a variant is a build of the addon (this one, or --baseline, a copy of
// build/Release/cmv3_native.node from before a native change) and a CMV3_DW mode (native/conv_route.cc:
// 'default' the measured routing, 'custom' every pass on native/depthwise.cc, 'onednn' every pass
// on oneDNN). The layers' shapes come from a forward pass of the network itself. Per pass the
// best of the rounds is kept; variants alternate within each round, so they see the same machine.
// It is how native/conv_route.cc's routing between oneDNN and the hand-written kernels is decided. Each
// variant writes its own outputs, and the largest difference of every variant's outputs from the
// first variant's is printed at the end (0 = the same bits, as two builds of one kernel should).
// --blocked adds this build over blocked activations (src/backend/layout.ts, native/depthwise_blocked*.cc)
// as one more variant: its inputs are the same values reordered, its outputs reordered back to compare.
import { fromBlocked, toBlocked } from '../src/backend/layout.js';
import type { Backend, ConvGeometry } from '../src/backend/types.js';
import { Model } from '../src/model.js';
import { buildNetwork } from '../src/models/build.js';
import { resolveSpec } from '../src/models/registry.js';
import { addonBuilds, largestDifference } from './builds.js';
import { failer, parseOptions, type Fail } from './cli.js';

const { values } = parseOptions('bench:dw', {
  options: {
    modes: { type: 'string', default: 'default,custom,onednn' },
    baseline: { type: 'string' },
    blocked: { type: 'boolean' },
    batch: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '6' },
    threads: { type: 'string', default: '2' },
  },
});
const fail: Fail = failer('bench:dw');
const MODES = ['default', 'custom', 'onednn'];
const modes = values.modes.split(',');
for (const m of modes) if (!MODES.includes(m)) fail(`unknown mode ${m} (known: ${MODES.join(', ')})`);
if (new Set(modes).size !== modes.length) fail(`--modes names a mode twice: ${values.modes}`);
const [batch, rounds, threads] = [values.batch, values.rounds, values.threads].map(Number);
for (const [k, v] of Object.entries({ batch, rounds, threads })) if (!Number.isInteger(v) || v < 1) fail(`--${k} must be a positive integer`);
const builds = addonBuilds(fail, values.baseline, threads, ['', '@baseline']);

// The network's depthwise geometries, in order, from one inference forward at this batch.
const layers: ConvGeometry[] = [];
const probe = builds[0][1];
const capture = new Proxy(probe, {
  get(target, key: keyof Backend) {
    const v = target[key];
    if (key !== 'conv2dForward') return typeof v === 'function' ? v.bind(target) : v;
    return (g: ConvGeometry, ...rest: unknown[]) => {
      if (g.groups === g.cin && g.groups > 1) layers.push(g);
      return (v as (...a: unknown[]) => void).call(target, g, ...rest);
    };
  },
});
const model = new Model(buildNetwork(resolveSpec('cmv3', { width: 0.5 }), { backend: capture }, 1), capture);
model.forward(new Float32Array(batch * 32 * 32 * 3), batch, false);

const block = builds[0][1].activationBlock();
if (values.blocked && block === 0) fail('--blocked needs a build with AVX2 or AVX-512 (this one has no blocked kernels)');
const variants = [...builds.flatMap(([suffix, b]) => modes.map((mode) => ({ name: mode + suffix, mode, b, block: 0 }))),
  ...(values.blocked ? [{ name: `blocked (${block})`, mode: 'default', b: builds[0][1], block }] : [])];
const PASSES = ['forward', 'backward data', 'backward weights'];
const totals = new Map(variants.map((v) => [v.name, [0, 0, 0]]));
const maxDiff = new Map(variants.map((v) => [v.name, [0, 0, 0]]));
console.log(`cmv3 width 0.5 depthwise layers at batch ${batch}, ${threads} threads, best of ${rounds} rounds, ms per pass (forward / backward data / backward weights)`);
console.log(`| layer | ${variants.map((v) => v.name).join(' | ')} |`);
console.log(`|---|${variants.map(() => '---:|').join('')}`);
for (const g of layers) {
  const x = Float32Array.from({ length: g.n * g.h * g.w * g.cin }, (_, i) => Math.sin(i * 0.37));
  const w = Float32Array.from({ length: g.kh * g.kw * g.cout }, (_, i) => Math.cos(i * 0.11));
  const outs = new Map<string, Float32Array[]>(variants.map((v) => [v.name, [new Float32Array(g.n * g.oh * g.ow * g.cout), new Float32Array(x.length), new Float32Array(w.length)]]));
  const best = new Map(variants.map((v) => [v.name, [Infinity, Infinity, Infinity]]));
  // A layer whose channels are not whole blocks stays NHWC in a blocked network: no blocked figure.
  const fits = (v: (typeof variants)[number]) => v.block === 0 || (g.cin % v.block === 0 && g.cout % v.block === 0);
  const reorder = (v: (typeof variants)[number], a: Float32Array, hw: number, c: number, to = true) =>
    v.block === 0 ? a : (to ? toBlocked : fromBlocked)(g.n, hw, c, v.block, a, new Float32Array(a.length));
  const inputs = new Map(variants.map((v) => [v.name, fits(v) ? reorder(v, x, g.h * g.w, g.cin) : x]));
  for (let round = 0; round <= rounds; round++) { // round 0 warms up (primitives, pages)
    for (let j = 0; j < variants.length; j++) {
      const v = variants[(round + j) % variants.length];
      if (!fits(v)) continue;
      if (v.mode === 'default') delete process.env.CMV3_DW; // the addon reads it on every call
      else process.env.CMV3_DW = v.mode;
      const [y, dx, dw] = outs.get(v.name)!;
      // backward passes take the first variant's y as dy, so every variant sees the same inputs
      const dy = reorder(v, outs.get(variants[0].name)![0], g.oh * g.ow, g.cout);
      const gv = { ...g, srcBlock: v.block, dstBlock: v.block }, xv = inputs.get(v.name)!;
      const passes = [() => v.b.conv2dForward(gv, xv, w, null, y), () => v.b.conv2dBackwardData(gv, dy, w, dx), () => v.b.conv2dBackwardWeights(gv, xv, dy, dw, null)];
      passes.forEach((pass, i) => {
        const t0 = performance.now();
        pass();
        const ms = performance.now() - t0;
        if (round > 0) best.get(v.name)![i] = Math.min(best.get(v.name)![i], ms);
      });
    }
  }
  delete process.env.CMV3_DW;
  for (const v of variants.filter(fits)) {
    if (v.block !== 0) { // back to NHWC for the comparison
      const o = outs.get(v.name)!;
      o[0] = reorder(v, o[0], g.oh * g.ow, g.cout, false);
      o[1] = reorder(v, o[1], g.h * g.w, g.cin, false);
    }
    best.get(v.name)!.forEach((ms, i) => { totals.get(v.name)![i] += ms; });
    outs.get(v.name)!.forEach((o, i) => { maxDiff.get(v.name)![i] = Math.max(maxDiff.get(v.name)![i], largestDifference(o, outs.get(variants[0].name)![i])); });
  }
  const label = `${g.cin}x${g.cout / g.cin} ${g.kh}x${g.kw} s${g.stride} ${g.h}x${g.w}`;
  console.log(`| ${label} | ${variants.map((v) => (fits(v) ? best.get(v.name)!.map((ms) => ms.toFixed(2)).join(' / ') : 'NHWC')).join(' | ')} |`);
}
console.log(`| all ${layers.length} | ${variants.map((v) => totals.get(v.name)!.map((ms) => ms.toFixed(1)).join(' / ')).join(' | ')} |`);
console.log(`(${PASSES.join(' / ')})`);
for (const v of variants.slice(1)) {
  const d = maxDiff.get(v.name)!;
  console.log(`${v.name} against ${variants[0].name}: largest output difference ${d.map((x) => (x === 0 ? '0 (same bits)' : x.toExponential(2))).join(' / ')}`);
}
