// npm run fuzz -- [--count 2000] [--seed 1] [--parallel 2] [--no-write]: the longer fuzz run for
// before a release (test 82 is the short one in the suite). Prints every failure and writes the
// counts per kind of input to BENCHMARKS.md; exits 1 if anything ended in neither a clean error
// nor a correct run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDir } from '../src/cli/common.js';
import { makeCases, makeFixtures, runCases, tally } from '../test/fuzz.js';
import { writeSection } from './section.js';
import { parseOptions } from './cli.js';

const { values } = parseOptions('fuzz', { options: { count: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' }, parallel: { type: 'string', default: '2' }, 'no-write': { type: 'boolean' } } });
const count = Number(values.count), seed = Number(values.seed);
const t0 = performance.now();
const fixtures = await makeFixtures(mkdtempSync(join(tmpdir(), 'cmv3-fuzz-')), dataDir(undefined));
const results = await runCases(makeCases(fixtures, count, seed), Number(values.parallel), 120_000);
const seconds = (performance.now() - t0) / 1000;
const { total, byKind } = tally(results);
for (const r of results.filter((x) => x.outcome === 'failure')) console.log(`FAILURE ${r.kind} / ${r.mutation}: ${r.why}\n  cmv3 ${r.command.join(' ')}`);
const row = (k: string, c: Record<string, number>) => `| ${k} | ${c['clean error'] + c['correct run'] + c.failure} | ${c['clean error']} | ${c['correct run']} | ${c.failure} |`;
const body = [
  `Measured ${new Date().toISOString().slice(0, 10)} on this 2-core machine. Command: \`npm run fuzz -- --count ${count} --seed ${seed}\` (${(seconds / 60).toFixed(1)} min).`,
  'Each case mutates one good input (bytes of a float32 .tflite, of the shipped ReLU6 checkpoint, of a PNG or a JPEG; the JSON header of that checkpoint with its checksum recomputed; a network spec; one row of a study) and runs the command a user would (`report`, `predict`, `eval`, `summary`, `explore show`). "Anything else" is a stack trace, a JavaScript-internal message, a crash, a hang, or exit 0 on input that must be refused.',
  '',
  '| input | tried | clean error | correct run | anything else |',
  '|---|---:|---:|---:|---:|',
  ...Object.entries(byKind).map(([k, c]) => row(k, c)),
  row('**all**', total),
].join('\n');
console.log(body);
if (!values['no-write']) writeSection('fuzz', 'Fuzzing', body);
process.exitCode = total.failure ? 1 : 0;
