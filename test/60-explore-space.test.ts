// Search spaces as data: presets decode to the paper's networks, paths are checked, candidates
// have stable keys; the Pareto tools and the strategies are exact and repeatable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/nn/random.js';
import { getBackend } from '../src/backend/select.js';
import { SPACES } from '../src/explore/presets.js';
import { crowding, dominates, nondominatedFronts, nsgaOrder } from '../src/explore/pareto.js';
import { decode, describeGenes, genesOfLabel, gridGenes, SpaceError, spaceSize, specKey, validateSpace, type Space } from '../src/explore/space.js';
import { makeStrategy } from '../src/explore/strategy.js';
import { ranks, spearman } from '../src/explore/stats.js';
import { buildNetwork } from '../src/models/build.js';
import { CMV3 } from '../src/models/builtin.js';
import { summarize } from '../src/summary.js';

const params = async (s: Space, genes: number[]) => summarize(buildNetwork(decode(s, genes), { backend: await getBackend('reference') })).params.total;

test('60.1 every preset validates, and every choice of it makes a valid network', () => {
  for (const s of Object.values(SPACES)) {
    validateSpace(structuredClone(s));
    s.dims.forEach((d, i) => d.choices.forEach((_, j) => decode(s, s.dims.map((_, k) => (k === i ? j : 0)))));
  }
});

test('60.2 paper-widths and paper-ablation give the paper\'s parameter counts where it states them', async () => {
  const w = SPACES['paper-widths'], a = SPACES['paper-ablation'];
  assert.equal(await params(w, [1]), 171_946); // width 0.5
  const labels = a.dims[0].choices.map((c) => c.label);
  assert.equal(await params(a, [labels.indexOf('0 MobileNetV3-Small w1.0 (baseline)')]), 1_846_930);
  assert.equal(await params(a, [labels.indexOf('3 + Mish after DPD (CMV3)')]), 171_946);
  // each ablation step changes what it says: step 2 differs from CMV3 only in the DPD activations
  const s2 = decode(a, [3]), s3 = decode(a, [4]);
  assert.deepEqual(s2.blocks.map((b) => b.act), ['hswish', 'relu', 'relu', 'hswish', 'relu', 'relu']);
  assert.deepEqual({ ...s3, description: '', blocks: s3.blocks.map((b) => ({ ...b, act: 'x' })) }, { ...s2, description: '', blocks: s2.blocks.map((b) => ({ ...b, act: 'x' })) });
  // a candidate keeps its base's name but its description says which candidate it is
  const l = SPACES['cmv3-local'], base = l.dims.map(() => 0);
  assert.equal(decode(l, base).description, CMV3.description);
  const b3 = l.dims.findIndex((d) => d.name === 'b3.se'), mutant = base.map((g, i) => (i === b3 ? 1 : g));
  assert.equal(decode(l, mutant).name, 'cmv3');
  assert.equal(decode(l, mutant).description, `candidate b3.se=false of space cmv3-local, from: ${CMV3.description}`);
  assert.deepEqual(decode(a, [2]).blocks.map((b) => b.exp), [16, 88, 240, 96, 288, 576]);
});

test('60.3 a path that names no field, or a value the spec refuses, is a one-line error', () => {
  const bad = (set: Record<string, unknown>): Space => ({ name: 'bad', base: 'cmv3', dims: [{ name: 'x', choices: [{ set }] }] });
  assert.throws(() => validateSpace(bad({ 'blocks.9.kernel': 3 })), (e: Error) => e instanceof SpaceError && /blocks\.9\.kernel does not name a field/.test(e.message));
  assert.throws(() => validateSpace(bad({ widht: 0.5 })), /widht does not name a field/);
  assert.throws(() => decode(bad({ 'blocks.0.kernel': 4 }), [0]), /Expected an odd positive integer for spec.blocks\[0\].kernel but received 4/);
  assert.throws(() => validateSpace({ name: 'x', base: 'cmv3', dims: [] }), /Expected a non-empty array for space.dims/);
  assert.throws(() => validateSpace({ name: 'x', base: 'resnet', dims: [{ name: 'a', choices: [{}] }] }), /unknown model 'resnet'/);
  // '*' sets a field in every item of an array
  const all = decode({ name: 'star', base: 'cmv3', dims: [{ name: 'k', choices: [{ set: { 'blocks.*.kernel': 3 } }] }] }, [0]);
  assert.deepEqual(all.blocks.map((b) => b.kernel), [3, 3, 3, 3, 3, 3]);
});

