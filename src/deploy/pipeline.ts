// From a trained model to a deployable graph: lower, then legalize (float) or calibrate and
// quantize (int8). Every command that exports, evaluates int8 or reports goes through here.
import { assembleBatch, NO_AUGMENT } from '../data/augment.js';
import { DataError } from '../data/cifar.js';
import { readDataset } from '../data/folder.js';
import type { Trained } from '../train/trained.js';
import { calibrate, type Observer } from './calibrate.js';
import { lowerTrained } from './from-model.js';
import type { Graph } from './ir.js';
import { legalizeFloat } from './legalize.js';
import { quantizeGraph } from './quantize.js';

export interface Int8Options {
  /** folder of the training data the calibration images come from */
  data: string;
  /** number of calibration images (the first N of the training split) */
  calibration: number;
  observer: Observer;
  /** called after each calibration run of one image (the histogram observers run each image twice) */
  onImage?: (done: number, total: number) => void;
}

/** The first `count` training images, normalised as the model expects, one array per image. */
export function calibrationImages(t: Trained, data: string, count: number): Float32Array[] {
  return splitImages(t, data, 'train', count);
}

/** The first `count` images of a split, normalised as the model expects, one array per image. */
export function splitImages(t: Trained, data: string, split: 'train' | 'test', count: number): Float32Array[] {
  const s = t.model.spec;
  const set = readDataset(data, split, s.inputSize, count);
  // Images are resized to the model's input; the channel count must match.
  if (set.size !== s.inputSize || set.channels !== s.inputChannels) {
    throw new DataError(`Expected ${s.inputSize}x${s.inputSize}x${s.inputChannels} ${split === 'train' ? 'calibration' : 'test'} images for this model but ${data} holds ${set.size}x${set.size}x${set.channels}; use the data the model was trained on (--data DIR)`);
  }
  if (set.count === 0) throw new DataError(`${data} has no ${split === 'train' ? 'training images to calibrate on' : 'test images'}; point --data at the data the model was trained on`);
  const per = s.inputSize * s.inputSize * s.inputChannels;
  const x = new Float32Array(set.count * per);
  assembleBatch(set.pixels, set.labels, Uint32Array.from({ length: set.count }, (_, i) => i), set.size, set.channels, NO_AUGMENT, t.normalization, 0, x, new Int32Array(set.count));
  return Array.from({ length: set.count }, (_, i) => x.subarray(i * per, (i + 1) * per));
}

export function floatGraph(t: Trained): Graph {
  return legalizeFloat(lowerTrained(t));
}

/** The int8 graph of a trained model; `lowered` when the caller also needs the float graph it came from. */
export function int8Graph(t: Trained, o: Int8Options, lowered: Graph = lowerTrained(t)): Graph {
  return quantizeGraph(lowered, calibrate(lowered, calibrationImages(t, o.data, o.calibration), o.observer, o.onImage));
}
