// Composition: a sequence of layers, and a residual wrapper (y = x + body(x)).
import type { Buffer, GraphNode, Layer, LayerContext, LayerInfo, Param } from './layer.js';
import { formatShape, sameShape, Slot, type Shape, type Tensor } from './tensor.js';

export class Sequential implements Layer {
  constructor(readonly name: string, readonly layers: Layer[]) {}
  graph(): GraphNode {
    return { op: 'sequential', name: this.name, layers: this.layers.map((l) => l.graph()) };
  }
  params(): Param[] {
    return this.layers.flatMap((l) => l.params());
  }
  buffers(): Buffer[] {
    return this.layers.flatMap((l) => l.buffers());
  }
  outputShape(s: Shape): Shape {
    return this.layers.reduce((shape, l) => l.outputShape(shape), s);
  }
  describe(s: Shape): LayerInfo[] {
    const rows: LayerInfo[] = [];
    for (const l of this.layers) {
      rows.push(...l.describe(s));
      s = l.outputShape(s);
    }
    return rows;
  }
  forward(x: Tensor, training: boolean): Tensor {
    for (const l of this.layers) x = l.forward(x, training);
    return x;
  }
  backward(dy: Tensor, inputGrad = true): Tensor {
    for (let i = this.layers.length - 1; i >= 0; i--) dy = this.layers[i].backward(dy, i > 0 || inputGrad);
    return dy;
  }
}

export class Residual implements Layer {
  private readonly out = new Slot();
  private readonly dxSlot = new Slot();
  constructor(readonly name: string, private readonly ctx: LayerContext, readonly body: Layer) {}
  graph(): GraphNode {
    return { op: 'residual', name: this.name, body: this.body.graph() };
  }
  params(): Param[] {
    return this.body.params();
  }
  buffers(): Buffer[] {
    return this.body.buffers();
  }
  outputShape(s: Shape): Shape {
    const o = this.body.outputShape(s);
    if (!sameShape(o, s)) throw new RangeError(`Expected ${this.name} to keep its shape ${formatShape(s)} but its body gives ${formatShape(o)}`);
    return s;
  }
  describe(s: Shape): LayerInfo[] {
    const rows = this.body.describe(s);
    rows.push({ name: `${this.name}.add`, kind: 'add', inShape: s, outShape: this.outputShape(s), params: 0, nonTrainable: 0, macs: 0 });
    return rows;
  }
  forward(x: Tensor, training: boolean): Tensor {
    const b = this.body.forward(x, training);
    if ((b.block ?? 0) !== (x.block ?? 0)) throw new RangeError(`Expected ${this.name}'s body to keep its input's layout (block ${x.block ?? 0}) but it gives block ${b.block ?? 0}`);
    const y = this.out.take(x.shape, x.block);
    this.ctx.backend.add(x.data, b.data, y.data);
    return y;
  }
  backward(dy: Tensor): Tensor {
    const dBody = this.body.backward(dy);
    const dx = this.dxSlot.take(dy.shape, dy.block);
    this.ctx.backend.add(dy.data, dBody.data, dx.data);
    return dx;
  }
}

/** The leaf layers under root in forward order (a residual's add is not a layer). */
export function leaves(root: Layer, out: Layer[] = []): Layer[] {
  if (root instanceof Sequential) root.layers.forEach((l) => leaves(l, out));
  else if (root instanceof Residual) leaves(root.body, out);
  else out.push(root);
  return out;
}