test('60.4 grid order covers the space once; keys follow the network, not the genes', () => {
  const s = SPACES['paper-widths'];
  const seen = new Set(Array.from({ length: spaceSize(s) }, (_, i) => specKey(decode(s, gridGenes(s, i)))));
  assert.equal(seen.size, 5);
  const n = SPACES['cmv3-neighbourhood'];
  assert.equal(specKey(decode(n, n.dims.map(() => 0))), specKey(structuredClone(CMV3)));
  assert.equal(describeGenes(n, n.dims.map(() => 0)), 'base');
  // SE on a DPD row changes the spec's text but not the network (DPD ops have no SE); on a bneck row it does
  const flip = (i: number) => specKey(decode(n, n.dims.map((d) => (d.name === `b${i}.se` ? 1 : 0))));
  assert.equal(CMV3.blocks[4].type, 'dpd');
  assert.equal(flip(4), specKey(structuredClone(CMV3)));
  assert.equal(CMV3.blocks[3].type, 'bneck');
  assert.notEqual(flip(3), specKey(structuredClone(CMV3)));
  assert.equal(describeGenes(n, n.dims.map((d) => (d.name === 'b2.act' ? 1 : 0))), 'b2.act=relu6');
  // cmv3-local keeps CMV3's scale: its base is CMV3, and no choice changes the width or the input
  const l = SPACES['cmv3-local'], rng = new Rng(4);
  assert.equal(specKey(decode(l, l.dims.map(() => 0))), specKey(structuredClone(CMV3)));
  for (let i = 0; i < 50; i++) {
    const spec = decode(l, l.dims.map((d) => rng.int(d.choices.length)));
    assert.equal(spec.width, 0.5);
    assert.equal(spec.inputSize, 32);
    assert.equal(spec.stem.stride, 1);
  }
});

test('60.5 dominance, fronts and crowding on a known set', () => {
  // minimise both: (1,5) (2,3) (4,1) are the front; (3,4) is dominated by (2,3); (5,5) by all
  const pts = [[1, 5], [3, 4], [2, 3], [5, 5], [4, 1]];
  assert.ok(dominates([2, 3], [3, 4]) && !dominates([1, 5], [2, 3]) && !dominates([1, 1], [1, 1]));
  assert.deepEqual(nondominatedFronts(pts), [[0, 2, 4], [1], [3]]);
  const c = crowding(pts, [0, 2, 4]);
  assert.equal(c.get(0), Infinity);
  assert.equal(c.get(4), Infinity);
  assert.ok(Math.abs(c.get(2)! - ((4 - 1) / 3 + (5 - 1) / 4)) < 1e-12);
  assert.deepEqual(nsgaOrder(pts), [0, 4, 2, 1, 3]);
  // the two ends of a front (both infinitely crowded): the more accurate (smaller first objective) goes first
  assert.deepEqual(nsgaOrder([[-0.5, 200], [-0.6, 250]]), [1, 0]);
});

