// A run folder: config.json, metrics.jsonl, last.ckpt, best.ckpt, loss.svg, accuracy.svg.
import { existsSync, readFileSync, appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PRECISIONS, type Precision } from '../backend/types.js';
import type { Normalization } from '../data/augment.js';
import type { NetworkSpec } from '../models/spec.js';
import { lineChart } from './plot.js';
import type { Recipe } from './recipe.js';
import { makeDir } from '../io/make-dir.js';
import { writeAtomic } from '../io/write-file.js';
import { parseJson } from '../json.js';

/** A run's settings, as config.json records them. */
export interface RunConfig {
  version: 1;
  spec: NetworkSpec;
  recipe: Recipe;
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  data: string;
  limitTrain: number | null;
  limitTest: number | null;
  /** hold out the last N training images and evaluate on them instead of the test set (model search) */
  validation?: number | null;
  /** checkpoint whose weights start the run (fine-tuning), or null for a fresh initialisation */
  init?: string | null;
  /** 'bf16': mixed precision (the 1x1 convolutions in bfloat16, see src/backend/bf16.ts); absent: 'f32' */
  precision?: Precision;
  normalization: Normalization;
  labels: string[];
  createdAt: string;
}

/** One epoch of a run, as metrics.jsonl records it. */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  lr: number;
  imagesPerSec: number;
  epochSeconds: number;
  /** seconds of this epoch's test (or validation) pass; absent in runs recorded before 2026-12-05 */
  evalSeconds?: number;
  /** training time so far; since 2026-12-05 (when evalSeconds appeared) it includes the test passes */
  wallSeconds: number;
  dataWaitMs: number;
  /** the activations' layout in this epoch (trainingBlock): channels per block, 0 = NHWC; absent before 2026-12-07 (NHWC) */
  activationBlock?: number;
}

export class RunError extends Error {
  readonly code = 'ERR_RUN';
}

export const runPaths = (dir: string) => ({
  config: join(dir, 'config.json'), metrics: join(dir, 'metrics.jsonl'),
  last: join(dir, 'last.ckpt'), best: join(dir, 'best.ckpt'),
  lossSvg: join(dir, 'loss.svg'), accSvg: join(dir, 'accuracy.svg'),
});

export function createRun(dir: string, config: RunConfig): void {
  if (existsSync(runPaths(dir).config)) {
    throw new RunError(`run folder ${dir} already holds a run; continue it with --resume ${dir} or choose another --out`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new RunError(`--out ${dir} exists and is not empty; choose another --out`);
  makeDir(dir);
  writeAtomic(runPaths(dir).config, JSON.stringify(config, null, 2));
}

export function readRunConfig(dir: string): RunConfig {
  const p = runPaths(dir).config;
  if (!existsSync(p)) throw new RunError(`${dir} is not a run folder (no config.json); pass a folder made by cmv3 train`);
  let c: RunConfig;
  try {
    c = parseJson(readFileSync(p, 'utf8'), p) as RunConfig;
  } catch (err) {
    throw new RunError(`${(err as Error).message}; the run folder is damaged`);
  }
  if (typeof c !== 'object' || c === null || c.version !== 1 || typeof c.spec !== 'object' || typeof c.recipe !== 'object') {
    throw new RunError(`${p} is not a cmv3 run config (expected version 1 with a spec and a recipe); the run folder is damaged`);
  }
  if (c.precision !== undefined && !PRECISIONS.includes(c.precision)) {
    throw new RunError(`${p} has precision ${JSON.stringify(c.precision)}, expected one of ${PRECISIONS.join(', ')}; the run folder is damaged`);
  }
  return c;
}

export function readMetrics(dir: string): EpochMetrics[] {
  const p = runPaths(dir).metrics;
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).flatMap((l) => {
    let m: unknown;
    try { m = JSON.parse(l); } catch { return []; } // a torn last line after a crash
    return typeof m === 'object' && m !== null && typeof (m as EpochMetrics).epoch === 'number' ? [m as EpochMetrics] : [];
  });
}

/** Appends one epoch and redraws the curves; on resume, lines past `epoch` are dropped first. */
export function recordEpoch(dir: string, m: EpochMetrics): void {
  const paths = runPaths(dir);
  const kept = readMetrics(dir).filter((r) => r.epoch < m.epoch);
  const keptText = kept.map((r) => JSON.stringify(r) + '\n').join('');
  // Rewritten whole unless it already is exactly the kept lines: a line torn by a kill would
  // otherwise swallow the next epoch's line appended to it.
  const text = existsSync(paths.metrics) ? readFileSync(paths.metrics, 'utf8') : '';
  if (text !== keptText) writeAtomic(paths.metrics, keptText);
  appendFileSync(paths.metrics, JSON.stringify(m) + '\n');
  writePlots(dir, [...kept, m]);
}

/** loss.svg and accuracy.svg of a run from its metrics (also for runs recorded before a plot change). */
export function writePlots(dir: string, all: EpochMetrics[]): void {
  const paths = runPaths(dir);
  const pts = (f: (r: EpochMetrics) => number) => all.map((r) => [r.epoch, f(r)] as [number, number]);
  writeAtomic(paths.lossSvg, lineChart('Loss', 'epoch', 'cross-entropy', [
    { name: 'train', color: '#1f77b4', points: pts((r) => r.trainLoss) }, { name: 'test', color: '#d62728', points: pts((r) => r.testLoss) }]));
  writeAtomic(paths.accSvg, lineChart('Accuracy', 'epoch', 'top-1 accuracy', [
    { name: 'train', color: '#1f77b4', points: pts((r) => r.trainAcc) }, { name: 'test', color: '#d62728', points: pts((r) => r.testAcc) }]));
}
