// Batch assembly: the standard CIFAR recipe (random crop from a 4-pixel zero-padded image and a
// horizontal flip, optionally cutout), then per-channel normalisation into float32 NHWC.
// Every random choice comes from a PRNG seeded by (seed, epoch, batch), so a batch is a pure
// function of its coordinates: a resumed run sees exactly the batches the uninterrupted run saw.
import { Rng } from '../nn/random.js';

export interface AugmentOptions {
  crop: number; // padding in pixels for the random crop; 0 disables
  flip: boolean;
  /** with flip: image i is flipped in alternate epochs (a per-image coin decides the first) instead of at random each time */
  alternateFlip?: boolean;
  cutout: number; // side of the zeroed square; 0 disables
}

export interface Normalization {
  mean: number[];
  std: number[];
}

export const NO_AUGMENT: AugmentOptions = { crop: 0, flip: false, cutout: 0 };

/** A well-mixed seed for batch b of epoch e (so neighbouring batches get unrelated streams). */
export function batchSeed(seed: number, epoch: number, batch: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35) ^ Math.imul(batch + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

/** The permutation of [0, count) used in an epoch. */
export function epochOrder(seed: number, epoch: number, count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const rng = new Rng(batchSeed(seed, epoch, -1));
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  return order;
}

/** Alternating flips: whether image `index` is flipped in `epoch` (the run seed picks each image's first side). */
export function alternateFlip(seed: number, epoch: number, index: number): boolean {
  return ((batchSeed(seed, -2, index) ^ epoch) & 1) === 1;
}

/**
 * Writes images idx (uint8 HWC, size x size x c each) into out (float32 NHWC), augmented.
 * labelsOut receives their labels. `epochOf` (run seed and epoch) is needed by alternating flips.
 */
export function assembleBatch(pixels: Uint8Array, labels: Uint8Array, idx: ArrayLike<number>, size: number, c: number,
  aug: AugmentOptions, norm: Normalization, rngSeed: number, out: Float32Array, labelsOut: Int32Array,
  epochOf?: { seed: number; epoch: number }): void {
  if (aug.flip && aug.alternateFlip && !epochOf) throw new RangeError('alternating flips need the run seed and epoch');
  const rng = new Rng(rngSeed), per = size * size * c;
  const scale = norm.std.map((s) => 1 / (255 * s)), shift = norm.mean.map((m, k) => m / norm.std[k]);
  for (let b = 0; b < idx.length; b++) {
    const src = idx[b] * per, dst = b * per;
    labelsOut[b] = labels[idx[b]];
    const dy = aug.crop ? rng.int(2 * aug.crop + 1) - aug.crop : 0;
    const dx = aug.crop ? rng.int(2 * aug.crop + 1) - aug.crop : 0;
    const flip = aug.flip && (aug.alternateFlip ? alternateFlip(epochOf!.seed, epochOf!.epoch, idx[b]) : rng.next() < 0.5);
    for (let y = 0; y < size; y++) {
      const sy = y + dy;
      for (let x = 0; x < size; x++) {
        const sx = (flip ? size - 1 - x : x) + dx;
        const o = dst + (y * size + x) * c;
        if (sy < 0 || sy >= size || sx < 0 || sx >= size) {
          for (let k = 0; k < c; k++) out[o + k] = -shift[k]; // zero padding, in pixel space
        } else {
          const i = src + (sy * size + sx) * c;
          for (let k = 0; k < c; k++) out[o + k] = pixels[i + k] * scale[k] - shift[k];
        }
      }
    }
    if (aug.cutout > 0) {
      const cy = rng.int(size), cx = rng.int(size), h = aug.cutout >> 1;
      for (let y = Math.max(0, cy - h); y < Math.min(size, cy - h + aug.cutout); y++) {
        for (let x = Math.max(0, cx - h); x < Math.min(size, cx - h + aug.cutout); x++) {
          for (let k = 0; k < c; k++) out[dst + (y * size + x) * c + k] = 0;
        }
      }
    }
  }
}
