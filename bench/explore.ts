// npm run bench:explore -- studies/NAME [--no-write]
// A study's trials side by side with the paper's published figures (the space's `reference`):
// parameters, float32 and int8 .tflite sizes, planned arena, estimated latency, and accuracy at the
// study's fidelity (validation, float test, int8 test). Writes the BENCHMARKS.md section
// explore:<space>, stating the fidelity, the date, the machine and the command.
import { cpus } from 'node:os';
import { studyFile } from '../src/api/explore.js';
import type { ExploreOptions } from '../src/explore/driver.js';
import { studyResult } from '../src/explore/show.js';
import type { Space } from '../src/explore/space.js';
import { baseGenes } from '../src/explore/strategy.js';
import { Study } from '../src/explore/store.js';
import { exploreArgs } from './explore-args.js';
import { writeSection } from './section.js';
import { failer, parseOptions, type Fail } from './cli.js';

const { values, positionals } = parseOptions('bench:explore', { options: { 'no-write': { type: 'boolean' } }, allowPositionals: true });
const usage: Fail = failer('bench:explore'), fail: Fail = failer('bench:explore', 1);
if (positionals.length !== 1) usage('usage: npm run bench:explore -- studies/NAME [--no-write]');
let study: Study;
try {
  study = Study.open(studyFile(positionals[0]));
} catch (err) {
  fail((err as Error).message);
}
const meta = study.meta(), space = meta.space as Space, o = meta.options as ExploreOptions;
const res = await studyResult(study);
study.close();

const pct = (v: number | undefined) => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
const top = o.rungs.length - 1;
const byGenes = (a: { genes: number[] }, b: { genes: number[] }) => a.genes.reduce((d, g, i) => d || g - b.genes[i], 0);
const rows = res.trials.filter((t) => t.rung === top || t.status === 'rejected').sort(byGenes).map((t) => {
  const ref = space.reference?.[t.label];
  const c = t.cost, m = t.metrics;
  const status = t.status === 'done' ? '' : ` (${t.status}${t.error ? `: ${t.error}` : ''})`;
  const n = (f: (x: NonNullable<typeof c>) => string) => (c ? f(c) : '-');
  return `| ${t.label}${status} | ${n((x) => x.params.toLocaleString('en-US'))} | ${ref?.params?.toLocaleString('en-US') ?? '-'} | ${n((x) => kb(x.float32Bytes))} | ${n((x) => kb(x.int8Bytes))} | ${ref?.sizeMB ? `${ref.sizeMB} MB` : '-'} | ${n((x) => kb(x.arenaBytes))} | ${n((x) => x.latencyMs.toFixed(1))} | ${pct(m?.valAcc)} | ${pct(m?.testAcc)} | ${m?.int8Acc === undefined ? '-' : `${pct(m.int8Acc)} (${m.int8Images})`} | ${ref?.accuracy ? `${ref.accuracy.toFixed(2)}%` : '-'} |`;
});
// A space of one ordered dimension (the ablation) is a path: each row's change against the row
// before it, ours at this budget beside the paper's between its published rows.
const done = res.trials.filter((t) => t.rung === top && t.status === 'done').sort(byGenes);
const pts = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '-' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(2)}`);
const steps = space.dims.length !== 1 ? [] : done.map((t, i) => {
  const prev = done[i - 1], ref = space.reference?.[t.label]?.accuracy;
  const prevRef = done.slice(0, i).map((p) => space.reference?.[p.label]?.accuracy).filter((a) => a !== undefined).at(-1);
  return `| ${t.label} | ${prev ? prev.label : '-'} | ${pct(t.metrics!.testAcc)} | ${prev ? pts(100 * t.metrics!.testAcc, 100 * prev.metrics!.testAcc) : '-'} | ${ref === undefined ? '-' : `${ref.toFixed(2)}%`} | ${pts(ref, prevRef)} |`;
});
// Lower rungs, best validation first: where the base network ranked against its mutants, and which
// of them the search promoted (a promoted trial reappears at the next rung with the same genes).
const same = (a: { genes: number[] }, b: { genes: number[] }) => byGenes(a, b) === 0;
// Random and NSGA-II carry the base to every rung as the reference (driver.ts), ranked or not.
const carriesBase = o.strategy !== 'grid', zero = baseGenes(space);
const promoted = (t: { genes: number[] }, rung: number) => !res.trials.some((u) => u.rung === rung + 1 && same(u, t)) ? ''
  : carriesBase && same(t, { genes: zero }) ? 'carried (reference)' : 'yes';
const lower = o.rungs.slice(0, top).flatMap((r, i) => ['', `Rung ${i} (${r.epochs} epochs on ${r.trainImages.toLocaleString('en-US')} training images), every trained candidate, best validation first:`, '',
  '| candidate | val | test | int8 .tflite | int8 arena | est. ms | promoted |', '|---|---:|---:|---:|---:|---:|---|',
  ...res.trials.filter((t) => t.rung === i && t.status === 'done').sort((a, b) => b.metrics!.valAcc - a.metrics!.valAcc).map((t) =>
    `| ${t.label} | ${pct(t.metrics!.valAcc)} | ${pct(t.metrics!.testAcc)} | ${kb(t.cost!.int8Bytes)} | ${kb(t.cost!.arenaBytes)} | ${t.cost!.latencyMs.toFixed(1)} | ${promoted(t, i)} |`)]);
const f = o.rungs[top];
const body = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}; study ${positionals[0]}, state ${res.state}, ${(res.spentSeconds / 3600).toFixed(2)} h.`,
  `Command: \`cmv3 explore ${exploreArgs(space, o)} --out ${positionals[0]}\`, then \`npm run bench:explore -- ${positionals[0]}\`.`,
  `Fidelity (the stated budget): ${f.epochs} epochs on ${f.trainImages.toLocaleString('en-US')} training images, paper recipe, batch ${o.settings.batchSize}; validation on the last ${o.settings.validation.toLocaleString('en-US')} training images; test = the 10,000 CIFAR-10 test images (float32, final epoch); int8 = the int8 engine (TFLite Micro arithmetic) on the first N test images after ${o.settings.calibration}-image ${o.settings.observer} calibration. The paper's accuracies are after its full training, so they are not the same budget. Sizes are our .tflite files; the paper's "model size" is its own file format (likely Keras), so only the trend compares.`,
  '',
  `| candidate | params | paper params | float32 .tflite | int8 .tflite | paper size | int8 arena | est. ms (${o.target}) | val | test | int8 test | paper accuracy |`,
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows,
  ...(steps.length ? ['', `Each row against the row before it (float test accuracy at this budget; the paper's change is between its published rows, after its full training):`, '',
    '| candidate | against | test | change (points) | paper accuracy | paper change |', '|---|---|---:|---:|---:|---:|', ...steps] : []),
  ...lower,
].join('\n');
if (values['no-write']) console.log(body);
else { writeSection(`explore:${space.name}`, `Design space exploration: ${space.name}`, body); console.log(body); console.log('wrote BENCHMARKS.md'); }
