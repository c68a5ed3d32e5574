// The training loop behind `cmv3 train`: epochs of worker-prepared batches, a cosine schedule by
// step, evaluation and checkpoints each epoch, exact resume (weights, optimizer, dropout stream,
// position inside the epoch), and a clean stop on Ctrl-C.
import { getBackend, type BackendName } from '../backend/select.js';
import type { Backend, Precision } from '../backend/types.js';
import { NO_AUGMENT, assembleBatch } from '../data/augment.js';
import type { ImageSet } from '../data/cifar.js';
import { datasetLabels, datasetNormalization, readDataset, subset } from '../data/folder.js';
import { BatchLoader } from '../data/loader.js';
import { captureCheckpoint, loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { removeStaleTempFiles } from '../io/pid-alive.js';
import { Model } from '../model.js';
import { buildNetwork } from '../models/build.js';
import { Optimizer } from '../optim/optimizer.js';
import { learningRate, type Schedule } from '../optim/schedule.js';
import { readRunConfig, recordEpoch, RunError, runPaths, type EpochMetrics, type RunConfig } from './run.js';

export interface TrainHooks {
  /** called after every step with progress inside the epoch */
  onStep?(p: { epoch: number; batch: number; batches: number; loss: number; acc: number; imagesPerSec: number; etaSeconds: number }): void;
  onEpoch?(m: EpochMetrics): void;
  /** called during each epoch's test (or validation) pass with the images done */
  onEvaluate?(p: { epoch: number; done: number; total: number }): void;
  onLog?(line: string): void;
}

export interface TrainSession {
  /** a run folder made by createRun */
  dir: string;
  backend: BackendName;
  threads?: number;
  /** stop (as on Ctrl-C: save last, return) after this many steps in this session; for tests */
  maxSteps?: number;
  signal?: { stop: boolean };
}

interface Position {
  epoch: number; batch: number; lossSum: number; correct: number; seen: number; bestAcc: number; wallSeconds: number;
}

/** Test images normalised once, without augmentation. */
function testTensor(set: ImageSet, config: RunConfig): { x: Float32Array; labels: Int32Array } {
  const x = new Float32Array(set.count * set.size * set.size * set.channels), labels = new Int32Array(set.count);
  assembleBatch(set.pixels, set.labels, Uint32Array.from({ length: set.count }, (_, i) => i), set.size, set.channels,
    NO_AUGMENT, config.normalization, 0, x, labels);
  return { x, labels };
}

/** Training and evaluation images: the test set, or (config.validation) the end of the training set held out. */
function readSplits(config: RunConfig): { trainSet: ImageSet; testSet: ImageSet } {
  const size = config.spec.inputSize;
  if (!config.validation) {
    return { trainSet: readDataset(config.data, 'train', size, config.limitTrain ?? Infinity), testSet: readDataset(config.data, 'test', size, config.limitTest ?? Infinity) };
  }
  const all = readDataset(config.data, 'train', size);
  if (config.validation >= all.count) throw new RunError(`validation holds out ${config.validation} images but ${config.data} has only ${all.count} training images; hold out fewer`);
  const n = Math.min(config.limitTrain ?? Infinity, all.count - config.validation);
  return { trainSet: subset(all, 0, n), testSet: subset(all, all.count - config.validation, config.validation) };
}

/**
 * The best accuracy a resumed run must beat: the one best.ckpt was saved with, so the file is
 * always the best of the weights that still exist. (It is the recorded one, or higher after a
 * kill between the two writes.) A best.ckpt that is missing or unreadable (lost by a kill under
 * older versions, or deleted) counts as nothing, so the next epoch writes a new one.
 */
function bestOnDisk(path: string, recorded: number, hooks: TrainHooks): number {
  if (recorded <= 0) return recorded;
  try {
    const meta = loadCheckpoint(path).meta.position as Partial<Position> | undefined;
    return typeof meta?.bestAcc === 'number' ? meta.bestAcc : 0;
  } catch (err) {
    hooks.onLog?.(`${path} is missing or damaged (${(err as { code?: string }).code ?? 'unreadable'}); the next epoch writes a new best.ckpt`);
    return 0;
  }
}

/** A run's config; class names and normalisation come from the data (CIFAR-10 or an image folder). */
export function newRunConfig(o: Omit<RunConfig, 'version' | 'createdAt' | 'normalization' | 'labels'>): RunConfig {
  return { version: 1, ...o, normalization: datasetNormalization(o.data, o.spec.inputSize), labels: datasetLabels(o.data), createdAt: new Date().toISOString() };
}

/**
 * Why this backend cannot train in `precision`, or null if it can. Checked before a run folder is
 * made (api/train.ts) and again on resume, which may be on another machine.
 */
export function precisionUnsupported(backend: Backend, precision: Precision): string | null {
  if (precision !== 'bf16' || backend.bf16Supported()) return null;
  return `precision bf16 needs a CPU with AVX512_BF16 (or AMX) for the ${backend.name} backend, which this one lacks`;
}

/**
 * The activation layout a training step uses (LayerContext.block): blocks of the backend's vector
 * width in float32 where it has blocked kernels (17-19% less time per step than NHWC on the AVX2
 * EPYC, `npm run bench:ab -- --variants f32,f32-blocked`), else 0 (NHWC). The numbers agree with
 * NHWC's within 1e-4 (test 20d). CMV3_LAYOUT=nhwc forces NHWC, for A/B runs of the two paths.
 */
export function trainingBlock(backend: Backend, precision: Precision = 'f32'): number {
  const env = process.env.CMV3_LAYOUT;
  if (env !== undefined && env !== 'nhwc' && env !== 'auto') throw new RunError(`Expected CMV3_LAYOUT=nhwc or auto but received ${JSON.stringify(env)}; unset it for the default`);
  return precision !== 'f32' || env === 'nhwc' ? 0 : backend.activationBlock();
}

/** Runs (or continues) the training of the run in s.dir. Returns the final position. */
export async function train(s: TrainSession, hooks: TrainHooks = {}): Promise<{ finished: boolean; epoch: number; bestAcc: number }> {
  const config = readRunConfig(s.dir);
  const paths = runPaths(s.dir);
  const backend = await getBackend(s.backend);
  if (s.threads) backend.setThreads(s.threads);
  const unsupported = precisionUnsupported(backend, config.precision ?? 'f32');
  if (unsupported) throw new RunError(`cannot continue ${s.dir}: ${unsupported}; start a new run with --precision f32`);
  const { trainSet, testSet } = readSplits(config);
  const test = testTensor(testSet, config);

  const block = trainingBlock(backend, config.precision ?? 'f32');
  const net = buildNetwork(config.spec, { backend, precision: config.precision ?? 'f32', block }, config.seed);
  const model = new Model(net, backend);
  const opt = new Optimizer(model.params(), { ...config.recipe.optimizer, lr: config.lr });
  let pos: Position = { epoch: 0, batch: 0, lossSum: 0, correct: 0, seen: 0, bestAcc: 0, wallSeconds: 0 };
  const stale = removeStaleTempFiles(s.dir);
  if (stale.length) hooks.onLog?.(`removed ${stale.join(', ')} (left by a process killed while writing)`);
  try {
    const ckpt = loadCheckpoint(paths.last);
    restoreCheckpoint(ckpt, net, opt);
    pos = ckpt.meta.position as Position;
    net.rng.setState(ckpt.meta.rngState as number);
    hooks.onLog?.(`resuming ${s.dir} at epoch ${pos.epoch + 1}, batch ${pos.batch + 1}`);
    pos.bestAcc = bestOnDisk(paths.best, pos.bestAcc, hooks);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_CHECKPOINT_MISSING') throw err;
    // A fresh start: fine-tuning runs begin from another run's weights and BN statistics.
    if (config.init) {
      restoreCheckpoint(loadCheckpoint(config.init), net);
      hooks.onLog?.(`starting from the weights of ${config.init}`);
    }
  }

  const loader = new BatchLoader(trainSet, { batchSize: config.batchSize, seed: config.seed, aug: config.recipe.aug, norm: config.normalization });
  const steps = loader.batchesPerEpoch;
  // Warm-up takes at most a fifth of the run: a short run (explore's low rungs) still gets its cosine decay.
  const warmupEpochs = Math.min(config.recipe.warmupEpochs, config.epochs / 5);
  const schedule: Schedule = { kind: config.recipe.schedule ?? 'cosine', base: config.lr, totalSteps: config.epochs * steps, warmupSteps: Math.round(warmupEpochs * steps) };
  const save = (path: string) => saveCheckpoint(path, captureCheckpoint(net, opt, { position: pos, rngState: net.rng.getState(), normalization: config.normalization, labels: config.labels }));
  let sessionSteps = 0;
  try {
    while (pos.epoch < config.epochs) {
      const t0 = performance.now(), wall0 = pos.wallSeconds;
      let images = 0, waitMs = 0;
      for (; pos.batch < steps; pos.batch++) {
        if (s.signal?.stop || (s.maxSteps !== undefined && sessionSteps >= s.maxSteps)) {
          save(paths.last);
          return { finished: false, epoch: pos.epoch, bestAcc: pos.bestAcc };
        }
        // A prefetched batch resolves as a microtask, which never lets Node run its signal and
        // timer callbacks; one turn of the event loop per step keeps Ctrl-C responsive.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const b = await loader.get(pos.epoch, pos.batch);
        waitMs += b.waitMs;
        const r = model.trainStep(b.x, b.labels, opt, learningRate(schedule, opt.step), config.recipe.labelSmoothing);
        loader.release(b);
        if (!Number.isFinite(r.loss)) {
          // Nothing is saved: the weights are no longer numbers.
          throw new RunError(`training diverged at epoch ${pos.epoch + 1}, step ${pos.batch + 1} (loss ${r.loss}); nothing was saved, last.ckpt keeps the weights saved before. Start a new run with a lower --lr (this one used ${config.lr})`);
        }
        sessionSteps++;
        pos.lossSum += r.loss * b.count; pos.correct += r.correct; pos.seen += b.count; images += b.count;
        const elapsed = (performance.now() - t0) / 1000;
        pos.wallSeconds = wall0 + elapsed;
        hooks.onStep?.({ epoch: pos.epoch, batch: pos.batch, batches: steps, loss: pos.lossSum / pos.seen, acc: pos.correct / pos.seen,
          imagesPerSec: images / elapsed, etaSeconds: (elapsed / (pos.batch + 1)) * (steps - pos.batch - 1) });
      }
      const epochSeconds = (performance.now() - t0) / 1000;
      // Evaluate at the training batch size: a different size would reallocate every layer's buffers twice per epoch
      // (bf16 training's bf16-only batch norms still reallocate their float32 output here, once per epoch).
      const e0 = performance.now();
      const epoch = pos.epoch;
      const ev = model.evaluate(test.x, test.labels, config.batchSize, hooks.onEvaluate && ((done, total) => hooks.onEvaluate!({ epoch, done, total })));
      const evalSeconds = (performance.now() - e0) / 1000;
      // Wall time counts the test passes too: time to accuracy is what a user waits for.
      pos.wallSeconds = wall0 + epochSeconds + evalSeconds;
      const m: EpochMetrics = {
        epoch: pos.epoch + 1, trainLoss: pos.lossSum / pos.seen, trainAcc: pos.correct / pos.seen,
        testLoss: ev.loss, testAcc: ev.correct / test.labels.length, lr: learningRate(schedule, opt.step - 1),
        imagesPerSec: images / epochSeconds, epochSeconds, evalSeconds, wallSeconds: pos.wallSeconds, dataWaitMs: waitMs,
        activationBlock: net.block,
      };
      const improved = m.testAcc > pos.bestAcc;
      pos = { epoch: pos.epoch + 1, batch: 0, lossSum: 0, correct: 0, seen: 0, bestAcc: Math.max(pos.bestAcc, m.testAcc), wallSeconds: pos.wallSeconds };
      recordEpoch(s.dir, m);
      // best before last: a kill between the two leaves last.ckpt at the previous epoch, so the
      // resumed run repeats this epoch and writes both again (never a recorded best without its file).
      if (improved) save(paths.best);
      save(paths.last);
      hooks.onEpoch?.(m);
    }
    return { finished: true, epoch: pos.epoch, bestAcc: pos.bestAcc };
  } finally {
    await loader.close();
  }
}
