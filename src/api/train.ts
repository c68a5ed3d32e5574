// Training as a library call: a new run folder (or an existing one, resumed), with progress
// callbacks, early stopping and an AbortSignal. `cmv3 train` is a thin layer over this.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PRECISIONS, type Activation, type Precision } from '../backend/types.js';
import { getBackend, type BackendName } from '../backend/select.js';
import { dataDir } from '../data/default-dir.js';
import { datasetLabels, isImageFolder } from '../data/folder.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { replaceActivation, resolveSpec } from '../models/registry.js';
import { validateSpec, type NetworkSpec } from '../models/spec.js';
import { RECIPES, scaledLr } from '../train/recipe.js';
import { createRun, readMetrics, readRunConfig, type EpochMetrics, type RunConfig } from '../train/run.js';
import { newRunConfig, precisionUnsupported, train as runTraining, type TrainHooks } from '../train/trainer.js';
import { resolveCheckpoint } from '../train/trained.js';
import { OptionError, positiveInteger, throwIfAborted, type AbortSignalLike } from './common.js';

/** Progress inside an epoch, after every training step. */
export interface StepProgress {
  /** 0-based epoch */
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  acc: number;
  imagesPerSec: number;
  etaSeconds: number;
}

/** What every training call takes besides the run's settings. */
export interface TrainCallOptions {
  /** OpenMP threads for the compute backend; default: all cores */
  threads?: number;
  /** 'auto' (default), 'onednn' or 'reference' */
  backend?: BackendName;
  /** called after every epoch with its metrics (test or validation accuracy, loss, images/s, times) */
  onEpoch?: (m: EpochMetrics) => void;
  /** called after every training step */
  onStep?: (p: StepProgress) => void;
  /** called during each epoch's test (or validation) pass, with the images done (0-based epoch) */
  onEvaluate?: (p: { epoch: number; done: number; total: number }) => void;
  /** called once the run folder holds its config, before the first step */
  onStart?: (dir: string, config: RunConfig) => void;
  /** notes the trainer would print (resuming, removed temp files) */
  onLog?: (line: string) => void;
  /** stop when the evaluated accuracy has not improved by `minDelta` (default 0) for `patience` epochs; last.ckpt is saved and the run can be resumed */
  earlyStopping?: { patience: number; minDelta?: number };
  /** stops after the current step; last.ckpt is saved and the call resolves with `finished: false` */
  signal?: AbortSignalLike;
}

export interface TrainOptions extends TrainCallOptions {
  /** the run folder to create (config.json, metrics.jsonl, best.ckpt, last.ckpt, plots); must not hold a run; default runs/NAME-wWIDTH-DATE */
  out?: string;
  /** a built-in network name ('cmv3', 'mobilenetv3-small'), a spec JSON path, or a spec; default 'cmv3' */
  model?: string | NetworkSpec;
  /** width multiplier for a built-in network */
  width?: number;
  /** fine-tune: start from these weights (a pretrained name, run folder or checkpoint); the network comes from it */
  init?: string;
  /** swap one activation for another everywhere (e.g. fine-tune Mish weights as ReLU6) */
  activation?: { from: Activation; to: Activation };
  /** CIFAR-10 binary or train/ and test/ image folders; default CMV3_DATA, else ./data/cifar-10-batches-bin */
  data?: string;
  /** 'paper' (the paper's settings, default) or 'fast' (25 epochs, the time-to-accuracy recipe) */
  recipe?: string;
  epochs?: number;
  batchSize?: number;
  /** default: the recipe's rate scaled to the batch size */
  lr?: number;
  /** cutout size in pixels (0 turns it off); default the recipe's */
  cutout?: number;
  seed?: number;
  limitTrain?: number;
  limitTest?: number;
  /** hold out the last N training images and evaluate (and pick best.ckpt) on them instead of the test set */
  validation?: number;
  /**
   * 'f32' (default) or 'bf16': mixed precision, the 1x1 convolutions over feature maps in bfloat16
   * (inputs rounded, float32 sums, float32 master weights); needs a CPU with AVX512_BF16 or AMX
   * on the native backend. The epochs' test passes run the same way; `cmv3 eval` runs float32.
   */
  precision?: Precision;
}

/** How a training call ended and what it measured. */
export interface TrainResult {
  dir: string;
  /** every epoch ran */
  finished: boolean;
  /** early stopping ended the run */
  stoppedEarly: boolean;
  /** epochs done */
  epochs: number;
  /** the best evaluated accuracy (best.ckpt holds those weights) */
  bestAccuracy: number;
  metrics: EpochMetrics[];
}

/** The network a new run trains: from `init`'s checkpoint, or the named/given spec. */
function specOf(o: TrainOptions, classes: number): NetworkSpec {
  if (o.init !== undefined) {
    if (o.model !== undefined || o.width !== undefined) throw new OptionError('init takes the network from the checkpoint; drop model and width');
    return validateSpec(loadCheckpoint(resolveCheckpoint(o.init).checkpoint).spec);
  }
  const model = o.model ?? 'cmv3';
  if (typeof model !== 'string') return validateSpec(structuredClone(model));
  return resolveSpec(model, { width: o.width, classes });
}

const optionalInt = (v: number | undefined, name: string) => (v === undefined ? null : positiveInteger(v, name));

