// The in-suite fuzz run: a fixed seed and a small count, so it is repeatable and stays well under
// a minute. Every mutated .tflite, checkpoint, spec, image and study row must end in a clean
// one-line error or a correct run (test/fuzz.ts classifies). `npm run fuzz` is the longer run.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cifarOrSkip } from './helpers.js';
import { makeCases, makeFixtures, runCases, tally } from './fuzz.js';

test('82 fuzzed inputs end in a clean error or a correct run', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const fixtures = await makeFixtures(mkdtempSync(join(tmpdir(), 'cmv3-fuzz-')), data);
  const results = await runCases(makeCases(fixtures, Number(process.env.CMV3_FUZZ_COUNT ?? 48), 82), 2, 60_000);
  const { total } = tally(results);
  t.diagnostic(JSON.stringify(total));
  const failures = results.filter((r) => r.outcome === 'failure');
  assert.deepEqual(failures.map((f) => `${f.kind} / ${f.mutation}: ${f.why} (cmv3 ${f.command.join(' ')})`), []);
});
