// One image through a predictor to its top classes: resize, normalise, forward, softmax. No Node
// imports: `cmv3 predict` and the dashboard's in-browser classifier share it, so they agree.
import { assembleBatch, NO_AUGMENT, type Normalization } from '../data/augment.js';
import { resizeTo, type RgbImage } from '../data/pixels.js';
import { softmax } from '../train/evaluate.js';
import type { Predictor } from './graph-model.js';

/** One class of a prediction: its name, index and probability. */
export interface ClassScore {
  label: string;
  index: number;
  probability: number;
}

export class ClassifyError extends Error {
  readonly code = 'ERR_CLASSIFY';
}

/** The k most probable classes for an RGB image of any size, most probable first. */
export function topClasses(p: Predictor, labels: string[], norm: Normalization, img: RgbImage, k: number): ClassScore[] {
  const s = p.spec;
  if (s.inputChannels !== 3) throw new ClassifyError(`this model takes ${s.inputChannels} channels, but images are read as RGB`);
  const pixels = resizeTo(img, s.inputSize);
  const x = new Float32Array(s.inputSize * s.inputSize * 3), lab = new Int32Array(1);
  assembleBatch(pixels, new Uint8Array(1), [0], s.inputSize, 3, NO_AUGMENT, norm, 0, x, lab);
  const out = p.forward(x, 1, false);
  const probs = p.probabilities ? Array.from(out) : softmax(out);
  return probs.map((probability, index) => ({ label: labels[index] ?? `class ${index}`, index, probability }))
    .sort((a, b) => b.probability - a.probability).slice(0, Math.min(k, s.classes));
}
