// One optimizer class; SGD (momentum, Nesterov), Adam and AdamW are settings of it.
// Weight decay applies only to parameters marked decay (conv/dense weights), never to BN or biases.
import type { Param } from '../nn/layer.js';

/** An optimizer's settings: SGD, Nesterov, Adam and AdamW are settings of one class. */
export interface OptimizerSettings {
  kind: 'sgd' | 'adam' | 'adamw';
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** L2 penalty added to the gradient (sgd, adam) or decoupled decay (adamw) */
  weightDecay?: number;
  /** lr multiplier for batch-norm shifts (params of group 'bnBias'); 1 by default */
  bnBiasLrScale?: number;
}

/** Updates parameters from their gradients; weight decay only on parameters marked for it. */
export class Optimizer {
  readonly settings: Required<OptimizerSettings>;
  /** per parameter: momentum buffer (sgd) or first moment (adam) */
  readonly m: Float32Array[];
  /** per parameter: second moment (adam) */
  readonly v: Float32Array[];
  step = 0;

  constructor(readonly params: Param[], s: OptimizerSettings) {
    if (!['sgd', 'adam', 'adamw'].includes(s.kind)) throw new RangeError(`Expected sgd|adam|adamw for optimizer but received ${s.kind}`);
    this.settings = { momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, bnBiasLrScale: 1, ...s };
    for (const k of ['lr', 'momentum', 'beta1', 'beta2', 'eps', 'weightDecay', 'bnBiasLrScale'] as const) {
      const v = this.settings[k];
      if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`Expected a non-negative number for ${k} but received ${v}`);
    }
    this.m = params.map((p) => new Float32Array(p.data.length));
    this.v = this.settings.kind === 'sgd' ? [] : params.map((p) => new Float32Array(p.data.length));
  }

  /** One update with learning rate lr (the schedule's value for this step). */
  update(baseLr: number): void {
    const s = this.settings;
    this.step++;
    const bc1 = 1 - Math.pow(s.beta1, this.step), bc2 = 1 - Math.pow(s.beta2, this.step);
    this.params.forEach((p, i) => {
      const w = p.data, g = p.grad, m = this.m[i];
      const lr = p.group === 'bnBias' ? baseLr * s.bnBiasLrScale : baseLr;
      const l2 = p.decay && s.kind !== 'adamw' ? s.weightDecay : 0;
      const decoupled = p.decay && s.kind === 'adamw' ? lr * s.weightDecay : 0;
      if (s.kind === 'sgd') {
        for (let j = 0; j < w.length; j++) {
          const grad = g[j] + l2 * w[j];
          m[j] = s.momentum * m[j] + grad;
          w[j] -= lr * (s.nesterov ? grad + s.momentum * m[j] : m[j]);
        }
      } else {
        const v = this.v[i];
        for (let j = 0; j < w.length; j++) {
          const grad = g[j] + l2 * w[j];
          m[j] = s.beta1 * m[j] + (1 - s.beta1) * grad;
          v[j] = s.beta2 * v[j] + (1 - s.beta2) * grad * grad;
          w[j] -= lr * (m[j] / bc1) / (Math.sqrt(v[j] / bc2) + s.eps) + decoupled * w[j];
        }
      }
    });
  }
}
