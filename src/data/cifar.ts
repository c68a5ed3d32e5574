// CIFAR-10 binary format: records of 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR_LABELS, CIFAR_MEAN, CIFAR_STD } from './cifar-meta.js';

export { CIFAR_LABELS, CIFAR_MEAN, CIFAR_STD } from './cifar-meta.js';

export const CIFAR_RECORD = 3073;
export const CIFAR_PER_FILE = 10000;
export const CIFAR_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR_TEST_FILE = 'test_batch.bin';

/** Class names from batches.meta.txt (the CIFAR-10 names if the file is absent). */
export function readCifarLabels(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(dir, 'batches.meta.txt'), 'utf8');
  } catch {
    return CIFAR_LABELS;
  }
  const names = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (names.length !== 10) throw new DataError(`${join(dir, 'batches.meta.txt')} lists ${names.length} class names, expected 10; the file is damaged`);
  return names;
}

/** A dataset that cannot be read: missing files, wrong sizes, bad labels. */
export class DataError extends Error {
  readonly code = 'ERR_DATA';
}

/** Images as uint8 NHWC pixels with one label each. */
export interface ImageSet {
  /** uint8 NHWC pixels */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  size: number;
  channels: number;
}

/** Reads CIFAR-10 binary files from dir, checking each file's size and labels; limit caps the count. */
export function readCifar(dir: string, split: 'train' | 'test', limit = Infinity): ImageSet {
  const files = split === 'train' ? CIFAR_TRAIN_FILES : [CIFAR_TEST_FILE];
  const total = Math.min(limit, files.length * CIFAR_PER_FILE);
  const pixels = new Uint8Array(total * 3072), labels = new Uint8Array(total);
  let count = 0;
  for (const f of files) {
    if (count >= total) break;
    const path = join(dir, f);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new DataError(`CIFAR-10 file ${path} is missing; point --data (or CMV3_DATA) at the cifar-10-batches-bin folder, or run: cmv3 data fetch cifar10`);
    }
    if (size !== CIFAR_RECORD * CIFAR_PER_FILE) {
      throw new DataError(`CIFAR-10 file ${path} has ${size} bytes, expected ${CIFAR_RECORD * CIFAR_PER_FILE}; it is truncated or not the binary version; download it again`);
    }
    const buf = readFileSync(path);
    const take = Math.min(CIFAR_PER_FILE, total - count);
    for (let r = 0; r < take; r++, count++) {
      const rec = r * CIFAR_RECORD, label = buf[rec];
      if (label > 9) throw new DataError(`CIFAR-10 file ${path} record ${r} has label ${label}, expected 0..9; the file is corrupt`);
      labels[count] = label;
      // planar RGB -> interleaved HWC
      const out = count * 3072;
      for (let p = 0; p < 1024; p++) {
        pixels[out + p * 3] = buf[rec + 1 + p];
        pixels[out + p * 3 + 1] = buf[rec + 1 + 1024 + p];
        pixels[out + p * 3 + 2] = buf[rec + 1 + 2048 + p];
      }
    }
  }
  return { pixels, labels, count, size: 32, channels: 3 };
}

/** uint8 HWC pixels -> normalised float32 NHWC. */
export function normalize(set: ImageSet, mean = CIFAR_MEAN, std = CIFAR_STD, start = 0, count = set.count): Float32Array {
  const c = set.channels, per = set.size * set.size * c;
  const out = new Float32Array(count * per);
  const src = set.pixels.subarray(start * per, (start + count) * per);
  for (let i = 0; i < src.length; i++) {
    const k = i % c;
    out[i] = (src[i] / 255 - mean[k]) / std[k];
  }
  return out;
}
