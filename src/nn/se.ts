// Squeeze-and-excite: y = x * hsigmoid(FC2(relu(FC1(avgpool(x))))), FCs as 1x1 convs without bias.
import type { Activation } from '../backend/types.js';
import { Sequential } from './container.js';
import { Conv2d } from './conv.js';
import type { Buffer, GraphNode, Layer, LayerContext, LayerInfo, Param } from './layer.js';
import type { Rng } from './random.js';
import { ActivationLayer, GlobalAvgPool } from './simple.js';
import { channelView, Slot, type Shape, type Tensor } from './tensor.js';

export class SqueezeExcite implements Layer {
  readonly gate: Sequential;
  private x: Tensor | null = null;
  private s: Tensor | null = null;
  private readonly out = new Slot();
  private readonly dxSlot = new Slot();
  private readonly dsSlot = new Slot();

  constructor(readonly name: string, private readonly ctx: LayerContext, readonly channels: number, readonly reduced: number,
    rng: Rng, readonly inner: Activation = 'relu', readonly gateAct: Activation = 'hsigmoid') {
    this.gate = new Sequential(name, [
      new GlobalAvgPool(`${name}.pool`, ctx),
      new Conv2d(`${name}.fc1`, ctx, { cin: channels, cout: reduced, kernel: 1 }, rng),
      new ActivationLayer(`${name}.${inner}`, ctx, inner),
      new Conv2d(`${name}.fc2`, ctx, { cin: reduced, cout: channels, kernel: 1 }, rng),
      new ActivationLayer(`${name}.${gateAct}`, ctx, gateAct),
    ]);
  }
  graph(): GraphNode {
    return { op: 'se', name: this.name, channels: this.channels, reduced: this.reduced, inner: this.inner, gate: this.gateAct, fc1: `${this.name}.fc1`, fc2: `${this.name}.fc2` };
  }
  params(): Param[] {
    return this.gate.params();
  }
  buffers(): Buffer[] {
    return [];
  }
  outputShape(s: Shape): Shape {
    this.gate.outputShape(s);
    return s;
  }
  describe(s: Shape): LayerInfo[] {
    const inner = this.gate.describe(s);
    const params = inner.reduce((a, r) => a + r.params, 0);
    const macs = inner.reduce((a, r) => a + r.macs, 0);
    return [{ name: this.name, kind: `se(${this.channels}->${this.reduced})`, inShape: s, outShape: s, params, nonTrainable: 0, macs }];
  }
  forward(x: Tensor, training: boolean): Tensor {
    this.x = x;
    this.s = this.gate.forward(x, training);
    const y = this.out.take(x.shape, x.block);
    this.ctx.backend.channelScaleForward(...channelView(x), x.data, this.s.data, y.data);
    return y;
  }
  backward(dy: Tensor): Tensor {
    const x = this.x!, [n, , , c] = x.shape;
    const dx = this.dxSlot.take(x.shape, x.block), ds = this.dsSlot.take([n, 1, 1, c]);
    this.ctx.backend.channelScaleBackward(...channelView(x), x.data, this.s!.data, dy.data, dx.data, ds.data);
    const dGate = this.gate.backward(ds);
    this.ctx.backend.add(dx.data, dGate.data, dx.data);
    return dx;
  }
}
