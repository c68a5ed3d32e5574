// The paper's networks as data: parameter counts and MACs match the paper to the unit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceBackend } from '../src/backend/reference.js';
import { buildNetwork } from '../src/models/build.js';
import { BUILTIN_SPECS, CMV3 } from '../src/models/builtin.js';
import { resolveSpec } from '../src/models/registry.js';
import { SpecError, validateSpec } from '../src/models/spec.js';
import { summarize } from '../src/summary.js';

const ctx = { backend: referenceBackend };
const count = (name: string, width: number) => summarize(buildNetwork({ ...BUILTIN_SPECS[name], width }, ctx));

test('mobilenetv3-small has the paper\'s 1,846,930 parameters with 10 classes', () => {
  assert.equal(count('mobilenetv3-small', 1).params.total, 1_846_930);
});

test('cmv3 totals at widths 0.35 / 0.5 / 0.75 / 1.0 / 1.5', () => {
  const expected: Record<number, number> = { 0.35: 123_634, 0.5: 171_946, 0.75: 296_178, 1: 440_506, 1.5: 958_106 };
  for (const [w, total] of Object.entries(expected)) assert.equal(count('cmv3', Number(w)).params.total, total, `width ${w}`);
});

test('cmv3 width 0.5 splits into 168,794 trainable + 3,152 BN statistics and 27,930,240 MACs', () => {
  const s = count('cmv3', 0.5);
  assert.equal(s.params.trainable, 168_794);
  assert.equal(s.params.nonTrainable, 3_152);
  assert.equal(s.macs, 27_930_240);
});

test('the spec round-trips through JSON and a user can vary it as data', () => {
  const spec = validateSpec(JSON.parse(JSON.stringify(CMV3)));
  assert.equal(summarize(buildNetwork(spec, ctx)).params.total, 171_946);
  const noSe = { ...spec, blocks: spec.blocks.map((b) => ({ ...b, se: false })) };
  assert.ok(summarize(buildNetwork(noSe, ctx)).params.total < 171_946);
  const dpdBias = { ...spec, blockTypes: { ...spec.blockTypes, dpd: spec.blockTypes.dpd.map((op) => ({ ...op, bias: false })) } };
  assert.ok(summarize(buildNetwork(dpdBias, ctx)).params.total < 171_946);
});

test('classes and input size are parameters', () => {
  const s = summarize(buildNetwork(resolveSpec('cmv3', { classes: 100, inputSize: 64 }), ctx));
  assert.deepEqual(s.layers.at(-1)!.outShape, [1, 1, 1, 100]);
  assert.equal(s.input[1], 64);
});

test('bad specs are refused with the field named', () => {
  assert.throws(() => validateSpec({ ...CMV3, width: -1 }), (e: Error) => e instanceof SpecError && /spec\.width/.test(e.message));
  assert.throws(() => validateSpec({ ...CMV3, blocks: [{ ...CMV3.blocks[0], type: 'nope' }] }), /spec\.blocks\[0\]\.type/);
  assert.throws(() => validateSpec({ ...CMV3, blocks: [{ ...CMV3.blocks[0], act: 'gelu' }] }), /spec\.blocks\[0\]\.act/);
  assert.throws(() => validateSpec({ ...CMV3, stem: { ...CMV3.stem, kernel: 2 } }), /spec\.stem\.kernel/);
  assert.throws(() => resolveSpec('resnet50'), /unknown model 'resnet50'/);
});
