// A candidate retrained at full fidelity, read back for bench:fidelity: a finished run folder
// (config.json + metrics.jsonl), or a checkpoint whose meta.source records the training that made
// it (packaged pretrained weights carry it, see scripts/package-pretrained.mjs), so a run folder
// that was packaged and then deleted still counts.
import { existsSync } from 'node:fs';
import { loadCheckpoint } from '../io/checkpoint.js';
import type { NetworkSpec } from '../models/spec.js';
import { resolveCheckpoint } from '../train/trained.js';
import { readMetrics, readRunConfig, RunError, runPaths } from '../train/run.js';
import { count } from '../plural.js';

export interface Retrained {
  /** what was given: a run folder, a .ckpt file or a pretrained name */
  source: string;
  spec: NetworkSpec;
  epochs: number;
  /** test accuracy after the last epoch (not the best epoch: choosing it would peek at the test set) */
  testAcc: number;
}

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isFraction = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;

export function readRetrained(arg: string): Retrained {
  if (existsSync(runPaths(arg).config)) {
    const c = readRunConfig(arg), m = readMetrics(arg), last = m[m.length - 1];
    if (!last || last.epoch !== c.epochs) throw new RunError(`${arg} has not finished (${last?.epoch ?? 0} of ${count(c.epochs, 'epoch')}); finish it with cmv3 train --resume ${arg}`);
    return { source: arg, spec: c.spec, epochs: c.epochs, testAcc: last.testAcc };
  }
  const c = loadCheckpoint(resolveCheckpoint(arg).checkpoint);
  const s = c.meta.source as { epochs?: unknown; testAcc?: unknown } | undefined;
  if (!s || !isCount(s.epochs) || !isFraction(s.testAcc)) {
    throw new RunError(`${arg} records no finished training (meta.source.epochs and testAcc); pass the run folder it was trained in`);
  }
  return { source: arg, spec: c.spec as NetworkSpec, epochs: s.epochs, testAcc: s.testAcc };
}
