// A user's own images: DIR/train/<class>/*.png|jpg and DIR/test/<class>/*.png|jpg, decoded and
// resized to the model's input. Classes are the sub-folder names in sorted order.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Normalization } from './augment.js';
import { CIFAR_MEAN, CIFAR_STD, DataError, readCifar, readCifarLabels, type ImageSet } from './cifar.js';
import { readImage, resizeTo } from './image.js';

const IMAGE = /\.(png|jpe?g)$/i;

export function isImageFolder(dir: string): boolean {
  return existsSync(join(dir, 'train')) && statSync(join(dir, 'train')).isDirectory();
}

export function folderClasses(dir: string): string[] {
  const root = join(dir, 'train');
  const classes = readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory()).sort();
  if (classes.length < 2) throw new DataError(`${root} has ${classes.length} class folder(s); put each class's images in its own sub-folder (at least 2)`);
  return classes;
}

export function readImageFolder(dir: string, split: 'train' | 'test', size: number, limit = Infinity): ImageSet {
  const classes = folderClasses(dir);
  const root = join(dir, split);
  if (!existsSync(root)) throw new DataError(`${root} is missing; an image folder needs train/ and test/, each with one sub-folder per class`);
  const perClass = classes.map((c) => {
    const d = join(root, c);
    return existsSync(d) ? readdirSync(d).filter((f) => IMAGE.test(f)).sort().map((f) => join(d, f)) : [];
  });
  for (const f of readdirSync(root)) {
    if (statSync(join(root, f)).isDirectory() && !classes.includes(f)) throw new DataError(`${join(root, f)} is a class not in train/; every test class must have training images`);
  }
  // Round-robin over classes so a --limit prefix stays balanced.
  const items: [string, number][] = [];
  for (let i = 0; i < Math.max(...perClass.map((l) => l.length)); i++) {
    perClass.forEach((l, label) => { if (i < l.length) items.push([l[i], label]); });
  }
  if (items.length === 0) throw new DataError(`${root} holds no .png or .jpg images`);
  const count = Math.min(limit, items.length);
  const pixels = new Uint8Array(count * size * size * 3), labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    pixels.set(resizeTo(readImage(items[i][0]), size), i * size * size * 3);
    labels[i] = items[i][1];
  }
  return { pixels, labels, count, size, channels: 3 };
}

/** CIFAR-10 binary or an image folder, by what the directory holds, at size x size (bilinear resize). */
export function readDataset(dir: string, split: 'train' | 'test', size: number, limit = Infinity): ImageSet {
  if (isImageFolder(dir)) return readImageFolder(dir, split, size, limit);
  const set = readCifar(dir, split, limit);
  if (size === set.size) return set;
  const per = set.size * set.size * 3, pixels = new Uint8Array(set.count * size * size * 3);
  for (let i = 0; i < set.count; i++) {
    pixels.set(resizeTo({ width: set.size, height: set.size, data: set.pixels.subarray(i * per, (i + 1) * per) }, size), i * size * size * 3);
  }
  return { ...set, pixels, size };
}

/** Images [start, start + count) of a set, sharing its memory. */
export function subset(set: ImageSet, start: number, count: number): ImageSet {
  const per = set.size * set.size * set.channels;
  return { ...set, pixels: set.pixels.subarray(start * per, (start + count) * per), labels: set.labels.subarray(start, start + count), count };
}

/** Per-channel mean and std: CIFAR-10's published values, or measured on an image folder's train split. */
export function datasetNormalization(dir: string, size: number): Normalization {
  if (!isImageFolder(dir)) return { mean: CIFAR_MEAN, std: CIFAR_STD };
  const set = readImageFolder(dir, 'train', size);
  const sum = [0, 0, 0], sq = [0, 0, 0];
  for (let i = 0; i < set.pixels.length; i++) { const v = set.pixels[i] / 255; sum[i % 3] += v; sq[i % 3] += v * v; }
  const n = set.pixels.length / 3;
  const mean = sum.map((s) => s / n);
  return { mean, std: sq.map((q, k) => Math.max(1e-3, Math.sqrt(q / n - mean[k] * mean[k]))) };
}

export function datasetLabels(dir: string): string[] {
  return isImageFolder(dir) ? folderClasses(dir) : readCifarLabels(dir);
}
