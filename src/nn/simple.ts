// Parameter-free layers: activation, global average pooling, dropout.
import type { Activation } from '../backend/types.js';
import { leafInfo, type GraphNode, type Layer, type LayerContext, type LayerInfo } from './layer.js';
import type { Rng } from './random.js';
import { channelView, Slot, type Shape, type Tensor } from './tensor.js';

abstract class ParameterFree implements Layer {
  protected readonly out = new Slot();
  protected readonly dxSlot = new Slot();
  constructor(readonly name: string, protected readonly ctx: LayerContext) {}
  params() {
    return [];
  }
  buffers() {
    return [];
  }
  outputShape(s: Shape): Shape {
    return s;
  }
  abstract graph(): GraphNode;
  abstract describe(s: Shape): LayerInfo[];
  abstract forward(x: Tensor, training: boolean): Tensor;
  abstract backward(dy: Tensor): Tensor;
}

export class ActivationLayer extends ParameterFree {
  private x: Tensor | null = null;
  constructor(name: string, ctx: LayerContext, readonly act: Activation) {
    super(name, ctx);
  }
  graph(): GraphNode {
    return { op: 'activation', name: this.name, act: this.act };
  }
  describe(s: Shape): LayerInfo[] {
    return leafInfo(this, this.act, s, 0);
  }
  forward(x: Tensor): Tensor {
    this.x = x;
    const y = this.out.take(x.shape, x.block);
    this.ctx.backend.activationForward(this.act, x.data, y.data);
    return y;
  }
  backward(dy: Tensor): Tensor {
    const dx = this.dxSlot.take(dy.shape, this.x!.block);
    this.ctx.backend.activationBackward(this.act, this.x!.data, dy.data, dx.data);
    return dx;
  }
}

/** (N, H, W, C) -> (N, 1, 1, C); the output is NHWC whatever the input's layout (channelView). */
export class GlobalAvgPool extends ParameterFree {
  private input: { shape: Shape; block?: number } | null = null;
  override outputShape(s: Shape): Shape {
    return [s[0], 1, 1, s[3]];
  }
  graph(): GraphNode {
    return { op: 'avgpool', name: this.name };
  }
  describe(s: Shape): LayerInfo[] {
    return leafInfo(this, 'avgpool', s, 0);
  }
  forward(x: Tensor): Tensor {
    const [n, , , c] = x.shape;
    this.input = { shape: x.shape, block: x.block };
    const y = this.out.take([n, 1, 1, c]);
    this.ctx.backend.globalAvgPoolForward(...channelView(x), x.data, y.data);
    return y;
  }
  backward(dy: Tensor): Tensor {
    const input = this.input!;
    const dx = this.dxSlot.take(input.shape, input.block);
    this.ctx.backend.globalAvgPoolBackward(...channelView(input), dy.data, dx.data);
    return dx;
  }
}

/** Inverted dropout: kept units are scaled by 1/(1-rate) in training, identity at inference. */
export class Dropout extends ParameterFree {
  private mask = new Float32Array(0);
  private active = false;
  constructor(name: string, ctx: LayerContext, readonly rate: number, private readonly rng: Rng) {
    super(name, ctx);
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`Expected a dropout rate in [0, 1) for ${name} but received ${rate}`);
  }
  graph(): GraphNode {
    return { op: 'dropout', name: this.name, rate: this.rate };
  }
  describe(s: Shape): LayerInfo[] {
    return leafInfo(this, 'dropout', s, 0);
  }
  forward(x: Tensor, training: boolean): Tensor {
    this.active = training && this.rate > 0;
    if (!this.active) return x;
    if (this.mask.length !== x.data.length) this.mask = new Float32Array(x.data.length);
    const keep = 1 - this.rate, y = this.out.take(x.shape, x.block);
    for (let i = 0; i < x.data.length; i++) {
      this.mask[i] = this.rng.next() < keep ? 1 / keep : 0;
      y.data[i] = x.data[i] * this.mask[i];
    }
    return y;
  }
  backward(dy: Tensor): Tensor {
    if (!this.active) return dy;
    const dx = this.dxSlot.take(dy.shape, dy.block);
    for (let i = 0; i < dy.data.length; i++) dx.data[i] = dy.data[i] * this.mask[i];
    return dx;
  }
}
