// Turns a NetworkSpec into layers. All channel arithmetic (width multiplier, rounding,
// expansion, SE width) lives here, so summary, training and export agree by construction.
import type { Activation } from '../backend/types.js';
import { BatchNormAct } from '../nn/batchnorm.js';
import { Residual, Sequential } from '../nn/container.js';
import { Conv2d } from '../nn/conv.js';
import type { Layer, LayerContext } from '../nn/layer.js';
import { Rng } from '../nn/random.js';
import { SqueezeExcite } from '../nn/se.js';
import { ActivationLayer, Dropout, GlobalAvgPool } from '../nn/simple.js';
import type { ConvSpec, NetworkSpec } from './spec.js';

export const roundUp = (v: number, divisor: number): number => Math.max(divisor, Math.ceil(v / divisor) * divisor);

function scaled(spec: NetworkSpec, c: ConvSpec): number {
  const w = c.scale === 'width' || (c.scale === 'above-one' && spec.width > 1) ? spec.width : 1;
  return roundUp(c.out * w, spec.divisor);
}

function seWidth(spec: NetworkSpec, channels: number): number {
  const r = channels / spec.se.ratio;
  return spec.se.round === 'floor' ? Math.max(1, Math.floor(r)) : roundUp(r, spec.divisor);
}

/** Conv, then BN+activation (fused) or a bare activation, then SE if asked. */
function convUnit(name: string, ctx: LayerContext, rng: Rng, spec: NetworkSpec, o: {
  cin: number; cout: number; kernel: number; stride: number; groups: number; bias: boolean; bn: boolean; act: Activation; se: boolean;
}): Layer[] {
  const layers: Layer[] = [new Conv2d(`${name}.conv`, ctx, { cin: o.cin, cout: o.cout, kernel: o.kernel, stride: o.stride, groups: o.groups, bias: o.bias }, rng)];
  if (o.bn) layers.push(new BatchNormAct(`${name}.bn`, ctx, o.cout, o.act, spec.bnMomentum, spec.bnEps));
  else if (o.act !== 'none') layers.push(new ActivationLayer(`${name}.${o.act}`, ctx, o.act));
  if (o.se) layers.push(new SqueezeExcite(`${name}.se`, ctx, o.cout, seWidth(spec, o.cout), rng, spec.se.inner, spec.se.gate));
  return layers;
}

/** A built network: its spec, root layer and initialisation stream. */
export interface Network {
  spec: NetworkSpec;
  root: Sequential;
  /** the stream dropout draws from after initialisation; its state is saved for exact resume */
  rng: Rng;
  /** channels per block of the activations' layout the layers use (LayerContext.block), 0 = NHWC */
  block: number;
}

