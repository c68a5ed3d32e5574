// One trial: train a candidate at its fidelity in its own run folder (exact resume if the folder
// already has progress), then measure it: validation accuracy (what the search ranks by), float
// test accuracy, and, when asked, the int8 model's test accuracy.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset, subset } from '../data/folder.js';
import { GraphModel } from '../deploy/graph-model.js';
import { int8Graph } from '../deploy/pipeline.js';
import type { Observer } from '../deploy/calibrate.js';
import { evaluateSet } from '../train/evaluate.js';
import { PAPER_RECIPE, scaledLr } from '../train/recipe.js';
import { createRun, readMetrics, runPaths } from '../train/run.js';
import { writeAtomic } from '../io/write-file.js';
import { loadTrained } from '../train/trained.js';
import { newRunConfig, train } from '../train/trainer.js';
import type { Trial, TrialMetrics } from './store.js';

/** How every trial of a study is trained and measured (stored with the study). */
export interface TrialSettings {
  data: string;
  batchSize: number;
  /** training images held out for validation */
  validation: number;
  /** test images for the float accuracy (all when null) */
  testImages: number | null;
  /** int8 accuracy: on this many test images (0 = not measured), calibrated on `calibration` training images */
  int8Images: number;
  calibration: number;
  observer: Observer;
}

export const trialDir = (studyDir: string, t: Pick<Trial, 'id'>) => join(studyDir, 'trials', String(t.id).padStart(4, '0'));

/** Where a running trial is: epoch (0-based) and step, with the trial's estimated time left. */
export interface TrialProgress { trial: number; epoch: number; epochs: number; batch: number; batches: number; etaSeconds: number }

export async function runTrial(t: Trial, dir: string, s: TrialSettings, o: { threads?: number; signal: { stop: boolean }; int8: boolean; log?: (l: string) => void; progress?: (p: TrialProgress) => void; onEpoch?: () => void }): Promise<TrialMetrics | null> {
  if (!existsSync(runPaths(dir).config)) {
    const spec = { ...t.spec, dropout: PAPER_RECIPE.dropout };
    createRun(dir, newRunConfig({
      spec, recipe: PAPER_RECIPE, seed: t.seed, epochs: t.epochs, batchSize: s.batchSize, lr: scaledLr(PAPER_RECIPE, s.batchSize),
      data: s.data, limitTrain: t.trainImages, limitTest: null, validation: s.validation, init: null,
    }));
    // The network alone, for retraining at full fidelity: cmv3 train --model <trial>/spec.json
    writeAtomic(join(dir, 'spec.json'), JSON.stringify(t.spec, null, 2));
  }
  const r = await train({ dir, backend: 'auto', threads: o.threads, signal: o.signal }, {
    onEpoch: (m) => { o.log?.(`trial ${t.id} epoch ${m.epoch}/${t.epochs}: validation ${(100 * m.testAcc).toFixed(2)}%`); o.onEpoch?.(); },
    // The trial's time left: this epoch's rest plus whole epochs at this epoch's pace.
    onStep: o.progress && ((p) => o.progress!({ trial: t.id, epoch: p.epoch, epochs: t.epochs, batch: p.batch, batches: p.batches,
      etaSeconds: p.etaSeconds + (t.epochs - p.epoch - 1) * (p.etaSeconds / Math.max(1, p.batches - p.batch - 1)) * p.batches })),
  });
  if (!r.finished) return null;
  const metrics = readMetrics(dir), last = metrics[metrics.length - 1];
  // The final epoch's weights: what this fidelity gives, not the best epoch chosen afterwards.
  const trained = await loadTrained(runPaths(dir).last);
  if (o.threads) trained.model.backend.setThreads(o.threads);
  const test = readDataset(s.data, 'test', t.spec.inputSize, s.testImages ?? Infinity);
  const testAcc = evaluateSet(trained.model, test, trained.normalization, trained.labels).top1;
  const out: TrialMetrics = {
    valAcc: last.testAcc, testAcc,
    trainSeconds: metrics.reduce((a, m) => a + m.epochSeconds, 0),
    imagesPerSec: metrics.reduce((a, m) => a + m.imagesPerSec, 0) / metrics.length,
  };
  if (o.int8 && s.int8Images > 0) {
    const g = int8Graph(trained, { data: s.data, calibration: s.calibration, observer: s.observer });
    const n = Math.min(s.int8Images, test.count);
    out.int8Acc = evaluateSet(new GraphModel(g, 'reference'), subset(test, 0, n), trained.normalization, trained.labels).top1;
    out.int8Images = n;
  }
  return out;
}
