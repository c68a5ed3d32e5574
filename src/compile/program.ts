// An int8 deployment graph as the layer program cmv3's own C runs (compile.ts writes it out):
// - every chain of element-wise ops (HARD_SWISH, RELU, the Mish CAST/ADD/GATHER chain, LOGISTIC,
//   ...) becomes one 256-entry table, computed by running the int8 engine itself on all 256
//   input levels, so it is the engine's arithmetic by construction; a chain after a convolution
//   is fused into its requantization (no tensor, int32 or int8, is left between them);
// - a depthwise convolution whose only reader is a 1x1 convolution runs fused with it row by
//   row, and a 1x1 convolution whose only reader is a depthwise runs fused with it through a ring
//   of rows: the wide tensors of an inverted bottleneck never exist whole (MCUNetV2-style);
// - RESHAPE is a view. Everything else is one kernel call with TFLite Micro's Prepare numbers.
import { Int8Engine } from '../deploy/engine-int8.js';
import * as k from '../deploy/int8/kernels.js';
import { prepareSoftmaxMicro, type SoftmaxMicroPrepared } from '../deploy/int8/softmax-micro.js';
import { consumers, elementCount, type Graph, type OpDef, type TensorDef } from '../deploy/ir.js';
import { ExportError } from '../deploy/lower.js';

/** A convolution with everything its C struct needs. */
export interface ConvLayerParams {
  depthwise: boolean;
  pointwise: boolean;
  pp: k.ConvPrepared;
  weights: Int8Array;
  /** as stored in the model (pointwise: compile.ts folds the input zero point in) */
  bias: Int32Array;
  lut: Int8Array | null;
  /** a depthwise with a channel multiplier whose output channels are planar (mcu/cmv3_kernels.h) */
  planar: boolean;
}

/** `ops`: the graph ops a layer computes (fused ones included), for profiles and cost comparisons. */
export type Layer = { ops: number[] } & (
  | { kind: 'conv'; name: string; x: number; y: number; conv: ConvLayerParams }
  | { kind: 'dwpw'; name: string; x: number; y: number; dw: ConvLayerParams; pw: ConvLayerParams }
  | { kind: 'pwdw'; name: string; x: number; y: number; pw: ConvLayerParams; dw: ConvLayerParams }
  | { kind: 'avgpool'; name: string; x: number; y: number; pp: k.AvgPoolPrepared }
  | { kind: 'mul'; name: string; x: number; g: number; y: number; pp: k.MulPrepared; pixels: number; channels: number }
  | { kind: 'add'; name: string; a: number; b: number; y: number; pp: k.AddPrepared }
  | { kind: 'lut'; name: string; x: number; y: number; table: Int8Array }
  | { kind: 'softmax'; name: string; x: number; y: number; pm: SoftmaxMicroPrepared; rows: number; depth: number });

export interface Program {
  graph: Graph;
  layers: Layer[];
  /** activation values (graph tensor ids, views resolved), bytes of each */
  bytes: Map<number, number>;
  input: number;
  output: number;
}

/** Ops that map each element of their one activation input to one output element. */
const ELEMENTWISE = new Set(['HARD_SWISH', 'LOGISTIC', 'TANH', 'EXP', 'LOG', 'RELU', 'RELU6', 'LEAKY_RELU', 'CAST', 'ADD', 'MUL', 'GATHER']);

/** The activation input of an element-wise op with constant side inputs, else -1. */
function elementwiseInput(g: Graph, o: OpDef): number {
  if (!ELEMENTWISE.has(o.op)) return -1;
  const t = g.tensors, live = o.inputs.filter((i) => !t[i].data);
  if (live.length !== 1) return -1;
  const x = live[0];
  if (o.op === 'GATHER') return o.inputs[1] === x && t[o.inputs[0]].shape.length === 1 ? x : -1;
  // ADD / MUL with a constant: only a single value broadcast over every element
  if ((o.op === 'ADD' || o.op === 'MUL') && o.inputs.some((i) => t[i].data && elementCount(t[i].shape) !== 1)) return -1;
  return elementCount(t[o.outputs[0]].shape) === elementCount(t[x].shape) ? x : -1;
}

/**
 * The element-wise chain starting at op i: each later op the only reader of the tensor before,
 * cut at the last int8 tensor (the Mish chain passes through int32). null: it never reaches int8.
 */
function chainFrom(g: Graph, i: number, users: number[][], outputs: Set<number>): { ops: number[]; y: number } | null {
  const chain = [i];
  let t = g.ops[i].outputs[0], best = g.tensors[t].dtype === 'int8' ? { ops: [i], y: t } : null;
  while (!outputs.has(t) && users[t].length === 1) {
    const j = users[t][0];
    if (elementwiseInput(g, g.ops[j]) !== t) break;
    chain.push(j);
    t = g.ops[j].outputs[0];
    if (g.tensors[t].dtype === 'int8') best = { ops: [...chain], y: t };
  }
  return best;
}

