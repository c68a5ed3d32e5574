// Time to accuracy: the first epoch whose test (or validation) accuracy reaches a level, and the
// wall time it took. Runs recorded since 2026-12-05 (metrics with evalSeconds) count the per-epoch
// test passes in wallSeconds; older runs counted training steps only.
import type { EpochMetrics } from './run.js';

/** The paper's CMV3 width 0.5 test accuracy (Table II), the level `cmv3 train` reports time to. */
export const PAPER_ACCURACY = 0.8913;
/** The levels run reports list. */
export const REPORT_LEVELS = [0.8, 0.85, 0.88, PAPER_ACCURACY];

export interface Reached { epoch: number; wallSeconds: number }

export function timeToAccuracy(metrics: readonly EpochMetrics[], level: number): Reached | null {
  const r = metrics.find((m) => m.testAcc >= level);
  return r ? { epoch: r.epoch, wallSeconds: r.wallSeconds } : null;
}

/** Whether the run's wall times include its test passes (recorded since evalSeconds exists). */
export function wallCountsEval(metrics: readonly EpochMetrics[]): boolean {
  return metrics.length > 0 && metrics.every((m) => m.evalSeconds !== undefined);
}

export function formatDuration(s: number): string {
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}
