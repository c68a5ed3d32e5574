// Results of a study: the Pareto front of one rung (validation accuracy against each cost the
// study traded it for) as a table, as JSON, and as an SVG scatter (accuracy against int8 flash and
// against estimated latency) with the front drawn.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { scatterChart, type ScatterPoint } from '../train/plot.js';
import { objectiveVector, type ExploreOptions } from './driver.js';
import { dominates } from './pareto.js';
import type { Space } from './space.js';
import { StudyError, type StudyMeta, type StudyStore, type Trial, type TrialStatus } from './store.js';
import { trialDir } from './trial.js';
import { safeUrl } from './pg/connect.js';
import { count } from '../plural.js';

/** A study's state and trials, and the Pareto front at one rung. */
export interface StudyResult {
  space: string;
  strategy: string;
  state: string;
  spentSeconds: number;
  counts: Record<TrialStatus, number>;
  rung: number;
  fidelity: { epochs: number; trainImages: number } | null;
  trials: Trial[];
  /** ids of the Pareto-optimal trials at `rung` */
  front: number[];
}

/** The result of a study from what it holds (read at once from a SQLite study by the dashboard). */
export function resultOf(meta: StudyMeta, trials: Trial[], counts: StudyResult['counts'], rung?: number): StudyResult {
  const o = meta.options as ExploreOptions, space = meta.space as Space;
  const done = trials.filter((t) => t.status === 'done');
  const r = rung ?? Math.max(0, ...done.map((t) => t.rung));
  if (rung !== undefined && rung >= o.rungs.length) {
    throw new StudyError(`the study has rungs 0 to ${o.rungs.length - 1} (${o.rungs.map((x) => `${x.epochs}x${x.trainImages}`).join(', ')}), no rung ${rung}; pick one of those`);
  }
  const atRung = done.filter((t) => t.rung === r);
  const vec = atRung.map((t) => objectiveVector(t, o));
  const front = atRung.filter((_, i) => !vec.some((v, j) => j !== i && dominates(v, vec[i]))).map((t) => t.id);
  return {
    space: space.name, strategy: o.strategy, state: meta.state, spentSeconds: meta.spentSeconds, counts, rung: r,
    fidelity: o.rungs[r] ?? null, trials, front,
  };
}

/** A study's trials and its Pareto front at `rung` (default: the highest rung with finished trials). */
export async function studyResult(study: StudyStore, rung?: number): Promise<StudyResult> {
  return resultOf(await study.meta(), await study.trials(), await study.counts(), rung);
}

const pct = (v: number | undefined) => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
const kb = (b: number) => (b / 1024).toFixed(1);

/**
 * `place` is the study folder (the last line names a trial folder to export) or, for a study on
 * PostgreSQL, its URL (shown without a password) and name (the line names the trial there).
 */
export function formatFront(res: StudyResult, all: boolean, place: string | { url: string; study: string }): string {
  const rows = res.trials.filter((t) => t.status === 'done' && t.rung === res.rung && (all || res.front.includes(t.id)))
    .sort((a, b) => a.cost!.int8Bytes - b.cost!.int8Bytes);
  const head = ['id', 'candidate', 'val', 'test', 'int8', 'params', 'int8 KB', 'arena KB', 'MMACs', 'est. ms'];
  const body = rows.map((t) => [
    `${res.front.includes(t.id) ? '*' : ' '}${t.id}`, t.label, pct(t.metrics!.valAcc), pct(t.metrics!.testAcc),
    t.metrics!.int8Acc === undefined ? '-' : `${pct(t.metrics!.int8Acc)} (${t.metrics!.int8Images})`,
    t.cost!.params.toLocaleString('en-US'), kb(t.cost!.int8Bytes), kb(t.cost!.arenaBytes), (t.cost!.macs / 1e6).toFixed(1), t.cost!.latencyMs.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const c = res.counts, f = res.fidelity;
  const lines = [
    `study ${res.space} (${res.strategy}), ${res.state}: ${c.done} trials done, ${c.running} running, ${c.pending} queued, ${c.rejected} rejected, ${c.failed} failed; ${(res.spentSeconds / 3600).toFixed(2)} h spent`,
    `rung ${res.rung}${f ? ` (${count(f.epochs, 'epoch')} on ${count(f.trainImages, 'training image')})` : ''}: ${all ? 'all trials' : 'Pareto front'} (* = on the front), val = held-out training images, test = CIFAR-10 test set (float32), int8 = int8 engine on the first N test images`,
    line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line),
    'est. ms is an estimate from the cost model of cmv3 report',
  ];
  // Trial folders are zero-padded (trials/0016 for #16): the line shows the path cmv3 export takes.
  const pick = rows.find((t) => res.front.includes(t.id));
  if (pick && typeof place !== 'string') {
    lines.push(`export the smallest on the front (#${pick.id}) with: cmv3 export --storage ${safeUrl(place.url)} --study ${place.study} --trial ${pick.id} --format tflite --int8 -o model.tflite`);
  } else if (pick) {
    const folder = trialDir(place as string, pick);
    // A shipped or copied study may hold only study.sqlite: then the hint says how to get the weights.
    lines.push(['best.ckpt', 'last.ckpt'].some((f) => existsSync(join(folder, f)))
      ? `export the smallest on the front (#${pick.id}) with: cmv3 export ${folder} --format tflite --int8 -o model.tflite`
      : `the smallest on the front is #${pick.id}; its trial folder ${folder} is not here (this copy of the study holds no trial checkpoints): ` +
        `train it with cmv3 explore candidate ${res.space} "${pick.label}" -o trial${pick.id}.json && cmv3 train --model trial${pick.id}.json --recipe fast -o runs/trial${pick.id}, then cmv3 export runs/trial${pick.id} --format tflite --int8 -o model.tflite`);
  }
  return lines.join('\n');
}

/** Two panels side by side: accuracy against int8 model size and against estimated latency. */
export function frontSvg(res: StudyResult): string {
  const done = res.trials.filter((t) => t.status === 'done' && t.rung === res.rung);
  const pts = (x: (t: Trial) => number): ScatterPoint[] => done.map((t) => ({
    x: x(t), y: 100 * t.metrics!.valAcc, id: String(t.id), front: res.front.includes(t.id),
    title: `#${t.id} ${t.label}: ${pct(t.metrics!.valAcc)} val, ${pct(t.metrics!.testAcc)} test, ${kb(t.cost!.int8Bytes)} KB int8, ${t.cost!.latencyMs.toFixed(1)} ms est.`,
  }));
  const a = scatterChart(`${res.space}: accuracy vs int8 model size`, 'int8 .tflite (KB)', 'validation top-1 (%)', pts((t) => t.cost!.int8Bytes / 1024));
  const b = scatterChart(`${res.space}: accuracy vs estimated latency`, `estimated latency on ${done[0]?.cost?.target ?? 'target'} (ms)`, 'validation top-1 (%)', pts((t) => t.cost!.latencyMs));
  const inner = (svg: string, dx: number) => `<g transform="translate(${dx} 0)">${svg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>$/, '')}</g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1120" height="340" font-family="sans-serif" font-size="11">\n${inner(a, 0)}\n${inner(b, 560)}\n</svg>\n`;
}
