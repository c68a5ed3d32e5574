// float32 ONNX export of a legalized deployment graph. The protobuf encoding is written by hand
// (varints and length-delimited fields, field numbers from onnx.proto) so the package gains no
// runtime dependency. The model keeps the .tflite's boundary, NHWC input 'input' and the same
// output names, while inside it runs NCHW as ONNX Conv requires: one Transpose after the input,
// weights permuted once at export, NHWC-shaped constants permuted to broadcast the same way.
import { readFileSync } from 'node:fs';
import type { Graph } from './ir.js';
import { padBefore } from './ops/common.js';
import { isBuiltin, opSpec } from './ops/index.js';
import type { OnnxAttr, OnnxEmitter } from './ops/op.js';

// ONNX IR 8 is the first that allows opset 14, the first with HardSwish.
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 14;

const FLOAT = 1, INT64 = 7; // TensorProto.DataType
const A_FLOAT = 1, A_INT = 2, A_INTS = 7; // AttributeProto.AttributeType

/** One protobuf message under construction: encoded parts are kept as a list and joined once. */
class Msg {
  readonly parts: Uint8Array[] = [];
  length = 0;

  private push(b: Uint8Array): void { this.parts.push(b); this.length += b.length; }
  private key(field: number, wire: number): void { this.push(varint(field * 8 + wire)); }
  /** int32/int64/enum (wire type 0); negative values take ten bytes, as protobuf encodes int64. */
  int(field: number, v: number): this { this.key(field, 0); this.push(varint(v)); return this; }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.key(field, 5); this.push(b); return this;
  }
  bytes(field: number, b: Uint8Array): this { this.key(field, 2); this.push(varint(b.length)); this.push(b); return this; }
  str(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  msg(field: number, m: Msg): this {
    this.key(field, 2); this.push(varint(m.length));
    for (const p of m.parts) this.push(p);
    return this;
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) { out.set(p, at); at += p.length; }
    return out;
  }
}

function varint(v: number): Uint8Array {
  if (!Number.isSafeInteger(v)) throw new Error(`cannot write ONNX: ${v} is not an integer`);
  const out: number[] = [];
  if (v < 0) {
    let u = BigInt.asUintN(64, BigInt(v));
    while (u >= 0x80n) { out.push(Number(u & 0x7fn) | 0x80); u >>= 7n; }
    out.push(Number(u));
  } else {
    while (v >= 0x80) { out.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
    out.push(v);
  }
  return Uint8Array.from(out);
}

const attrInt = (name: string, v: number) => new Msg().str(1, name).int(20, A_INT).int(3, v);
const attrFloat = (name: string, v: number) => new Msg().str(1, name).int(20, A_FLOAT).float(2, v);
function attrInts(name: string, vs: number[]): Msg {
  const m = new Msg().str(1, name).int(20, A_INTS);
  for (const v of vs) m.int(8, v); // unpacked, the proto2 default for repeated int64
  return m;
}

function valueInfo(name: string, dims: number[]): Msg {
  const shape = new Msg();
  for (const d of dims) shape.msg(1, new Msg().int(1, d));
  return new Msg().str(1, name).msg(2, new Msg().msg(1, new Msg().int(1, FLOAT).msg(2, shape)));
}

function f32le(a: Float32Array): Uint8Array {
  const b = new Uint8Array(a.length * 4), dv = new DataView(b.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i], true); // raw_data is little-endian by spec
  return b;
}

/** (N,H,W,C) -> (N,C,H,W); lower ranks are first padded with leading ones, as NumPy broadcasting aligns them. */
function toNchw(shape: number[], d: Float32Array): { dims: number[]; data: Float32Array } {
  const [n, h, w, c] = [...Array(4 - shape.length).fill(1), ...shape] as number[];
  const out = new Float32Array(d.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[((b * c + k) * h + y) * w + x] = d[((b * h + y) * w + x) * c + k];
  }
  return { dims: [n, c, h, w], data: out };
}

/** TF 'SAME' as explicit pads: the odd pixel goes after (bottom/right), as in the float engine. */
function pads(size: number, kernel: number, stride: number, padding: 'SAME' | 'VALID'): [number, number] {
  if (padding === 'VALID') return [0, 0];
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  const before = padBefore(size, kernel, stride, padding);
  return [before, total - before];
}

function producerVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch { return ''; }
}

