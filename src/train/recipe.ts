// Training recipes: everything about how a model is trained, apart from the model itself.
import type { AugmentOptions } from '../data/augment.js';
import type { OptimizerSettings } from '../optim/optimizer.js';

export interface Recipe {
  name: string;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSettings;
  warmupEpochs: number;
  /** lr decay after warm-up: cosine to 0 (default) or linear to 0 */
  schedule?: 'cosine' | 'linear';
  labelSmoothing: number;
  dropout: number;
  aug: AugmentOptions;
}

/**
 * The paper's setup (L2 weight decay 1e-5, dropout 0.2 - the paper's "0.8" is TF-slim's keep
 * probability - and cosine decay) with the remaining choices made for time to accuracy:
 * SGD with Nesterov momentum 0.9 at lr 0.1 for batch 128 (linear scaling for other batch sizes),
 * 2 warm-up epochs, at most a fifth of the run (BN statistics of a fresh network make the first
 * large steps unstable),
 * label smoothing 0.1, crop + flip augmentation.
 */
export const PAPER_RECIPE: Recipe = {
  name: 'paper',
  epochs: 60,
  batchSize: 128,
  optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-5 },
  warmupEpochs: 2,
  labelSmoothing: 0.1,
  dropout: 0.2,
  aug: { crop: 4, flip: true, cutout: 0 },
};

/**
 * Time to accuracy on a 2-core CPU (issue 20): each setting is a row of the recipe ablation
 * (`npm run bench:recipe`, BENCHMARKS.md "Recipe ablation"), measured on 5,000 held-out training
 * images; a row that does not pay is taken out here. Against the paper recipe: weight decay 5e-4
 * (1e-5 leaves a BN network's weight norms free to grow, which shrinks the effective step), linear
 * decay to zero, lr 0.2, no dropout, BN shifts at 8x the lr, alternating flips. At 25 epochs it
 * reached 90.80% on the 5,000 held-out images (runs/fast-val-e25); the claimed runs on all 50,000
 * are still to be made, so the recipe is not yet claimed to reach 89.13% in an hour.
 */
export const FAST_RECIPE: Recipe = {
  name: 'fast',
  epochs: 25,
  batchSize: 128,
  optimizer: { kind: 'sgd', lr: 0.2, momentum: 0.9, nesterov: true, weightDecay: 5e-4, bnBiasLrScale: 8 },
  warmupEpochs: 1,
  schedule: 'linear',
  labelSmoothing: 0.1,
  dropout: 0,
  aug: { crop: 4, flip: true, alternateFlip: true, cutout: 0 },
};

export const RECIPES: Record<string, Recipe> = { paper: PAPER_RECIPE, fast: FAST_RECIPE };

/** lr scaled linearly with the batch size from the recipe's reference batch size. */
export function scaledLr(r: Recipe, batchSize: number): number {
  return (r.optimizer.lr * batchSize) / r.batchSize;
}
