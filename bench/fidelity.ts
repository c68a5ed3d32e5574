// npm run bench:fidelity -- studies/NAME runs/A runs/B ... [--no-write]
// How well a study's cheap fidelities predict full training: each argument is a candidate of the
// study retrained at full fidelity (cmv3 train --model studies/NAME/trials/ID/spec.json ...), given
// as its run folder or as a checkpoint (or pretrained name) whose metadata records that training;
// it is matched to the study's trials by its network, and Spearman's rho is taken between each
// rung's validation accuracy and the final test accuracy. Writes BENCHMARKS.md explore-fidelity:<space>.
import { cpus } from 'node:os';
import { studyFile } from '../src/api/explore.js';
import type { ExploreOptions } from '../src/explore/driver.js';
import { specKey, type Space } from '../src/explore/space.js';
import { spearman } from '../src/explore/stats.js';
import { Study } from '../src/explore/store.js';
import { readRetrained } from '../src/explore/retrained.js';
import { failer, parseOptions, type Fail } from './cli.js';
import { writeSection } from './section.js';

const { values, positionals } = parseOptions('bench:fidelity', { options: { 'no-write': { type: 'boolean' } }, allowPositionals: true });
const usage: Fail = failer('bench:fidelity');
if (positionals.length < 3) usage('usage: npm run bench:fidelity -- studies/NAME runs/A runs/B [...] (at least two retrained candidates: run folders, .ckpt files or pretrained names)');
const [studyArg, ...runs] = positionals;
const fail: Fail = failer('bench:fidelity', 1);
let study: Study;
try {
  study = Study.open(studyFile(studyArg));
} catch (err) {
  fail((err as Error).message);
}
const meta = study!.meta(), space = meta.space as Space, o = meta.options as ExploreOptions;
// Keyed by the trials' specs, not their stored keys: studies made before keys followed the built
// network kept spec-text keys. Each key builds a network, so once per trial, not per run.
const trials = study!.trials().filter((t) => t.status === 'done').map((t) => ({ ...t, key: specKey(t.spec) }));
study!.close();

const full = runs.map((arg) => {
  let r: ReturnType<typeof readRetrained>;
  try { r = readRetrained(arg); } catch (err) { return fail((err as Error).message); }
  const key = specKey(r.spec);
  const mine = trials.filter((t) => t.key === key);
  if (!mine.length) fail(`${arg}'s network is not among ${studyArg}'s finished trials`);
  return { dir: arg, key, label: mine[0].label, epochs: r.epochs, testAcc: r.testAcc, byRung: new Map(mine.map((t) => [t.rung, t.metrics!.valAcc])) };
});
// One network retrained twice (two seeds, or a run and its packaged checkpoint) would count twice.
full.forEach((f, i) => { const j = full.findIndex((g) => g.key === f.key); if (j < i) fail(`${f.dir} and ${full[j].dir} are the same candidate (${f.label}); pass each candidate once`); });
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
const rhos = o.rungs.map((r, i) => {
  const pairs = full.filter((f) => f.byRung.has(i));
  return `| rung ${i} (${r.epochs} x ${r.trainImages.toLocaleString('en-US')}) | ${pairs.length} | ${pairs.length >= 2 ? spearman(pairs.map((p) => p.byRung.get(i)!), pairs.map((p) => p.testAcc)).toFixed(3) : '-'} |`;
});
const body = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores. Command: \`npm run bench:fidelity -- ${positionals.join(' ')}\`.`,
  `Study ${studyArg} (space ${space.name}); each candidate below retrained at full fidelity (its run folder, or the checkpoint that records that training); full test top-1 is after the last epoch; rho = Spearman's rank correlation between the rung's validation accuracy and the retrained test accuracy.`,
  '',
  '| candidate | run or checkpoint | epochs | full test top-1 | ' + o.rungs.map((_, i) => `rung ${i} val`).join(' | ') + ' |',
  '|---|---|---:|---:|' + o.rungs.map(() => '---:').join('|') + '|',
  ...full.map((f) => `| ${f.label} | ${f.dir} | ${f.epochs} | ${pct(f.testAcc)} | ${o.rungs.map((_, i) => pct(f.byRung.get(i))).join(' | ')} |`),
  '',
  '| fidelity | candidates | Spearman rho |',
  '|---|---:|---:|',
  ...rhos,
].join('\n');
if (values['no-write']) console.log(body);
else { writeSection(`explore-fidelity:${space.name}`, `Low fidelity against full training: ${space.name}`, body); console.log(body); console.log('wrote BENCHMARKS.md'); }
