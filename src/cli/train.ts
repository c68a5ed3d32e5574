// cmv3 train: start or resume a training run (see src/train/trainer.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resumeTraining, train as apiTrain, type StepProgress, type TrainOptions, type TrainResult } from '../api/train.js';
import { PRECISIONS, type Precision } from '../backend/types.js';
import { parseActSwap } from '../models/registry.js';
import { readMetrics, readRunConfig, type EpochMetrics, type RunConfig } from '../train/run.js';
import { formatDuration, PAPER_ACCURACY, timeToAccuracy, wallCountsEval } from '../train/time-to.js';
import { numberOption, parse, positive, positiveInt, UsageError } from './args.js';
import { dataDir, stopOnSigint } from './common.js';
import { progressBar } from './progress.js';
import { count } from '../plural.js';

export const TRAIN_USAGE = `usage: cmv3 train --model cmv3 --width 0.5 [--data DIR] [--epochs N] [--batch-size B] [--lr LR]
                  [--recipe paper|fast] [--cutout PX] [--seed S] [-o runs/NAME] [--limit-train N] [--limit-test N]
                  [--validation N] [--threads T] [--precision f32|bf16]
       (--validation N holds out the last N training images and evaluates on them instead of the test set;
        --precision bf16 runs the 1x1 convolutions in bfloat16, float32 everywhere else: needs AVX512_BF16)
       cmv3 train --init <run|checkpoint> [--act FROM=TO] [--epochs N] [--lr LR] ...   fine-tune trained weights
                  (--act swaps an activation everywhere, e.g. mish=relu6; the weights still fit)
       cmv3 train --resume runs/NAME [--threads T]`;

const fmtTime = formatDuration;

export function epochLine(m: EpochMetrics, epochs: number): string {
  return `epoch ${String(m.epoch).padStart(3)}/${epochs}  train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAcc).toFixed(2)}%  ` +
    `test loss ${m.testLoss.toFixed(4)} acc ${(100 * m.testAcc).toFixed(2)}%  lr ${m.lr.toExponential(2)}  ` +
    `${m.imagesPerSec.toFixed(1)} img/s  ${m.epochSeconds.toFixed(1)}s  (wall ${fmtTime(m.wallSeconds)}, data wait ${m.dataWaitMs.toFixed(0)} ms)`;
}

/** The closing line on the paper's accuracy: when the run first reached it, or how close it came. */
export function timeToPaperLine(metrics: EpochMetrics[], split: 'test' | 'validation'): string {
  const level = `${(100 * PAPER_ACCURACY).toFixed(2)}%`;
  const r = timeToAccuracy(metrics, PAPER_ACCURACY);
  const what = wallCountsEval(metrics) ? 'wall time, test passes included' : 'training steps only';
  if (!r) return `the paper's ${level} was not reached on the ${split} images (best ${(100 * Math.max(...metrics.map((m) => m.testAcc))).toFixed(2)}%)`;
  return `time to the paper's ${level} on the ${split} images: ${formatDuration(r.wallSeconds)} (epoch ${r.epoch}, ${what})`;
}