/** The chain's 256-entry table: the int8 engine run on a (1, 256) tensor holding every level. */
export function tabulateChain(g: Graph, x: number, ops: number[]): Int8Array {
  const map = new Map<number, number>(), tensors: TensorDef[] = [];
  const remap = (i: number): number => {
    if (!map.has(i)) {
      const t = g.tensors[i];
      map.set(i, tensors.length);
      tensors.push(t.data ? t : { ...t, shape: [1, 256] });
    }
    return map.get(i)!;
  };
  const input = remap(x);
  const sub = ops.map((i) => { const o = g.ops[i]; return { ...o, inputs: o.inputs.map(remap), outputs: o.outputs.map(remap) } as OpDef; });
  const y = map.get(g.ops[ops.at(-1)!].outputs[0])!;
  const engine = new Int8Engine({ tensors, ops: sub, inputs: [input], outputs: [y], description: '' }, 'reference', 'typescript');
  const levels = new Int8Array(256);
  for (let i = 0; i < 256; i++) levels[i] = i; // byte i is the int8 value whose uint8 is i
  return Int8Array.from(engine.run(levels)[0]);
}

function convParams(g: Graph, o: OpDef & { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' }): ConvLayerParams {
  const [x, wi, bi] = o.inputs, y = o.outputs[0], t = g.tensors, s = t[x].shape, w = t[wi], dw = o.op === 'DEPTHWISE_CONV_2D';
  const tq = (i: number) => ({ scale: t[i].quant!.scale[0], zeroPoint: t[i].quant!.zeroPoint[0] });
  const geometry = { batch: s[0], inH: s[1], inW: s[2], inC: s[3], outC: t[y].shape[3], kH: w.shape[1], kW: w.shape[2], stride: o.stride, padding: o.padding };
  const params = { input: tq(x), output: tq(y), weightScales: w.quant!.scale, act: o.act, runtime: 'reference' as const };
  const pp = dw ? k.prepareDepthwiseConv2d(geometry, params) : k.prepareConv2d(geometry, params);
  if (s[0] !== 1) throw new ExportError(`${t[y].name}: cmv3 compile runs batch 1 only`, 'ERR_COMPILE_UNSUPPORTED');
  if (!(w.data instanceof Int8Array) || !(t[bi]?.data instanceof Int32Array)) throw new ExportError(`${t[y].name}: cmv3 compile needs constant int8 weights and an int32 bias`, 'ERR_COMPILE_UNSUPPORTED');
  if (pp.g.kH > 16 || pp.g.multiplier > 16) throw new ExportError(`${o.op} ${t[y].name}: kernels up to 16x16 and channel multipliers up to 16 are supported`, 'ERR_COMPILE_UNSUPPORTED');
  const pointwise = !dw && pp.g.kH === 1 && pp.g.kW === 1 && pp.g.stride === 1 && pp.g.padT === 0 && pp.g.padL === 0;
  return { depthwise: dw, pointwise, pp, weights: w.data, bias: t[bi].data as Int32Array, lut: null, planar: false };
}

const tqOf = (t: TensorDef) => {
  if (!t.quant || t.quant.scale.length !== 1) throw new ExportError(`${t.name} needs per-tensor quantization`, 'ERR_COMPILE_UNSUPPORTED');
  return { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] };
};