test('60.6 strategies are seeded: the same seed proposes the same candidates, another seed others', () => {
  const s = SPACES['cmv3-neighbourhood'];
  const take = (name: 'random' | 'nsga2', seed: number, gen = 0, history: { genes: number[]; objectives: number[] }[][] = []) => {
    const out: string[] = [];
    for (const g of makeStrategy(name, s, seed, 4).propose(gen, history)) { out.push(g.join(',')); if (out.length === 6) break; }
    return out;
  };
  assert.deepEqual(take('random', 1), take('random', 1));
  assert.notDeepEqual(take('random', 1), take('random', 2));
  const parents = take('nsga2', 3).map((g, i) => ({ genes: g.split(',').map(Number), objectives: [-i, i] }));
  const kids = take('nsga2', 3, 1, [parents]);
  assert.deepEqual(kids, take('nsga2', 3, 1, [parents]));
  // every child differs from both parents it could have come from in at least one gene
  for (const k of kids) assert.ok(!parents.some((p) => p.genes.join(',') === k));
  // --init base: the base, then its mutants with 1 to 3 choices changed, seeded like the rest
  const near: number[][] = [];
  for (const g of makeStrategy('nsga2', s, 5, 4, 'base').propose(0, [])) { near.push(g); if (near.length === 40) break; }
  assert.ok(near[0].every((g) => g === 0));
  const changed = near.slice(1).map((g) => g.filter((x) => x !== 0).length);
  assert.ok(changed.every((n) => n >= 1 && n <= 3), `changes per mutant: ${changed.join(',')}`);
  assert.ok(new Set(changed).size === 3, 'one, two and three changes all occur');
  const again: number[][] = [];
  for (const g of makeStrategy('nsga2', s, 5, 4, 'base').propose(0, [])) { again.push(g); if (again.length === 40) break; }
  assert.deepEqual(again, near);
  const grid: string[] = [];
  for (const g of makeStrategy('grid', SPACES['paper-widths'], 1, 2).propose(0, [])) grid.push(g.join(','));
  assert.deepEqual(grid, ['0', '1', '2', '3', '4']);
});

test('60.7 Spearman rank correlation: known values, ties averaged', () => {
  assert.deepEqual(ranks([10, 30, 20, 20]), [1, 4, 2.5, 2.5]);
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // rho = 1 - 6 sum d^2 / (n (n^2 - 1)) without ties: d = (0, -2, 1, 1) -> 1 - 36/60 = 0.4
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 4, 2, 3]) - 0.4) < 1e-12);
  assert.ok(Number.isNaN(spearman([1], [2])));
});

test('60.8 a label as tables print it gives back its candidate; a wrong one is a one-line error', () => {
  const rng = new Rng(8);
  for (const s of Object.values(SPACES)) {
    for (let k = 0; k < 40; k++) {
      const genes = s.dims.map((d) => rng.int(d.choices.length));
      const again = genesOfLabel(s, describeGenes(s, genes));
      assert.equal(describeGenes(s, again), describeGenes(s, genes), s.name);
      if (s.dims.length > 1) assert.deepEqual(again, genes, s.name);
    }
  }
  const local = SPACES['cmv3-local'];
  assert.deepEqual(genesOfLabel(local, 'base'), local.dims.map(() => 0));
  const refused = (label: string, re: RegExp) => assert.throws(() => genesOfLabel(local, label), (e: Error) => e instanceof SpaceError && re.test(e.message) && !e.message.includes('\n'));
  refused('b9.act=relu6', /space cmv3-local has no dimension 'b9\.act'; dimensions: strides, /);
  refused('b0.act=relu6 b9.act=relu6', /has no dimension 'b9\.act'/);
  refused('b0.act=hswish b0.act=mish', /sets b0\.act twice/);
  refused('b0.act=relu6 b0.act=relu6', /sets b0\.act twice/);
  refused('relu6', /'relu6' is not a candidate label of space cmv3-local; write dimension=choice pairs/);
  // a rejected row of bench:explore's table, pasted whole
  assert.equal(describeGenes(local, genesOfLabel(local, 'b0.kernel=5 (rejected: est. latency 106.4 ms > --max-latency 99.7 ms)')), 'b0.kernel=5');
  // custom spaces: a choice label may hold spaces and '=', and a model swap
  const custom = validateSpace({ name: 'c', base: 'cmv3', dims: [
    { name: 'k', choices: [{ set: {} }, { set: { 'blocks.3.stride': 1, 'blocks.4.stride': 2 } }] },
    { name: 'blocks.4.stride', choices: [{ label: '2', set: {} }, { label: '1', set: { 'blocks.4.stride': 1 } }] },
    { name: 'width', choices: [{ set: {} }, { set: { width: 0.75 } }] },
    { name: 'arch', choices: [{ set: {} }, { model: 'mobilenetv3-small', set: { width: 0.5 } }] },
  ] });
  for (let i = 0; i < spaceSize(custom); i++) assert.deepEqual(genesOfLabel(custom, describeGenes(custom, gridGenes(custom, i))), gridGenes(custom, i));
  refused('b0.kernel=7', /dimension b0\.kernel has no choice '7'; use one of: 3, 5/);
});
