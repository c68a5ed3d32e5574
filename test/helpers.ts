// Shared test helpers: seeded random arrays, error metrics, dataset location.
import { existsSync } from 'node:fs';
import { ADDON_PATH, loadOnednnBackend } from '../src/backend/onednn.js';
import type { Backend } from '../src/backend/types.js';
import { Rng } from '../src/nn/random.js';

export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale;
  return a;
}

/** A seeded linear congruential stream in [0, 1): cheap, and the same cases on every machine. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s / 4294967296);
}

/** max |a - b| / max(floor, max |b|): a relative error per tensor that ignores tiny entries. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let diff = 0, mag = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  return diff / Math.max(floor, mag);
}

/** The CIFAR-10 folder for tests: CMV3_DATA, the shared copy beside the checkout, or ./data. */
export function findCifar(): string | null {
  const candidates = [process.env.CMV3_DATA, '../shared/datasets/cifar-10-batches-bin', './data/cifar-10-batches-bin'];
  return candidates.find((d): d is string => !!d && existsSync(`${d}/data_batch_1.bin`)) ?? null;
}

/** In CI the data must be there; elsewhere a test without it is skipped with the reason. */
export function cifarOrSkip(t: { skip: (msg: string) => void }): string | null {
  const dir = findCifar();
  if (dir) return dir;
  if (process.env.CI) throw new Error('CIFAR-10 not found: set CMV3_DATA to the cifar-10-batches-bin folder');
  t.skip('CIFAR-10 not found (set CMV3_DATA)');
  return null;
}

/** The native backend on two threads and its block size, or null once the test is skipped (no addon, no vector kernels). */
export function nativeBlocks(t: { skip: (why: string) => void }): { O: Backend; B: number } | null {
  if (!existsSync(ADDON_PATH)) return t.skip(`native addon not built (${ADDON_PATH}); run npm run build:native`), null;
  const O = loadOnednnBackend();
  O.setThreads(2);
  const B = O.activationBlock();
  if (B === 0) return t.skip('this build has no vector kernels (neither AVX2 nor AVX-512)'), null;
  return { O, B };
}