/** Serializes a legalized float32 graph as an ONNX ModelProto. */
export function writeOnnx(g: Graph): Uint8Array {
  // A RESHAPE's optional int32 shape operand is the only non-float tensor allowed (the writer
  // uses the output shape instead); anything else non-float means a quantized graph.
  const shapeOperands = new Set(g.ops.flatMap((o) => opSpec(o.op).shapeInputs?.(o as never) ?? []));
  for (const [i, t] of g.tensors.entries()) {
    if (t.dtype !== 'float32' && !(t.dtype === 'int32' && shapeOperands.has(i))) throw new Error(`cannot write ONNX: tensor '${t.name}' is ${t.dtype}; ONNX export is float32 (write int8 models as .tflite)`);
  }
  for (const o of g.ops) {
    if (!isBuiltin(o.op)) throw new Error(`cannot write ONNX: ${o.op} is a pseudo-op; legalize the graph first (floatGraph)`);
  }
  if (g.inputs.length !== 1 || g.tensors[g.inputs[0]].shape.length !== 4) throw new Error('cannot write ONNX: expected one (1, H, W, C) input');

  const nodes: Msg[] = [], inits: Msg[] = [], infos: Msg[] = [];
  const usedValues = new Set<string>(), usedNodes = new Set<string>();
  const fresh = (used: Set<string>, base: string) => {
    let n = base;
    for (let k = 2; used.has(n); k++) n = `${base}_${k}`;
    used.add(n);
    return n;
  };
  // The IR's names become the ONNX value names (deduplicated: ONNX requires them unique).
  const irName = g.tensors.map((t) => fresh(usedValues, t.name || 'tensor'));
  const rank4 = (i: number) => g.tensors[i].shape.length === 4;
  const isConst = (i: number) => g.tensors[i].data !== undefined;

  const node = (opType: string, inputs: string[], outputs: string[], name: string, attrs: Msg[] = []) => {
    const m = new Msg();
    for (const i of inputs) m.str(1, i);
    for (const o of outputs) m.str(2, o);
    m.str(3, fresh(usedNodes, name)).str(4, opType);
    for (const a of attrs) m.msg(5, a);
    nodes.push(m);
  };
  const init = (name: string, dims: number[], type: number, raw: Uint8Array) => {
    const m = new Msg();
    for (const d of dims) m.int(1, d);
    inits.push(m.int(2, type).str(8, name).bytes(9, raw));
    return name;
  };
  const scalar = (base: string, v: number) => init(fresh(usedValues, base), [], FLOAT, f32le(Float32Array.of(v)));
  const int64s = (base: string, vs: number[]) => {
    const b = new Uint8Array(vs.length * 8), dv = new DataView(b.buffer);
    vs.forEach((v, k) => dv.setBigInt64(k * 8, BigInt(v), true));
    return init(fresh(usedValues, base), [vs.length], INT64, b);
  };
  let clipMin = '', clipMax = '';
  const clip6 = () => {
    if (!clipMin) { clipMin = scalar('const/clip_min', 0); clipMax = scalar('const/clip_max', 6); }
    return [clipMin, clipMax];
  };

  // Constants, converted once per layout a consumer needs. The first layout keeps the IR's name.
  type Kind = 'plain' | 'nchw' | 'conv' | 'depthwise';
  const constNames = new Map<string, string>(), namedOnce = new Set<number>();
  const constant = (i: number, kind: Kind, rank = g.tensors[i].shape.length): string => {
    const key = `${i}:${kind}:${rank}`, t = g.tensors[i], d = t.data as Float32Array;
    const hit = constNames.get(key);
    if (hit) return hit;
    let dims = t.shape, data = d;
    if (kind === 'plain' && rank < t.shape.length) {
      // e.g. a (1,1,1,1) scalar added to a (1,C) tensor: ONNX would broadcast the result to rank 4.
      if (t.shape.slice(0, t.shape.length - rank).some((v) => v !== 1)) throw new Error(`cannot write ONNX: constant '${t.name}' has a higher rank than its result`);
      dims = t.shape.slice(t.shape.length - rank);
    } else if (kind === 'nchw') ({ dims, data } = toNchw(t.shape, d));
    else if (kind === 'conv' || kind === 'depthwise') {
      if (t.shape.length !== 4) throw new Error(`cannot write ONNX: weight '${t.name}' is not 4-D`);
      // CONV_2D (Cout,KH,KW,Cin) -> (Cout,Cin,KH,KW); DEPTHWISE_CONV_2D (1,KH,KW,Cout) -> (Cout,1,KH,KW)
      const [co, kh, kw, ci] = kind === 'conv' ? t.shape : [t.shape[3], t.shape[1], t.shape[2], 1];
      dims = [co, ci, kh, kw];
      data = new Float32Array(d.length);
      for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
        data[((o * ci + c) * kh + y) * kw + x] = kind === 'conv' ? d[((o * kh + y) * kw + x) * ci + c] : d[(y * kw + x) * co + o];
      }
    }
    const name = namedOnce.has(i) ? fresh(usedValues, `${irName[i]}/${kind}`) : irName[i];
    namedOnce.add(i);
    constNames.set(key, init(name, dims, FLOAT, f32le(data)));
    return name;
  };

  // Activations: rank-4 tensors live as NCHW under the IR's name; the graph's own input and
  // rank-4 outputs keep NHWC under the IR's name and get an internal '/nchw' twin.
  const internal = g.tensors.map((_, i) => irName[i]);
  const nchwDims = (s: number[]) => [s[0], s[3], s[1], s[2]];
  const boundary = (i: number) => (internal[i] = fresh(usedValues, `${irName[i]}/nchw`));
  const inp = g.inputs[0];
  node('Transpose', [irName[inp]], [boundary(inp)], `${irName[inp]}/to_nchw`, [attrInts('perm', [0, 3, 1, 2])]);
  for (const o of g.outputs) if (rank4(o) && o !== inp) boundary(o);
  const produced = new Set<number>([inp]);

  /** The ONNX name of operand i for an op working in NCHW (`nchw`) or on plain tensors. */
  const operand = (i: number, nchw: boolean, op: string, rank?: number): string => {
    if (isConst(i)) return constant(i, nchw ? 'nchw' : 'plain', nchw ? undefined : rank);
    if (!produced.has(i)) throw new Error(`cannot write ONNX: ${op} reads '${irName[i]}' before it is written`);
    if (nchw !== rank4(i)) throw new Error(`cannot write ONNX: ${op} mixes '${irName[i]}' (rank ${g.tensors[i].shape.length}) with 4-D tensors`);
    return internal[i];
  };
  /** Emits an op whose result may carry a TFLite fused activation: Relu / Clip(0, 6) after it. */
  const withAct = (opType: string, inputs: string[], out: number, act: 'NONE' | 'RELU' | 'RELU6', attrs: Msg[] = []) => {
    if (act === 'NONE') { node(opType, inputs, [internal[out]], irName[out], attrs); return; }
    const pre = fresh(usedValues, `${irName[out]}/preact`);
    node(opType, inputs, [pre], irName[out], attrs);
    if (act === 'RELU') node('Relu', [pre], [internal[out]], `${irName[out]}/relu`);
    else node('Clip', [pre, ...clip6()], [internal[out]], `${irName[out]}/relu6`);
  };

  const attr = (m: Msg) => m as unknown as OnnxAttr, msgs = (a: OnnxAttr[] | undefined) => (a ?? []) as unknown as Msg[];
  for (const o of g.ops) {
    const out = o.outputs[0], ys = g.tensors[out].shape, name = irName[out];
    const spec = opSpec(o.op);
    if (!spec.onnx) throw new Error(`cannot write ONNX: ${o.op} ('${name}') has no float32 ONNX form`);
    const e: OnnxEmitter = {
      tensors: g.tensors, out: internal[out], name,
      node: (opType, inputs, outputs, nodeName, attrs) => node(opType, inputs, outputs, nodeName, msgs(attrs)),
      withAct: (opType, inputs, act, attrs) => withAct(opType, inputs, out, act, msgs(attrs)),
      operand: (i, nchw, rank) => operand(i, nchw, o.op, rank),
      constant, isConst, rank4,
      fresh: (base) => fresh(usedValues, base),
      int64s, scalar, clip6, pads,
      attrInt: (n, v) => attr(attrInt(n, v)),
      attrInts: (n, vs) => attr(attrInts(n, vs)),
      attrFloat: (n, v) => attr(attrFloat(n, v)),
    };
    spec.onnx(o, e);
    produced.add(out);
    if (!g.outputs.includes(out)) infos.push(valueInfo(internal[out], ys.length === 4 ? nchwDims(ys) : ys));
  }

  for (const o of g.outputs) {
    if (!produced.has(o)) throw new Error(`cannot write ONNX: output '${irName[o]}' is never written`);
    if (internal[o] !== irName[o]) node('Transpose', [internal[o]], [irName[o]], `${irName[o]}/to_nhwc`, [attrInts('perm', [0, 2, 3, 1])]);
  }

  let info: Record<string, unknown> = {};
  try { info = JSON.parse(g.description) as Record<string, unknown>; } catch { /* free text */ }
  const graph = new Msg();
  for (const n of nodes) graph.msg(1, n);
  graph.str(2, typeof info.model === 'string' ? info.model : 'cmv3');
  for (const t of inits) graph.msg(5, t);
  graph.msg(11, valueInfo(irName[inp], g.tensors[inp].shape));
  for (const o of g.outputs) graph.msg(12, valueInfo(irName[o], g.tensors[o].shape));
  for (const v of infos) graph.msg(13, v);

  const model = new Msg().int(1, ONNX_IR_VERSION).str(2, 'cmv3').str(3, producerVersion());
  model.str(6, 'cmv3 float32 export: NHWC input as the .tflite, NCHW inside').msg(7, graph);
  model.msg(8, new Msg().str(1, '').int(2, ONNX_OPSET));
  // The description (labels, normalization) whole, plus the two keys a runtime looks up most.
  const props: [string, string][] = [['description', g.description]];
  for (const k of ['labels', 'normalization']) if (info[k] !== undefined) props.push([k, JSON.stringify(info[k])]);
  for (const [k, v] of props) model.msg(14, new Msg().str(1, k).str(2, v));
  return model.finish();
}
