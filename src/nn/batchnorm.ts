// Batch normalisation fused with the activation that follows it (one pass over memory, not two).
import type { Activation } from '../backend/types.js';
import { leafInfo, newParam, type Buffer, type GraphNode, type Layer, type LayerContext, type LayerInfo, type Param } from './layer.js';
import { HalfSlot } from '../backend/bf16.js';
import type { Conv2d } from './conv.js';
import { formatShape, halfTensor, layoutOf, Slot, type Shape, type Tensor } from './tensor.js';

export class BatchNormAct implements Layer {
  readonly gamma: Param;
  readonly beta: Param;
  readonly movingMean: Buffer;
  readonly movingVariance: Buffer;
  private readonly batchMean: Float32Array;
  private readonly batchVariance: Float32Array;
  private x: Tensor | null = null;
  private readonly out = new Slot();
  private readonly dxSlot = new Slot();
  private readonly dxHalf = new HalfSlot();
  private readonly yHalf = new HalfSlot();
  /**
   * The bfloat16 convolution this layer's output goes to, if any (set by linkBf16Inputs): training
   * forward then also writes y rounded to bfloat16, in the pass that writes y, for it to read.
   */
  halfFor: Conv2d | null = null;
  /**
   * Whether halfFor is the only reader of this layer's output (no residual add takes it too): the
   * training forward then writes y in bfloat16 only, and the float32 y is neither written nor kept.
   */
  halfOnly = false;

  /** momentum: the weight of the old moving statistic (Keras convention, 0.99 there). */
  constructor(readonly name: string, private readonly ctx: LayerContext, readonly channels: number,
    readonly act: Activation, readonly momentum = 0.9, readonly eps = 1e-3) {
    this.gamma = newParam(`${name}.gamma`, [channels], false);
    this.beta = newParam(`${name}.beta`, [channels], false);
    this.beta.group = 'bnBias';
    this.gamma.data.fill(1);
    this.movingMean = { name: `${name}.moving_mean`, data: new Float32Array(channels) };
    this.movingVariance = { name: `${name}.moving_variance`, data: new Float32Array(channels).fill(1) };
    this.batchMean = new Float32Array(channels);
    this.batchVariance = new Float32Array(channels);
  }

  graph(): GraphNode {
    return { op: 'batchnorm', name: this.name, channels: this.channels, act: this.act, momentum: this.momentum, eps: this.eps };
  }
  params(): Param[] {
    return [this.gamma, this.beta];
  }
  buffers(): Buffer[] {
    return [this.movingMean, this.movingVariance];
  }
  outputShape(s: Shape): Shape {
    if (s[3] !== this.channels) throw new RangeError(`Expected ${this.channels} channels for ${this.name} but received shape ${formatShape(s)}`);
    return s;
  }
  describe(s: Shape): LayerInfo[] {
    return leafInfo(this, this.act === 'none' ? 'bn' : `bn+${this.act}`, s, 0);
  }

  forward(x: Tensor, training: boolean): Tensor {
    const c = this.channels, rows = x.data.length / c;
    this.outputShape(x.shape);
    const b = this.ctx.backend;
    if (!training) {
      const y = this.out.take(x.shape, x.block);
      b.batchNormActForwardInference(rows, c, x.data, this.gamma.data, this.beta.data, this.movingMean.data, this.movingVariance.data, this.eps, this.act, y.data, layoutOf(x));
      return y;
    }
    this.x = x;
    const half = this.halfFor?.takesBf16(x.shape) ? this.yHalf.take(x.data.length) : null;
    // Only the bfloat16 copy when the convolution is the sole reader: a float32 twin would be
    // written and kept for nobody.
    const only = half !== null && this.halfOnly;
    if (only) this.out.release();
    const y = only ? halfTensor(x.shape, half) : this.out.take(x.shape, x.block);
    if (half) y.half = half;
    b.batchNormActForwardTraining(rows, c, x.data, this.gamma.data, this.beta.data, this.eps, this.act,
      only ? null : y.data, this.batchMean, this.batchVariance, half, layoutOf(x));
    // Moving variance uses the unbiased batch variance, as Keras and PyTorch do.
    const m = this.momentum, unbias = rows > 1 ? rows / (rows - 1) : 1;
    for (let k = 0; k < c; k++) {
      this.movingMean.data[k] = m * this.movingMean.data[k] + (1 - m) * this.batchMean[k];
      this.movingVariance.data[k] = m * this.movingVariance.data[k] + (1 - m) * this.batchVariance[k] * unbias;
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    const x = this.x!, c = this.channels;
    const dx = this.dxSlot.take(x.shape, x.block);
    // A bfloat16 convolution made x: hand it the gradient in bfloat16 straight from the kernel.
    const half = x.gradInBf16 ? this.dxHalf.take(x.data.length) : null;
    this.ctx.backend.batchNormActBackward(x.data.length / c, c, x.data, dy.data, this.gamma.data, this.beta.data,
      this.batchMean, this.batchVariance, this.eps, this.act, dx.data, this.gamma.grad, this.beta.grad, half, layoutOf(x));
    return half ? halfTensor(x.shape, half) : dx;
  }
}