/** Builds the program; an op cmv3's C cannot run is one error naming every such op. */
export function buildProgram(g: Graph): Program {
  const t = g.tensors, users = consumers(g), outputs = new Set(g.outputs), layers: Layer[] = [];
  if (g.inputs.length !== 1 || g.outputs.length !== 1) throw new ExportError('cmv3 compile needs a model with one input and one output', 'ERR_COMPILE_UNSUPPORTED');
  if (t[g.inputs[0]].dtype !== 'int8' || t[g.outputs[0]].dtype !== 'int8') throw new ExportError('cmv3 compile needs an int8 model (int8 input and output); export or quantize with --int8', 'ERR_COMPILE_UNSUPPORTED');
  const view = new Map<number, number>(); // RESHAPE output -> the tensor it views
  const at = (i: number): number => (view.has(i) ? at(view.get(i)!) : i);
  const done = new Set<number>(), unsupported: string[] = [];
  // the element-wise ops after a convolution, when the convolution's output feeds only them
  const absorbChain = (y: number): { table: Int8Array | null; y: number; ops: number[] } => {
    const next = users[y].length === 1 && !outputs.has(y) ? users[y][0] : -1;
    const chain = next >= 0 && elementwiseInput(g, g.ops[next]) === y ? chainFrom(g, next, users, outputs) : null;
    if (!chain) return { table: null, y, ops: [] };
    chain.ops.forEach((i) => done.add(i));
    return { table: tabulateChain(g, y, chain.ops), y: chain.y, ops: chain.ops };
  };
  g.ops.forEach((o, i) => {
    if (done.has(i)) return;
    const name = t[o.outputs[0]].name;
    try {
      if (o.op === 'CONV_2D' || o.op === 'DEPTHWISE_CONV_2D') {
        const conv = convParams(g, o), fused = absorbChain(o.outputs[0]);
        conv.lut = fused.table;
        layers.push({ kind: 'conv', name, x: at(o.inputs[0]), y: fused.y, conv, ops: [i, ...fused.ops] });
      } else if (elementwiseInput(g, o) >= 0 && t[elementwiseInput(g, o)].dtype === 'int8') {
        const x = elementwiseInput(g, o), chain = chainFrom(g, i, users, outputs);
        if (!chain) throw new ExportError(`${o.op} ${name} does not end in an int8 tensor`, 'ERR_COMPILE_UNSUPPORTED');
        chain.ops.forEach((j) => done.add(j));
        layers.push({ kind: 'lut', name, x: at(x), y: chain.y, table: tabulateChain(g, x, chain.ops), ops: chain.ops });
      } else if (o.op === 'AVERAGE_POOL_2D') {
        const s = t[o.inputs[0]].shape;
        const pp = k.prepareAvgPool({ batch: s[0], inH: s[1], inW: s[2], channels: s[3] }, o.filter, o.stride, o.padding, tqOf(t[o.outputs[0]]), o.act);
        layers.push({ kind: 'avgpool', name, x: at(o.inputs[0]), y: o.outputs[0], pp, ops: [i] });
      } else if (o.op === 'MUL' && t[o.outputs[0]].dtype === 'int8') {
        layers.push({ ...mulLayer(g, o as OpDef & { op: 'MUL' }, name, at), ops: [i] });
      } else if (o.op === 'ADD' && t[o.outputs[0]].dtype === 'int8') {
        const [a, b] = o.inputs, y = o.outputs[0];
        const pp = k.prepareAdd(t[a].shape, t[b].shape, { a: tqOf(t[a]), b: tqOf(t[b]), output: tqOf(t[y]), act: o.act, runtime: 'reference' });
        if (pp.idxA || pp.idxB) throw new ExportError(`ADD ${name}: only inputs of equal shapes are supported`, 'ERR_COMPILE_UNSUPPORTED');
        layers.push({ kind: 'add', name, a: at(a), b: at(b), y, pp, ops: [i] });
      } else if (o.op === 'RESHAPE') {
        view.set(o.outputs[0], o.inputs[0]);
      } else if (o.op === 'SOFTMAX') {
        const out = tqOf(t[o.outputs[0]]), shape = t[o.outputs[0]].shape, depth = shape[shape.length - 1];
        if (Math.fround(out.scale) !== 1 / 256 || out.zeroPoint !== -128) throw new ExportError(`SOFTMAX ${name}: needs output scale 1/256 and zero point -128`, 'ERR_COMPILE_UNSUPPORTED');
        const pm = prepareSoftmaxMicro(tqOf(t[o.inputs[0]]), o.beta);
        layers.push({ kind: 'softmax', name, x: at(o.inputs[0]), y: o.outputs[0], pm, rows: elementCount(shape) / depth, depth, ops: [i] });
      } else {
        throw new ExportError(`${o.op} ${name}`, 'ERR_COMPILE_UNSUPPORTED');
      }
    } catch (e) {
      if (!(e instanceof ExportError)) throw e;
      unsupported.push(e.message);
    }
  });
  if (unsupported.length) throw new ExportError(`cmv3 compile does not support: ${unsupported.join('; ')}`, 'ERR_COMPILE_UNSUPPORTED');
  const fusedLayers = fusePairs(fusePairs(layers, outputs, 'dwpw'), outputs, 'pwdw');
  const bytes = new Map<number, number>();
  for (const l of fusedLayers) for (const v of valuesOf(l)) bytes.set(v, elementCount(t[v].shape));
  return { graph: g, layers: fusedLayers, bytes, input: g.inputs[0], output: at(g.outputs[0]) };
}

