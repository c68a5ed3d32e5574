// The shipped weights: evaluated on the full CIFAR-10 test set, they give the accuracy the README states.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readCifar } from '../src/data/cifar.js';
import { evaluateSet } from '../src/train/evaluate.js';
import { PRETRAINED, pretrainedPath } from '../src/train/pretrained.js';
import { loadTrained } from '../src/train/trained.js';
import { cifarOrSkip } from './helpers.js';

for (const entry of PRETRAINED) {
  test(`${entry.name} reaches its documented test accuracy`, async (t) => {
    const data = cifarOrSkip(t);
    if (!data) return;
    assert.ok(pretrainedPath(entry.name), `${entry.file} is shipped`);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${entry.name}\``));
    assert.ok(row, `README has a row for ${entry.name}`);
    const documented = Number(/(\d+\.\d\d)%/.exec(row!)![1]);
    const trained = await loadTrained(entry.name);
    assert.equal(trained.model.spec.name, 'cmv3');
    const e = evaluateSet(trained.model, readCifar(data, 'test'), trained.normalization, trained.labels);
    assert.equal(e.images, 10_000);
    // Thread count and summation order can flip a near-tie: allow 2 of 10,000 images.
    assert.ok(Math.abs(100 * e.top1 - documented) <= 0.02, `measured ${(100 * e.top1).toFixed(2)}%, README says ${documented}%`);
  });
}