/**
 * Trains a network into a new run folder. Returns when every epoch ran, early stopping ended it,
 * or `signal` stopped it (then `finished` is false and `resumeTraining(dir)` continues it exactly).
 * best.ckpt holds the weights of the best evaluated epoch (on the validation images with `validation`).
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  if (o?.out !== undefined && (typeof o.out !== 'string' || o.out === '')) throw new OptionError(`Expected a folder path for out but received ${JSON.stringify(o.out)}`);
  const recipeName = o.recipe ?? 'paper';
  if (!Object.hasOwn(RECIPES, recipeName)) throw new OptionError(`unknown recipe '${recipeName}'; use one of ${Object.keys(RECIPES).join(', ')}`);
  const base = RECIPES[recipeName];
  if (o.cutout !== undefined && !(Number.isInteger(o.cutout) && o.cutout >= 0)) throw new OptionError(`Expected a non-negative integer for cutout but received ${o.cutout}`);
  const recipe = { ...base, aug: { ...base.aug, cutout: o.cutout ?? base.aug.cutout } };
  const batchSize = optionalInt(o.batchSize, 'batchSize') ?? recipe.batchSize;
  const epochs = optionalInt(o.epochs, 'epochs') ?? recipe.epochs;
  if (o.seed !== undefined && !(Number.isInteger(o.seed) && o.seed >= 0)) throw new OptionError(`Expected a non-negative integer for seed but received ${o.seed}`);
  if (o.lr !== undefined && !(o.lr > 0 && Number.isFinite(o.lr))) throw new OptionError(`Expected a positive number for lr but received ${o.lr}`);
  const limitTrain = optionalInt(o.limitTrain, 'limitTrain'), limitTest = optionalInt(o.limitTest, 'limitTest');
  const validation = optionalInt(o.validation, 'validation');
  const precision = o.precision ?? 'f32';
  if (!PRECISIONS.includes(precision)) throw new OptionError(`Expected one of ${PRECISIONS.join(', ')} for precision but received ${JSON.stringify(o.precision)}`);
  const unsupported = precisionUnsupported(await getBackend(o.backend ?? 'auto'), precision);
  if (unsupported) throw new OptionError(`${unsupported}; use precision f32`);
  if (validation !== null && limitTest !== null) throw new OptionError('limitTest has no effect with validation (the held-out images replace the test set); drop one');
  if (o.init === undefined && typeof o.model !== 'object') resolveSpec(o.model ?? 'cmv3', { width: o.width }); // an unknown model before a missing dataset
  const data = dataDir(o.data);
  if (!existsSync(`${data}/data_batch_1.bin`) && !isImageFolder(data)) {
    throw new OptionError(`no training data in ${data}: expected CIFAR-10 binary files or train/<class>/ image folders; pass the data folder (or set CMV3_DATA), or run: cmv3 data fetch cifar10`);
  }
  const classes = datasetLabels(data).length;
  let spec = specOf(o, classes);
  if (spec.classes !== classes) throw new OptionError(`the network has ${spec.classes} classes but ${data} has ${classes}`);
  if (o.activation) spec = replaceActivation(spec, o.activation.from, o.activation.to);
  spec.dropout = recipe.dropout;
  throwIfAborted(o.signal);
  const out = o.out ?? `runs/${spec.name}-w${spec.width}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
  createRun(out, newRunConfig({
    spec, recipe, seed: o.seed ?? 1, epochs, batchSize, lr: o.lr ?? scaledLr(recipe, batchSize), limitTrain, limitTest, validation,
    init: o.init === undefined ? null : resolveCheckpoint(o.init).checkpoint,
    data: resolve(data), // absolute, so resume, export and serve find it from any folder
    ...(precision === 'f32' ? {} : { precision }), // absent means f32, as in runs made before bf16
  }));
  return resumeTraining(out, o);
}

/** Continues (or starts) the run in `dir` with its own settings, from its last saved step. */
export async function resumeTraining(dir: string, o: TrainCallOptions = {}): Promise<TrainResult> {
  const config = readRunConfig(dir); // a clear error for a folder that holds no run
  const threads = o.threads === undefined ? undefined : positiveInteger(o.threads, 'threads');
  const patience = o.earlyStopping ? positiveInteger(o.earlyStopping.patience, 'earlyStopping.patience') : 0;
  const minDelta = o.earlyStopping?.minDelta ?? 0;
  let best = -Infinity, sinceBest = 0, stoppedEarly = false;
  for (const m of readMetrics(dir)) ({ best, sinceBest } = m.testAcc > best + minDelta ? { best: m.testAcc, sinceBest: 0 } : { best, sinceBest: sinceBest + 1 });
  // The trainer polls `stop` after every step and saves last.ckpt before it returns.
  const stop = { get stop() { return stoppedEarly || o.signal?.aborted === true; } };
  const hooks: TrainHooks = {
    onLog: o.onLog, onStep: o.onStep, onEvaluate: o.onEvaluate,
    onEpoch: (m) => {
      if (m.testAcc > best + minDelta) { best = m.testAcc; sinceBest = 0; } else sinceBest++;
      if (patience && sinceBest >= patience) stoppedEarly = true;
      o.onEpoch?.(m);
    },
  };
  o.onStart?.(dir, config);
  const r = await runTraining({ dir, backend: o.backend ?? 'auto', threads, signal: stop }, hooks);
  return { dir, finished: r.finished, stoppedEarly: stoppedEarly && !r.finished, epochs: readMetrics(dir).length, bestAccuracy: r.bestAcc, metrics: readMetrics(dir) };
}
