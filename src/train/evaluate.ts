// Full evaluation: top-1, per-class accuracy, confusion matrix, throughput; and softmax top-K.
import { NO_AUGMENT, assembleBatch, type Normalization } from '../data/augment.js';
import type { ImageSet } from '../data/cifar.js';
import type { Predictor } from '../deploy/graph-model.js';

/** Top-1 accuracy, per-class accuracy, the confusion matrix (rows true class) and throughput. */
export interface Evaluation {
  images: number;
  top1: number;
  perClass: { label: string; accuracy: number; count: number }[];
  /** confusion[true][predicted] */
  confusion: number[][];
  imagesPerSec: number;
}

/**
 * The evaluation as steps: yields the images done after each batch, returns the result. The sync
 * and async drivers below share it, so the library's `evaluate` can yield to the event loop (an
 * AbortSignal or a progress bar gets its turn) between batches without a second copy of the loop.
 */
function* evaluationSteps(model: Predictor, set: ImageSet, norm: Normalization, labels: string[], batchSize: number, predicted?: Uint8Array): Generator<number, Evaluation> {
  const k = model.spec.classes, per = set.size * set.size * set.channels;
  if (set.size !== model.spec.inputSize || set.channels !== model.spec.inputChannels) {
    throw new RangeError(`Expected ${model.spec.inputSize}x${model.spec.inputSize}x${model.spec.inputChannels} images for this model but received ${set.size}x${set.size}x${set.channels}`);
  }
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const x = new Float32Array(batchSize * per), lab = new Int32Array(batchSize);
  let busy = 0;
  for (let i = 0; i < set.count; i += batchSize) {
    const n = Math.min(batchSize, set.count - i);
    const idx = Uint32Array.from({ length: n }, (_, j) => i + j);
    assembleBatch(set.pixels, set.labels, idx, set.size, set.channels, NO_AUGMENT, norm, 0, x, lab);
    const t0 = performance.now();
    const logits = model.forward(x.subarray(0, n * per), n, false);
    busy += performance.now() - t0;
    for (let b = 0; b < n; b++) {
      let arg = 0;
      for (let c = 1; c < k; c++) if (logits[b * k + c] > logits[b * k + arg]) arg = c;
      confusion[lab[b]][arg]++;
      if (predicted) predicted[i + b] = arg;
    }
    yield i + n;
  }
  const correct = confusion.reduce((a, row, i) => a + row[i], 0);
  return {
    images: set.count, top1: correct / set.count,
    perClass: confusion.map((row, i) => { const count = row.reduce((a, v) => a + v, 0); return { label: labels[i] ?? `class ${i}`, accuracy: count ? row[i] / count : 0, count }; }),
    confusion, imagesPerSec: set.count / (busy / 1000),
  };
}

export function evaluateSet(model: Predictor, set: ImageSet, norm: Normalization, labels: string[], batchSize = 250): Evaluation {
  const steps = evaluationSteps(model, set, norm, labels, batchSize);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * As evaluateSet, yielding to the event loop after each batch; `onBatch` may throw to stop.
 * `predicted`, when given (one byte per image), receives each image's predicted class.
 */
export async function evaluateSetAsync(model: Predictor, set: ImageSet, norm: Normalization, labels: string[], batchSize = 250,
  onBatch?: (done: number, total: number) => void, predicted?: Uint8Array): Promise<Evaluation> {
  const steps = evaluationSteps(model, set, norm, labels, batchSize, predicted);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    onBatch?.(r.value, set.count);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
}

export function confusionSvg(e: Evaluation): string {
  const k = e.confusion.length, cell = 34, left = 90, top = 40, size = left + k * cell + 20;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${top + k * cell + 90}" font-family="sans-serif" font-size="10">`,
    `<rect width="100%" height="100%" fill="white"/>`, `<text x="${size / 2}" y="16" text-anchor="middle" font-size="13">Confusion matrix (top-1 ${(100 * e.top1).toFixed(2)}%)</text>`];
  e.confusion.forEach((row, i) => {
    const total = row.reduce((a, v) => a + v, 0) || 1;
    out.push(`<text x="${left - 4}" y="${top + i * cell + cell / 2 + 3}" text-anchor="end">${e.perClass[i].label}</text>`);
    row.forEach((v, j) => {
      const shade = Math.round(255 * (1 - v / total));
      out.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#eee"/>`,
        `<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 3}" text-anchor="middle" fill="${v / total > 0.5 ? 'white' : 'black'}">${v}</text>`);
    });
    out.push(`<text transform="translate(${left + i * cell + cell / 2},${top + k * cell + 6}) rotate(60)">${e.perClass[i].label}</text>`);
  });
  out.push(`<text x="4" y="${top - 6}">true \\ predicted</text>`, '</svg>');
  return out.join('\n');
}