function mulLayer(g: Graph, o: OpDef & { op: 'MUL' }, name: string, at: (i: number) => number): Layer & { kind: 'mul' } {
  const t = g.tensors, [a, b] = o.inputs, y = o.outputs[0];
  const [x, gate] = elementCount(t[a].shape) >= elementCount(t[b].shape) ? [a, b] : [b, a];
  const pp = k.prepareMul(t[x].shape, t[gate].shape, { a: tqOf(t[x]), b: tqOf(t[gate]), output: tqOf(t[y]), act: o.act, runtime: 'reference' });
  const xs = t[x].shape, gs = t[gate].shape, n = elementCount(xs), channels = xs[xs.length - 1];
  const same = elementCount(gs) === n && !pp.idxA && !pp.idxB;
  const perChannel = elementCount(gs) === channels && gs[gs.length - 1] === channels && elementCount(t[y].shape) === n;
  if (!same && !perChannel) throw new ExportError(`MUL ${name}: only equal shapes or a per-channel vector are supported`, 'ERR_COMPILE_UNSUPPORTED');
  return { kind: 'mul', name, x: at(x), g: at(gate), y, pp, pixels: same ? n : n / channels, channels: same ? 0 : channels, ops: [] };
}

/** The activation values a layer reads and writes. */
export function valuesOf(l: Layer): number[] {
  switch (l.kind) {
    case 'mul': return [l.x, l.g, l.y];
    case 'add': return [l.a, l.b, l.y];
    default: return [l.x, l.y];
  }
}

/**
 * Layer i and i + 1 as one: 'dwpw' a depthwise read only by the 1x1 convolution after it, 'pwdw' a
 * 1x1 convolution read only by the depthwise after it. dwpw goes first: it removes the widest
 * tensors (a depthwise with a channel multiplier expands).
 */
function fusePairs(layers: Layer[], outputs: Set<number>, kind: 'dwpw' | 'pwdw'): Layer[] {
  const out: Layer[] = [];
  for (let i = 0; i < layers.length; i++) {
    const a = layers[i], b = layers[i + 1];
    const pair = a.kind === 'conv' && b?.kind === 'conv' && b.x === a.y && !outputs.has(a.y) && readers(layers, a.y) === 1;
    if (pair && kind === 'dwpw' && a.conv.depthwise && b.conv.pointwise) {
      const [dw, pw] = a.conv.pp.g.multiplier > 1 && a.conv.pp.g.inC % 4 === 0 ? planarize(a.conv, b.conv) : [a.conv, b.conv];
      out.push({ kind, name: `${a.name} + ${b.name}`, x: a.x, y: b.y, dw, pw, ops: [...a.ops, ...b.ops] });
      i++;
    } else if (pair && kind === 'pwdw' && a.conv.pointwise && b.conv.depthwise) {
      out.push({ kind, name: `${a.name} + ${b.name}`, x: a.x, y: b.y, pw: a.conv, dw: b.conv, ops: [...a.ops, ...b.ops] });
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * A depthwise with channel multiplier m, read only by a 1x1 convolution, with its output channels
 * reordered into m planes (new channel j * Cin + ic = old channel ic * m + j) and the 1x1
 * convolution's input channels reordered to match: the same sums in another order, exactly, and
 * each plane is a multiplier-1 depthwise the 4-channel kernel runs.
 */
function planarize(dw: ConvLayerParams, pw: ConvLayerParams): [ConvLayerParams, ConvLayerParams] {
  const { inC, outC, kH, kW, multiplier: m } = dw.pp.g, taps = kH * kW, perm = new Int32Array(outC);
  for (let j = 0; j < m; j++) for (let ic = 0; ic < inC; ic++) perm[j * inC + ic] = ic * m + j;
  const w = new Int8Array(dw.weights.length);
  for (let tap = 0; tap < taps; tap++) for (let c = 0; c < outC; c++) w[tap * outC + c] = dw.weights[tap * outC + perm[c]];
  const pick = <T extends Int32Array>(a: T) => a.map((_, c) => a[perm[c]]) as T;
  const pp = { ...dw.pp, mult: pick(dw.pp.mult), shift: pick(dw.pp.shift), fscale: dw.pp.fscale.map((_, c) => dw.pp.fscale[perm[c]]) };
  const pw2 = new Int8Array(pw.weights.length), n = pw.pp.g.inC;
  for (let o = 0; o < pw.pp.g.outC; o++) for (let c = 0; c < n; c++) pw2[o * n + c] = pw.weights[o * n + perm[c]];
  return [{ ...dw, pp, weights: w, bias: pick(dw.bias), planar: true }, { ...pw, weights: pw2 }];
}

const readers = (layers: Layer[], v: number) => layers.filter((l) => valuesOf(l).slice(0, -1).includes(v)).length;
