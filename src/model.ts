// A Model couples a network with a backend: batched forward, one training step, evaluation.
import { getBackend, type BackendName } from './backend/select.js';
import type { Backend } from './backend/types.js';
import { buildNetwork, type Network } from './models/build.js';
import { resolveSpec, type SpecOverrides } from './models/registry.js';
import type { NetworkSpec } from './models/spec.js';
import type { Param } from './nn/layer.js';
import { softmaxCrossEntropy } from './nn/loss.js';
import type { Optimizer } from './optim/optimizer.js';

/** A training step's or an evaluation's loss and number of correct predictions. */
export interface StepResult {
  loss: number;
  correct: number;
}

/** A network with its backend: forward, a training step, evaluation. */
export class Model {
  private dlogits = new Float32Array(0);

  constructor(readonly net: Network, readonly backend: Backend) {}

  /** Builds a built-in network, a spec file or a spec, on the chosen backend. */
  static async create(model: string | NetworkSpec, o: SpecOverrides & { backend?: BackendName; seed?: number } = {}): Promise<Model> {
    const spec = typeof model === 'string' ? resolveSpec(model, o) : model;
    const backend = await getBackend(o.backend ?? 'auto');
    return new Model(buildNetwork(spec, { backend }, o.seed ?? 1), backend);
  }

  get spec(): NetworkSpec {
    return this.net.spec;
  }
  /** Every trainable parameter, for an Optimizer. */
  params(): Param[] {
    return this.net.root.params();
  }

  private checkInput(x: Float32Array, n: number): void {
    const s = this.spec, want = n * s.inputSize * s.inputSize * s.inputChannels;
    if (x.length !== want) {
      throw new RangeError(`Expected ${want} values for images (${n}, ${s.inputSize}, ${s.inputSize}, ${s.inputChannels}) but received ${x.length}`);
    }
  }

  /** images (N, H, W, C) -> logits (N, classes); the returned buffer is reused by the next call. */
  forward(x: Float32Array, n: number, training = false): Float32Array {
    this.checkInput(x, n);
    const s = this.spec;
    return this.net.root.forward({ shape: [n, s.inputSize, s.inputSize, s.inputChannels], data: x }, training).data;
  }

  /** Forward, loss, backward and one optimizer update at learning rate lr. */
  trainStep(x: Float32Array, labels: ArrayLike<number>, optimizer: Optimizer, lr: number, labelSmoothing = 0): StepResult {
    const n = labels.length, k = this.spec.classes;
    const logits = this.forward(x, n, true);
    if (this.dlogits.length !== n * k) this.dlogits = new Float32Array(n * k);
    const r = softmaxCrossEntropy(logits, labels, k, this.dlogits, labelSmoothing);
    this.net.root.backward({ shape: [n, 1, 1, k], data: this.dlogits }, false); // the images' gradient is not needed
    optimizer.update(lr);
    return r;
  }

  /** Top-1 hits and mean loss over a set, in batches, inference mode; `onBatch` hears the images done after each batch. */
  evaluate(images: Float32Array, labels: ArrayLike<number>, batchSize = 256, onBatch?: (done: number, total: number) => void): StepResult {
    const s = this.spec, per = s.inputSize * s.inputSize * s.inputChannels, k = s.classes;
    let loss = 0, correct = 0;
    for (let i = 0; i < labels.length; i += batchSize) {
      const n = Math.min(batchSize, labels.length - i);
      const logits = this.forward(images.subarray(i * per, (i + n) * per), n, false);
      const lab = Array.from({ length: n }, (_, j) => labels[i + j]);
      const r = softmaxCrossEntropy(logits, lab, k, new Float32Array(n * k));
      loss += r.loss * n;
      correct += r.correct;
      onBatch?.(i + n, labels.length);
    }
    return { loss: loss / Math.max(1, labels.length), correct };
  }
}
