// Softmax cross-entropy over logits (N, K), optional label smoothing; mean over the batch.
export interface LossResult {
  loss: number;
  correct: number;
}

/** Writes dLoss/dLogits into dlogits; returns the mean loss and the count of top-1 hits. */
export function softmaxCrossEntropy(logits: Float32Array, labels: ArrayLike<number>, classes: number,
  dlogits: Float32Array, labelSmoothing = 0): LossResult {
  const n = labels.length;
  if (logits.length !== n * classes) throw new RangeError(`Expected ${n * classes} logits for ${n} labels but received ${logits.length}`);
  const off = labelSmoothing / classes, on = 1 - labelSmoothing + off;
  let loss = 0, correct = 0;
  for (let b = 0; b < n; b++) {
    const row = b * classes, y = labels[b];
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) throw new RangeError(`Expected a label in [0, ${classes}) but received ${y}`);
    let max = -Infinity, arg = 0;
    for (let k = 0; k < classes; k++) if (logits[row + k] > max) { max = logits[row + k]; arg = k; }
    if (arg === y) correct++;
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[row + k] - max);
    const logSum = Math.log(sum) + max;
    for (let k = 0; k < classes; k++) {
      const target = k === y ? on : off;
      const logp = logits[row + k] - logSum;
      loss -= target * logp;
      dlogits[row + k] = (Math.exp(logp) - target) / n;
    }
  }
  return { loss: loss / n, correct };
}
