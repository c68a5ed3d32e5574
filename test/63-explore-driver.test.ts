// The driver's decisions come from the study file alone: two studies with the same seed and the
// same results make the same proposals, NSGA-II breeds only after its parents are scored, and
// successive halving promotes ceil(n / eta) by Pareto order on (accuracy, cost).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Driver, type ExploreOptions } from '../src/explore/driver.js';
import { SPACES } from '../src/explore/presets.js';
import { Study } from '../src/explore/store.js';

const OPTIONS: ExploreOptions = {
  strategy: 'nsga2', trials: 6, population: 3, rungs: [{ epochs: 1, trainImages: 100 }, { epochs: 2, trainImages: 200 }], eta: 3,
  objectives: ['flash'], constraints: {}, target: 'imxrt1060', seed: 5, budgetSeconds: null, workers: 1, threads: 1,
  settings: { data: '/nowhere', batchSize: 8, validation: 100, testImages: null, int8Images: 0, calibration: 1, observer: 'minmax' },
};
// A fake trainer: accuracy falls with the int8 size, so the outcome is known and repeatable.
const score = (s: Study) => {
  for (let t; (t = s.claim('fake')); ) s.complete(t.id, 'fake', { valAcc: 1 - t.cost!.int8Bytes / 1e7, testAcc: 0, trainSeconds: 0, imagesPerSec: 0 }, 0);
};

async function drive(o: ExploreOptions): Promise<{ labels: string[]; rungs: number[]; promotedAreSmallest: boolean; baseAtRung1: boolean }> {
  const s = Study.create(join(mkdtempSync(join(tmpdir(), 'cmv3-driver-')), 'study.sqlite'), o, SPACES['cmv3-neighbourhood']);
  const d = new Driver(s, SPACES['cmv3-neighbourhood'], o, () => {});
  for (let i = 0; i < 20; i++) {
    if (await d.schedule()) break;
    score(s);
  }
  const trials = s.trials();
  s.close();
  // with accuracy falling as size grows, the smallest candidates dominate: they are the ones promoted
  const smallest = trials.filter((t) => t.rung === 0).sort((x, y) => x.cost!.int8Bytes - y.cost!.int8Bytes).slice(0, 2).map((t) => t.key).sort();
  const isBase = (t: { genes: number[] }) => t.genes.every((g) => g === 0);
  const promoted = trials.filter((t) => t.rung === 1 && !isBase(t)).map((t) => t.key).sort();
  return {
    labels: trials.map((t) => `${t.generation}/${t.rung}/${t.genes.join('')}`), rungs: trials.map((t) => t.rung),
    promotedAreSmallest: JSON.stringify(smallest) === JSON.stringify(promoted), baseAtRung1: trials.some((t) => t.rung === 1 && isBase(t)),
  };
}

test('63.1 same seed and same results: the same study; NSGA-II generations, then one promotion per 3', async () => {
  const a = await drive(OPTIONS), b = await drive(OPTIONS);
  assert.deepEqual(a.labels, b.labels);
  assert.equal(a.rungs.filter((r) => r === 0).length, 6, 'two generations of 3 at rung 0');
  assert.equal(a.rungs.filter((r) => r === 1).length, 3, 'ceil(6 / 3) promoted, and the base as the reference');
  assert.ok(a.baseAtRung1, 'the base goes on to every rung though it is not among the best');
  assert.ok(a.labels.some((l) => l.startsWith('1/0/')), 'generation 1 was bred');
  assert.equal(a.labels[0], `0/0/${'0'.repeat(SPACES['cmv3-neighbourhood'].dims.length)}`, 'the base network is the first candidate');
  assert.ok(a.promotedAreSmallest, 'successive halving promoted the dominating candidates');
  const c = await drive({ ...OPTIONS, seed: 6 });
  assert.notDeepEqual(c.labels, a.labels);
});