/** Builds the layers of a spec (all width, rounding and expansion rules live here). */
export function buildNetwork(spec: NetworkSpec, ctx: LayerContext, seed = 1): Network {
  const block = ctx.block ?? 0;
  if (!Number.isInteger(block) || block < 0) throw new RangeError(`Expected a block size of 0 (NHWC) or more but received ${block}`);
  if (block && ctx.precision === 'bf16') throw new RangeError('Expected precision f32 with blocked activations (bf16 convolutions take NHWC only)');
  const rng = new Rng(seed);
  const layers: Layer[] = [];
  // The layers share this context; blocks stay on only if every feature map before the pool has
  // whole blocks of channels (checked below): a convolution from NHWC into blocks or back runs on
  // oneDNN's slow paths (test 71's spec, with 12-channel maps between 16-channel ones, trained at
  // 690 ms per step against 18 in NHWC; only the stem's NHWC images are reordered, in Conv2d).
  const layerCtx: LayerContext = { ...ctx, block };
  const featureChannels: number[] = [];
  const featureUnit = (name: string, o: Parameters<typeof convUnit>[4]) => {
    featureChannels.push(o.cout);
    return convUnit(name, layerCtx, rng, spec, o);
  };
  const stemOut = scaled(spec, spec.stem);
  layers.push(new Sequential('stem', featureUnit('stem', {
    cin: spec.inputChannels, cout: stemOut, kernel: spec.stem.kernel, stride: spec.stem.stride, groups: 1,
    bias: spec.stem.bias, bn: spec.stem.bn, act: spec.stem.act, se: spec.stem.se,
  })));
  let cin = stemOut, tableIn = spec.stem.out;
  spec.blocks.forEach((b, i) => {
    const name = `block${i + 1}`;
    const out = roundUp(b.out * spec.width, spec.divisor);
    const exp = roundUp((cin * b.exp) / tableIn, spec.divisor);
    const ops: Layer[] = [];
    let c = cin;
    spec.blockTypes[b.type].forEach((op, j) => {
      const opName = `${name}.${j + 1}${op.conv === 'depthwise' ? 'dw' : 'pw'}`;
      const cout = op.conv === 'pointwise' ? (op.out === 'exp' ? exp : out) : c * (op.multiplier === 'exp/in' ? Math.max(1, Math.floor(exp / c)) : 1);
      ops.push(...featureUnit(opName, {
        cin: c, cout, kernel: op.conv === 'depthwise' ? b.kernel : 1, stride: op.strided ? b.stride : 1,
        groups: op.conv === 'depthwise' ? c : 1, bias: op.bias, bn: op.bn,
        act: op.act === 'block' ? b.act : op.act, se: Boolean(op.se && b.se),
      }));
      c = cout;
    });
    const body = new Sequential(name, ops);
    layers.push(b.stride === 1 && cin === c ? new Residual(name, layerCtx, body) : body);
    cin = c;
    tableIn = b.out;
  });
  spec.headBeforePool.forEach((h, i) => {
    const cout = scaled(spec, h);
    layers.push(new Sequential(`head${i + 1}`, featureUnit(`head${i + 1}`, { cin, cout, kernel: h.kernel, stride: h.stride, groups: 1, bias: h.bias, bn: h.bn, act: h.act, se: h.se })));
    cin = cout;
  });
  layers.push(new GlobalAvgPool('pool', layerCtx));
  spec.headAfterPool.forEach((h, i) => {
    const cout = scaled(spec, h);
    layers.push(new Sequential(`fc${i + 1}`, convUnit(`fc${i + 1}`, layerCtx, rng, spec, { cin, cout, kernel: 1, stride: 1, groups: 1, bias: h.bias, bn: h.bn, act: h.act, se: h.se })));
    cin = cout;
  });
  if (spec.dropout > 0) layers.push(new Dropout('dropout', layerCtx, spec.dropout, rng));
  const classifier = new Conv2d('classifier', layerCtx, { cin, cout: spec.classes, kernel: 1, bias: true }, rng);
  // Small initial logits, as torchvision initialises its classifier (normal, std 0.01).
  for (let k = 0; k < classifier.weight.data.length; k++) classifier.weight.data[k] = rng.normal() * 0.01;
  layers.push(classifier);
  const root = new Sequential(spec.name, layers);
  if (ctx.precision === 'bf16') linkBf16Inputs(root);
  if (block && featureChannels.some((c) => c % block !== 0)) layerCtx.block = 0;
  return { spec, root, rng, block: layerCtx.block ?? 0 };
}

/**
 * bf16 training: each batch norm whose output goes straight into a convolution also writes that
 * output in bfloat16 for it, inside its own pass, which saves the convolution a rounding pass
 * (the bits are the same: test 20); when that convolution is the output's only reader, the batch
 * norm writes the bfloat16 copy only (halfOnly). Pairs are found in forward order across
 * containers: a residual's add between them breaks the pair, and a residual starting between them
 * (its add reads the same output in float32) keeps the pair but not halfOnly. The convolution
 * decides per shape (takesBf16).
 */
function linkBf16Inputs(root: Layer): void {
  const order: (Layer | 'fork' | 'add')[] = [];
  const walk = (l: Layer): void => {
    if (l instanceof Sequential) l.layers.forEach(walk);
    else if (l instanceof Residual) { order.push('fork'); walk(l.body); order.push('add'); }
    else order.push(l);
  };
  walk(root);
  for (let i = 0; i + 1 < order.length; i++) {
    const a = order[i];
    if (!(a instanceof BatchNormAct)) continue;
    let j = i + 1;
    while (order[j] === 'fork') j++;
    const b = order[j];
    if (b instanceof Conv2d) {
      a.halfFor = b;
      a.halfOnly = j === i + 1;
    }
  }
}
