// A small network memorises 256 CIFAR-10 training images (100% training accuracy) on each backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend } from '../src/backend/select.js';
import type { Backend } from '../src/backend/types.js';
import { normalize, readCifar } from '../src/data/cifar.js';
import { Model } from '../src/model.js';
import { buildNetwork } from '../src/models/build.js';
import { Optimizer } from '../src/optim/optimizer.js';
import { learningRate } from '../src/optim/schedule.js';
import { Rng } from '../src/nn/random.js';
import { cifarOrSkip } from './helpers.js';
import { overfitSpec } from './fixtures.js';

async function overfit(backend: Backend, dir: string): Promise<number> {
  const set = readCifar(dir, 'train', 256);
  const images = normalize(set);
  const model = new Model(buildNetwork(overfitSpec(), { backend }, 1), backend);
  const opt = new Optimizer(model.params(), { kind: 'adam', lr: 0.02 });
  const rng = new Rng(1), per = 32 * 32 * 3, batch = 32, epochs = 40;
  const order = Array.from({ length: 256 }, (_, i) => i);
  const x = new Float32Array(batch * per);
  const schedule = { kind: 'cosine', base: 0.02, totalSteps: epochs * 8, warmupSteps: 8 } as const;
  for (let e = 0; e < epochs; e++) {
    for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    for (let b = 0; b < 256; b += batch) {
      const idx = order.slice(b, b + batch);
      idx.forEach((k, j) => x.set(images.subarray(k * per, (k + 1) * per), j * per));
      model.trainStep(x, idx.map((k) => set.labels[k]), opt, learningRate(schedule, opt.step));
    }
  }
  return model.evaluate(images, set.labels).correct / 256;
}

for (const name of ['onednn', 'reference'] as const) {
  test(`a small network overfits 256 CIFAR-10 images to 100% training accuracy (${name})`, async (t) => {
    const dir = cifarOrSkip(t);
    if (!dir) return;
    let backend: Backend;
    try {
      backend = await getBackend(name);
    } catch (err) {
      if (process.env.CI) throw err;
      t.skip(`native addon not built: ${(err as Error).message}`);
      return;
    }
    assert.equal(await overfit(backend, dir), 1);
  });
}