export async function trainCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    model: { type: 'string' }, width: { type: 'string' }, data: { type: 'string' }, epochs: { type: 'string' },
    'batch-size': { type: 'string' }, lr: { type: 'string' }, recipe: { type: 'string' }, cutout: { type: 'string' }, seed: { type: 'string' },
    out: { type: 'string', short: 'o' }, resume: { type: 'string' }, 'limit-train': { type: 'string' }, 'limit-test': { type: 'string' },
    validation: { type: 'string' }, threads: { type: 'string' }, backend: { type: 'string' }, init: { type: 'string' }, act: { type: 'string' },
    precision: { type: 'string' },
  }, TRAIN_USAGE);
  if (values.help) return; // parse() printed the help
  const threads = numberOption(values.threads, 'threads', positiveInt, 'a positive integer');
  const backend = (values.backend as string | undefined) ?? 'auto';
  if (!['auto', 'onednn', 'reference'].includes(backend)) throw new UsageError(`Expected auto|onednn|reference for --backend but received ${JSON.stringify(backend)}`);
  const bar = progressBar();
  let sigint = { stop: false }; // Ctrl-C's flag once the handler is on (just before training starts)
  const abort = { get aborted() { return sigint.stop; } };
  const call = {
    backend: backend as 'auto', threads, signal: abort,
    onLog: (l: string) => { bar.done(); console.log(l); },
    onStep: (p: StepProgress) => bar.update({ stage: `epoch ${p.epoch + 1}`, done: p.batch + 1, total: p.batches, etaSeconds: p.etaSeconds },
      `loss ${p.loss.toFixed(3)} acc ${(100 * p.acc).toFixed(1)}% ${p.imagesPerSec.toFixed(0)} img/s`),
    onEvaluate: (p: { epoch: number; done: number; total: number }) => bar.update({ stage: 'testing', done: p.done, total: p.total }),
    onStart: (dir: string, c: RunConfig) => {
      epochs = c.epochs;
      const mixed = c.precision === 'bf16' ? ', bf16 1x1 convolutions' : '';
      console.log(`training ${c.spec.name} width ${c.spec.width} in ${dir}: ${count(c.epochs, 'epoch')}, batch ${c.batchSize}, lr ${c.lr}, seed ${c.seed}${mixed}`);
    },
    onEpoch: (m: EpochMetrics) => {
      bar.done();
      console.log(epochLine(m, epochs));
    },
  };
  let epochs = 0;
  let run: () => Promise<TrainResult>;
  if (values.resume !== undefined) {
    const others = Object.keys(values).filter((k) => !['resume', 'threads', 'backend'].includes(k));
    if (others.length) throw new UsageError(`--resume continues a run with its own settings; drop --${others.join(', --')}`);
    const dir = values.resume as string;
    readRunConfig(dir);
    run = () => resumeTraining(dir, call);
  } else {
    const cutout = numberOption(values.cutout, 'cutout', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
    const width = numberOption(values.width, 'width', positive, 'a positive number');
    const batchSize = numberOption(values['batch-size'], 'batch-size', positiveInt, 'a positive integer');
    const epochs = numberOption(values.epochs, 'epochs', positiveInt, 'a positive integer');
    const seed = numberOption(values.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
    const lr = numberOption(values.lr, 'lr', positive, 'a positive number');
    const limitTrain = numberOption(values['limit-train'], 'limit-train', positiveInt, 'a positive integer');
    const limitTest = numberOption(values['limit-test'], 'limit-test', positiveInt, 'a positive integer');
    const validation = numberOption(values.validation, 'validation', positiveInt, 'a positive integer');
    if (validation !== undefined && limitTest !== undefined) throw new UsageError('--limit-test has no effect with --validation (the held-out images replace the test set); drop one');
    const activation = values.act === undefined ? undefined : parseActSwap(values.act as string);
    const precision = values.precision as Precision | undefined;
    if (precision !== undefined && !PRECISIONS.includes(precision)) throw new UsageError(`Expected f32 or bf16 for --precision but received ${JSON.stringify(precision)}`);
    if (values.init !== undefined && (values.model !== undefined || width !== undefined)) throw new UsageError('--init takes the network from the checkpoint; drop --model and --width');
    const data = dataDir(values.data as string | undefined);
    const options: TrainOptions = {
      ...call, out: values.out as string | undefined, model: values.model as string | undefined, width, init: values.init as string | undefined, activation, data,
      recipe: values.recipe as string | undefined, epochs, batchSize, lr, cutout, seed, limitTrain, limitTest, validation, precision,
    };
    run = () => apiTrain(options);
  }
  const { signal, dispose } = stopOnSigint('stopping after this step and saving (Ctrl-C again to quit without saving)');
  sigint = signal;
  try {
    const r = await run(), dir = r.dir, config = readRunConfig(dir);
    if (r.finished) {
      const files = ['best.ckpt', 'last.ckpt'].filter((f) => existsSync(join(dir, f)));
      console.log(`done: best test accuracy ${(100 * r.bestAccuracy).toFixed(2)}%; checkpoints in ${dir} (${files.join(', ') || 'none'})`);
      console.log(timeToPaperLine(readMetrics(dir), config.validation ? 'validation' : 'test'));
    }
    else {
      console.log(`stopped at epoch ${r.epochs + 1}; saved ${dir}/last.ckpt; continue with: cmv3 train --resume ${dir}`);
      process.exitCode = 130;
    }
  } finally {
    bar.done();
    dispose();
  }
}
