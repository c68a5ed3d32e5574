// 2-D convolution, TensorFlow 'same' padding, groups (depthwise = groups == cin), optional bias.
import { convPrecision, HalfSlot } from '../backend/bf16.js';
import type { ConvGeometry, ConvInput } from '../backend/types.js';
import { leafInfo, newParam, type GraphNode, type Layer, type LayerContext, type LayerInfo, type Param } from './layer.js';
import type { Rng } from './random.js';
import { formatShape, noGrad, Slot, type Shape, type Tensor } from './tensor.js';

export interface ConvOptions {
  cin: number;
  cout: number;
  kernel: number;
  stride?: number;
  groups?: number;
  bias?: boolean;
}

export function samePadding(size: number, kernel: number, stride: number): { out: number; before: number; after: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

// The rounded output gradient lives only inside one backward() call, so every convolution shares one.
const dyHalf = new HalfSlot();

export class Conv2d implements Layer {
  readonly weight: Param;
  readonly bias: Param | null;
  readonly cin: number;
  readonly cout: number;
  readonly kernel: number;
  readonly stride: number;
  readonly groups: number;
  private x: Tensor | null = null;
  private geometry: ConvGeometry | null = null;
  /** the input the forward used: x.data, or (bf16) x.half or x rounded into xHalf, kept for the weight gradient */
  private xUsed: ConvInput | null = null;
  private readonly xHalf = new HalfSlot();
  private readonly out = new Slot();
  private readonly dxSlot = new Slot();
  /** The output's block when this convolution runs on NHWC and its output is reordered into blocks (see blocks()). */
  private reorderTo = 0;
  /** Its NHWC output in forward, then its output's NHWC gradient in backward (one buffer: the first is dead by then). */
  private readonly nhwc = new Slot();

  constructor(readonly name: string, private readonly ctx: LayerContext, o: ConvOptions, rng: Rng) {
    this.cin = o.cin;
    this.cout = o.cout;
    this.kernel = o.kernel;
    this.stride = o.stride ?? 1;
    this.groups = o.groups ?? 1;
    for (const [k, v] of [['cin', this.cin], ['cout', this.cout], ['kernel', this.kernel], ['stride', this.stride], ['groups', this.groups]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Expected a positive integer for ${name}.${k} but received ${v}`);
    }
    if (this.cin % this.groups || this.cout % this.groups) {
      throw new RangeError(`Expected cin and cout divisible by groups for ${name} but received cin ${this.cin}, cout ${this.cout}, groups ${this.groups}`);
    }
    this.weight = newParam(`${name}.weight`, [this.kernel, this.kernel, this.cin / this.groups, this.cout], true);
    this.bias = o.bias ? newParam(`${name}.bias`, [this.cout], false) : null;
    // He-normal over fan-out, as torchvision's MobileNetV3 initialises its convolutions.
    const std = Math.sqrt(2 / ((this.kernel * this.kernel * this.cout) / this.groups));
    for (let i = 0; i < this.weight.data.length; i++) this.weight.data[i] = rng.normal() * std;
  }

  graph(): GraphNode {
    return { op: 'conv', name: this.name, cin: this.cin, cout: this.cout, kernel: this.kernel, stride: this.stride, groups: this.groups, bias: this.bias !== null };
  }
  params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }
  buffers() {
    return [];
  }

  geometryFor(s: Shape): ConvGeometry {
    if (s[3] !== this.cin) throw new RangeError(`Expected ${this.cin} input channels for ${this.name} but received shape ${formatShape(s)}`);
    const py = samePadding(s[1], this.kernel, this.stride), px = samePadding(s[2], this.kernel, this.stride);
    return {
      n: s[0], h: s[1], w: s[2], cin: this.cin, cout: this.cout, kh: this.kernel, kw: this.kernel,
      stride: this.stride, groups: this.groups, oh: py.out, ow: px.out,
      padTop: py.before, padBottom: py.after, padLeft: px.before, padRight: px.after,
    };
  }

  /**
   * The geometry with the input's block and the output's (LayerContext.block): a depthwise output
   * keeps its input's layout (cmv3's blocked kernels read and write the same block); any other
   * output is blocked when it has more than one pixel and whole blocks of channels.
   */
  private blocks(g: ConvGeometry, srcBlock: number): ConvGeometry {
    const b = this.ctx.block ?? 0;
    this.reorderTo = 0;
    if (!b && !srcBlock) return g;
    const depthwise = this.groups === this.cin && this.groups > 1;
    const dstBlock = depthwise ? srcBlock : b && g.oh * g.ow > 1 && g.cout % b === 0 ? b : 0;
    // oneDNN 2.6 has no fast path from NHWC into blocks for a spatial kernel (the stem's 3x3 took
    // 420 ms of weight gradient per step at batch 32 as nhwc -> nChw8c): such a convolution runs
    // on NHWC, and its output (and the output's gradient) are reordered (layoutReorder).
    if (!depthwise && !srcBlock && dstBlock && (g.kh > 1 || g.kw > 1)) {
      this.reorderTo = dstBlock;
      return { ...g, srcBlock: 0, dstBlock: 0 };
    }
    return { ...g, srcBlock, dstBlock };
  }

  outputShape(s: Shape): Shape {
    const g = this.geometryFor(s);
    return [g.n, g.oh, g.ow, g.cout];
  }

  describe(s: Shape): LayerInfo[] {
    const g = this.geometryFor(s);
    const kind = this.groups === 1 ? `conv${this.kernel}x${this.kernel}` : this.groups === this.cin ? `dwconv${this.kernel}x${this.kernel}` : `gconv${this.kernel}x${this.kernel}`;
    return leafInfo(this, kind, s, g.oh * g.ow * g.cout * g.kh * g.kw * (g.cin / g.groups));
  }

  /** Whether this convolution reads an input of this shape in bfloat16 (so a producer may hand it x.half). */
  takesBf16(s: Shape): boolean {
    return convPrecision(this.ctx.precision ?? 'f32', this.geometryFor(s)) === 'bf16';
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const g = this.blocks(this.geometryFor(x.shape), x.block ?? 0);
    this.x = x;
    this.geometry = g;
    this.xUsed = x.data;
    if (convPrecision(this.ctx.precision ?? 'f32', g) === 'bf16') {
      // The producer may have rounded x already (BatchNormAct.halfFor), in the same bits.
      this.xUsed = x.half ?? this.xHalf.take(x.data.length);
      if (!x.half) this.ctx.backend.toBf16(x.data, this.xUsed);
    }
    const shape = [g.n, g.oh, g.ow, g.cout] as const;
    const y = this.reorderTo ? this.nhwc.take(shape) : this.out.take(shape, g.dstBlock ?? 0);
    this.ctx.backend.conv2dForward(g, this.xUsed, this.weight.data, this.bias?.data ?? null, y.data);
    if (this.reorderTo) {
      const blocked = this.out.take(shape, this.reorderTo);
      this.ctx.backend.layoutReorder(g.n, g.oh * g.ow, g.cout, this.reorderTo, y.data, blocked.data, true);
      return blocked;
    }
    return this.xUsed instanceof Uint16Array ? { ...y, gradInBf16: true } : y;
  }

  backward(dy: Tensor, inputGrad = true): Tensor {
    const g = this.geometry!, x = this.x!, xUsed = this.xUsed!;
    let dyUsed: ConvInput = dy.data;
    if (this.reorderTo) {
      dyUsed = this.nhwc.take(dy.shape).data;
      this.ctx.backend.layoutReorder(g.n, g.oh * g.ow, g.cout, this.reorderTo, dy.data, dyUsed, false);
    }
    if (xUsed instanceof Uint16Array) {
      dyUsed = dy.half ?? dyHalf.take(dy.data.length);
      if (!dy.half) this.ctx.backend.toBf16(dy.data, dyUsed);
    }
    this.ctx.backend.conv2dBackwardWeights(g, xUsed, dyUsed, this.weight.grad, this.bias?.grad ?? null);
    if (!inputGrad) return noGrad(x.shape);
    const dx = this.dxSlot.take(x.shape, g.srcBlock ?? 0);
    this.ctx.backend.conv2dBackwardData(g, dyUsed, this.weight.data, dx.data);
    return dx;
  }
}
