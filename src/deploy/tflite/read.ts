// .tflite bytes -> Graph, by hand over flatbuffers' ByteBuffer (no generated code). ByteBuffer checks
// nothing, so every access goes through FbView, which checks bounds: a truncated, bit-flipped or
// foreign file ends in a one-line TfliteError, never a RangeError or a hang. decodeModel gives the
// file's raw tables (the validator needs the raw codes and offsets); toGraph maps them onto the IR.
import { ByteBuffer } from 'flatbuffers';
import { BUILTIN_CODE, elementCount, type BuiltinName, type DType, type FusedAct, type Graph, type OpDef, type Quant, type TensorDef } from '../ir.js';
import {
  ACTIVATION, CUSTOM_CODE, FILE_IDENTIFIER, OPTIONS, PADDING, SCHEMA_VERSION, SLOT, TENSOR_TYPE, TENSOR_TYPE_NAMES, builtinOpName,
} from './schema.js';

export type TfliteErrorCode = 'ERR_TFLITE_CORRUPT' | 'ERR_TFLITE_FOREIGN' | 'ERR_TFLITE_UNSUPPORTED' | 'ERR_TFLITE_MISSING';

export class TfliteError extends Error {
  constructor(message: string, readonly code: TfliteErrorCode) {
    super(message);
    this.name = 'TfliteError';
  }
}

const corrupt = (what: string) => new TfliteError(`corrupt TFLite file: ${what}`, 'ERR_TFLITE_CORRUPT');
const unsupported = (what: string) => new TfliteError(`TFLite file not supported: ${what}`, 'ERR_TFLITE_UNSUPPORTED');

/** A table's position and its vtable. */
export interface Table { pos: number; vt: number; vtLen: number }

/** Bounds-checked reads of flatbuffer tables, vectors and strings. */
export class FbView {
  private readonly bb: ByteBuffer;
  private readonly decoder = new TextDecoder();
  // Vectors read so far, in elements. Honest files read each vector once or twice; a damaged one
  // whose offsets all point at one long vector would otherwise cost (file size)^2 time.
  private budget: number;

  constructor(readonly bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
    this.budget = 8 * bytes.length + 4096;
  }

  need(pos: number, n: number, what: string): void {
    if (!(pos >= 0 && pos + n <= this.bytes.length)) {
      throw corrupt(`${what} at offset ${pos} runs past the end of the file (${this.bytes.length} bytes)`);
    }
  }

  table(pos: number, what: string): Table {
    this.need(pos, 4, what);
    const vt = pos - this.bb.readInt32(pos);
    this.need(vt, 4, `${what} vtable`);
    const vtLen = this.bb.readUint16(vt);
    if (vtLen < 4 || vtLen % 2 !== 0) throw corrupt(`${what} has a malformed vtable`);
    this.need(vt, vtLen, `${what} vtable`);
    this.need(pos, this.bb.readUint16(vt + 2), what);
    return { pos, vt, vtLen };
  }

  /** Absolute position of field `slot`, or 0 when the table does not have it. */
  field(t: Table | null, slot: number): number {
    const o = 4 + 2 * slot;
    if (!t || o >= t.vtLen) return 0;
    const off = this.bb.readUint16(t.vt + o);
    return off ? t.pos + off : 0;
  }

  i8(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 1, 'field'); return this.bb.readInt8(p); }
  u8(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 1, 'field'); return this.bb.readUint8(p); }
  i32(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 4, 'field'); return this.bb.readInt32(p); }
  u32(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 4, 'field'); return this.bb.readUint32(p); }
  f32(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 4, 'field'); return this.bb.readFloat32(p); }

  /** Follows the uoffset stored at `pos`. */
  private deref(pos: number, what: string): number {
    this.need(pos, 4, what);
    const target = pos + this.bb.readUint32(pos);
    this.need(target, 4, what);
    return target;
  }

  subtable(t: Table | null, slot: number, what: string): Table | null {
    const p = this.field(t, slot);
    return p ? this.table(this.deref(p, what), what) : null;
  }

  /** A vector field: where its elements start and how many there are (null when absent). */
  vector(t: Table | null, slot: number, elemSize: number, what: string): { start: number; length: number } | null {
    const p = this.field(t, slot);
    if (!p) return null;
    const v = this.deref(p, what);
    const length = this.bb.readUint32(v);
    this.need(v + 4, length * elemSize, what);
    this.budget -= length;
    if (this.budget < 0) throw corrupt(`${what} vectors overlap (more elements than the file can hold)`);
    return { start: v + 4, length };
  }

  tables(t: Table | null, slot: number, what: string): Table[] {
    const v = this.vector(t, slot, 4, what);
    return v ? Array.from({ length: v.length }, (_, i) => this.table(this.deref(v.start + 4 * i, what), what)) : [];
  }
  ints(t: Table | null, slot: number, what: string): number[] {
    const v = this.vector(t, slot, 4, what);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readInt32(v.start + 4 * i)) : [];
  }
  floats(t: Table | null, slot: number, what: string): number[] {
    const v = this.vector(t, slot, 4, what);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readFloat32(v.start + 4 * i)) : [];
  }
  longs(t: Table | null, slot: number, what: string): number[] {
    const v = this.vector(t, slot, 8, what);
    return v ? Array.from({ length: v.length }, (_, i) => Number(this.bb.readInt64(v.start + 8 * i))) : [];
  }
  string(t: Table | null, slot: number, what: string): string | null {
    const v = this.vector(t, slot, 1, what);
    return v ? this.decoder.decode(this.bytes.subarray(v.start, v.start + v.length)) : null;
  }
}

export interface RawOpcode { code: number; builtin: number; deprecated: number; custom: string | null; version: number }
export interface RawTensor { name: string; shape: number[]; type: number; buffer: number; scale: number[]; zeroPoint: number[]; axis: number }
export interface RawOperator { opcode: number; inputs: number[]; outputs: number[]; optionsType: number; options: Table | null; hasCustomOptions: boolean }
/** A buffer's data: file position of the first byte and its length (0 when the buffer is empty). */
export interface RawBuffer { start: number; length: number }

export interface RawModel {
  view: FbView;
  version: number;
  opcodes: RawOpcode[];
  subgraphCount: number;
  /** Subgraph 0, the main model. */
  tensors: RawTensor[];
  operators: RawOperator[];
  inputs: number[];
  outputs: number[];
  buffers: RawBuffer[];
  description: string;
}

/** The file's tables as they are, with only the checks needed to read them safely. */
export function decodeModel(bytes: Uint8Array): RawModel {
  if (bytes.length < 8) throw corrupt(`file too short (${bytes.length} bytes)`);
  const id = String.fromCharCode(...bytes.subarray(4, 8));
  if (id !== FILE_IDENTIFIER) {
    throw new TfliteError(`not a TFLite flatbuffer (file identifier ${JSON.stringify(id)}, expected "${FILE_IDENTIFIER}")`, 'ERR_TFLITE_FOREIGN');
  }
  const v = new FbView(bytes);
  const S = SLOT;
  const model = v.table(new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true), 'model');
  const opcodes = v.tables(model, S.Model.operator_codes, 'operator code').map((c): RawOpcode => {
    const deprecated = v.i8(c, S.OperatorCode.deprecated_builtin_code, 0);
    const builtin = v.i32(c, S.OperatorCode.builtin_code, 0);
    // TFLite's own rule (schema_utils GetBuiltinCode): the larger of the two, so files written
    // before builtin_code existed (only the byte) and after (byte 127 + int) both read right.
    return { code: Math.max(builtin, deprecated), builtin, deprecated, custom: v.string(c, S.OperatorCode.custom_code, 'custom code'), version: v.i32(c, S.OperatorCode.version, 1) };
  });
  const subgraphs = v.tables(model, S.Model.subgraphs, 'subgraph');
  if (subgraphs.length === 0) throw corrupt('no subgraph');
  const sg = subgraphs[0];
  const tensors = v.tables(sg, S.SubGraph.tensors, 'tensor').map((t): RawTensor => {
    const q = v.subtable(t, S.Tensor.quantization, 'quantization');
    return {
      name: v.string(t, S.Tensor.name, 'tensor name') ?? '',
      shape: v.ints(t, S.Tensor.shape, 'tensor shape'),
      type: v.i8(t, S.Tensor.type, 0),
      buffer: v.u32(t, S.Tensor.buffer, 0),
      scale: v.floats(q, S.Quantization.scale, 'quantization scale'),
      zeroPoint: v.longs(q, S.Quantization.zero_point, 'quantization zero point'),
      axis: v.i32(q, S.Quantization.quantized_dimension, 0),
    };
  });
  const operators = v.tables(sg, S.SubGraph.operators, 'operator').map((o): RawOperator => {
    const optionsType = v.u8(o, S.Operator.builtin_options_type, OPTIONS.NONE);
    return {
      opcode: v.u32(o, S.Operator.opcode_index, 0),
      inputs: v.ints(o, S.Operator.inputs, 'operator inputs'),
      outputs: v.ints(o, S.Operator.outputs, 'operator outputs'),
      optionsType,
      options: optionsType === OPTIONS.NONE ? null : v.subtable(o, S.Operator.builtin_options, 'operator options'),
      hasCustomOptions: v.field(o, S.Operator.custom_options) !== 0,
    };
  });
  const buffers = v.tables(model, S.Model.buffers, 'buffer').map((b): RawBuffer => v.vector(b, S.Buffer.data, 1, 'buffer data') ?? { start: 0, length: 0 });
  return {
    view: v, version: v.u32(model, S.Model.version, 0), opcodes, subgraphCount: subgraphs.length, tensors, operators,
    inputs: v.ints(sg, S.SubGraph.inputs, 'subgraph inputs'), outputs: v.ints(sg, S.SubGraph.outputs, 'subgraph outputs'),
    buffers, description: v.string(model, S.Model.description, 'description') ?? '',
  };
}

export function readTflite(bytes: Uint8Array): Graph {
  return toGraph(decodeModel(bytes));
}

const NAME_OF_CODE = new Map<number, BuiltinName>(Object.entries(BUILTIN_CODE).map(([name, code]) => [code, name as BuiltinName]));
const DTYPE_OF_TYPE = new Map<number, DType>(Object.entries(TENSOR_TYPE).map(([dtype, type]) => [type, dtype as DType]));
const ACT_OF_VALUE = new Map<number, FusedAct>(Object.entries(ACTIVATION).map(([act, value]) => [value, act as FusedAct]));

/** Maps the raw tables onto the IR, refusing what cmv3 does not run. */
export function toGraph(m: RawModel): Graph {
  if (m.version !== SCHEMA_VERSION) throw unsupported(`schema version ${m.version} (cmv3 reads version ${SCHEMA_VERSION})`);
  if (m.subgraphCount > 1) throw unsupported(`${m.subgraphCount} subgraphs (cmv3 runs single-subgraph models)`);
  const nT = m.tensors.length;
  const tensors = m.tensors.map((t, i) => toTensor(m, t, i));
  const ref = (i: number, what: string): number => {
    if (i === -1) throw unsupported(`${what} omits an optional input`);
    if (!(i >= 0 && i < nT)) throw corrupt(`${what} refers to tensor ${i} of ${nT}`);
    return i;
  };
  const ops = m.operators.map((op, i) => toOp(m, op, i, tensors, ref));
  return {
    tensors, ops,
    inputs: m.inputs.map((t) => ref(t, 'the model input')),
    outputs: m.outputs.map((t) => ref(t, 'the model output')),
    description: m.description,
  };
}

function toTensor(m: RawModel, t: RawTensor, i: number): TensorDef {
  const what = `tensor ${i} '${t.name}'`;
  const dtype = DTYPE_OF_TYPE.get(t.type);
  if (!dtype) throw unsupported(`${what} has type ${TENSOR_TYPE_NAMES[t.type] ?? t.type} (cmv3 uses FLOAT32, INT8, INT32)`);
  if (t.shape.some((d) => d < 0)) throw unsupported(`${what} has a dynamic shape [${t.shape}]`);
  const count = elementCount(t.shape);
  if (count > 0x7fffffff) throw corrupt(`${what} has ${count} elements`);
  const def: TensorDef = { name: t.name, shape: t.shape, dtype };
  if (t.scale.length > 0) {
    if (t.zeroPoint.length !== t.scale.length) throw corrupt(`${what} has ${t.scale.length} scales but ${t.zeroPoint.length} zero points`);
    const quant: Quant = { scale: t.scale, zeroPoint: t.zeroPoint, axis: t.axis };
    def.quant = quant;
  }
  const buf = m.buffers[t.buffer];
  if (!buf) throw corrupt(`${what} refers to buffer ${t.buffer} of ${m.buffers.length}`);
  if (buf.length > 0) {
    const bytesPer = dtype === 'int8' ? 1 : 4;
    if (buf.length !== count * bytesPer) throw corrupt(`${what} has ${buf.length} bytes of data for shape [${t.shape}] ${dtype}`);
    // A copy, so the arrays are aligned and independent of the file. The file is little-endian,
    // as is every host Node runs on here.
    // Uint8Array.prototype.slice copies (a Node Buffer's slice would be a view of the whole file).
    const copy = Uint8Array.prototype.slice.call(m.view.bytes, buf.start, buf.start + buf.length).buffer;
    def.data = dtype === 'float32' ? new Float32Array(copy) : dtype === 'int32' ? new Int32Array(copy) : new Int8Array(copy);
  }
  return def;
}

const ARITY: Record<BuiltinName, number[]> = {
  CONV_2D: [3], DEPTHWISE_CONV_2D: [3], ADD: [2], MUL: [2], AVERAGE_POOL_2D: [1], RESHAPE: [1, 2], SOFTMAX: [1],
  GATHER: [2], CAST: [1], HARD_SWISH: [1], LOGISTIC: [1], TANH: [1], EXP: [1], LOG: [1], RELU: [1], RELU6: [1],
};

/** The options table each op carries; ops absent here take none (an empty table is tolerated). */
const OPTIONS_OF: Partial<Record<BuiltinName, number>> = {
  CONV_2D: OPTIONS.Conv2DOptions, DEPTHWISE_CONV_2D: OPTIONS.DepthwiseConv2DOptions, AVERAGE_POOL_2D: OPTIONS.Pool2DOptions,
  SOFTMAX: OPTIONS.SoftmaxOptions, ADD: OPTIONS.AddOptions, MUL: OPTIONS.MulOptions, RESHAPE: OPTIONS.ReshapeOptions,
  GATHER: OPTIONS.GatherOptions, CAST: OPTIONS.CastOptions, EXP: OPTIONS.ExpOptions, HARD_SWISH: OPTIONS.HardSwishOptions,
};

function toOp(m: RawModel, op: RawOperator, i: number, tensors: TensorDef[], ref: (t: number, what: string) => number): OpDef {
  const oc = m.opcodes[op.opcode];
  if (!oc) throw corrupt(`operator ${i} refers to operator code ${op.opcode} of ${m.opcodes.length}`);
  if (oc.custom !== null || oc.code === CUSTOM_CODE) throw unsupported(`uses custom op '${oc.custom ?? ''}', which cmv3 does not run`);
  const name = NAME_OF_CODE.get(oc.code);
  if (!name) throw unsupported(`uses op ${builtinOpName(oc.code)}, which cmv3 does not run`);
  const what = `operator ${i} (${name})`;
  if (!ARITY[name].includes(op.inputs.length) || op.outputs.length !== 1) {
    throw corrupt(`${what} has ${op.inputs.length} inputs and ${op.outputs.length} outputs`);
  }
  const inputs = op.inputs.map((t) => ref(t, what));
  const outputs: [number] = [ref(op.outputs[0], what)];
  const want = OPTIONS_OF[name] ?? OPTIONS.NONE;
  if (op.optionsType !== OPTIONS.NONE && op.optionsType !== want) throw corrupt(`${what} carries options of union type ${op.optionsType}`);
  const v = m.view, o = op.options, S = SLOT;
  const needOptions = () => { if (!o) throw corrupt(`${what} has no options table`); };
  const act = (slot: number): FusedAct => {
    const a = ACT_OF_VALUE.get(v.i8(o, slot, 0));
    if (!a) throw unsupported(`${what} fuses activation ${v.i8(o, slot, 0)} (cmv3 has NONE, RELU, RELU6)`);
    return a;
  };
  const padding = (): 'SAME' | 'VALID' => {
    const p = v.i8(o, 0, 0);
    if (p !== PADDING.SAME && p !== PADDING.VALID) throw corrupt(`${what} has padding ${p}`);
    return p === PADDING.SAME ? 'SAME' : 'VALID';
  };
  const stride = (w: number, h: number): number => {
    const sw = v.i32(o, w, 0), sh = v.i32(o, h, 0);
    if (sw !== sh || sw < 1) throw unsupported(`${what} has strides ${sw}x${sh} (cmv3 uses equal strides >= 1)`);
    return sw;
  };
  const noDilation = (w: number, h: number) => {
    if (v.i32(o, w, 1) !== 1 || v.i32(o, h, 1) !== 1) throw unsupported(`${what} is dilated`);
  };
  switch (name) {
    case 'CONV_2D': {
      const C = S.Conv2DOptions;
      needOptions(); noDilation(C.dilation_w_factor, C.dilation_h_factor);
      return { op: name, inputs: inputs as [number, number, number], outputs, stride: stride(C.stride_w, C.stride_h), padding: padding(), act: act(C.fused_activation_function) };
    }
    case 'DEPTHWISE_CONV_2D': {
      const C = S.DepthwiseConv2DOptions;
      needOptions(); noDilation(C.dilation_w_factor, C.dilation_h_factor);
      // depth_multiplier is redundant and newer converters may leave it 0: then the shapes tell.
      let multiplier = v.i32(o, C.depth_multiplier, 0);
      if (multiplier <= 0) multiplier = (tensors[inputs[1]].shape[3] ?? 0) / (tensors[inputs[0]].shape[3] || 1);
      if (!Number.isInteger(multiplier) || multiplier < 1) throw corrupt(`${what} has depth multiplier ${multiplier}`);
      return { op: name, inputs: inputs as [number, number, number], outputs, stride: stride(C.stride_w, C.stride_h), padding: padding(), multiplier, act: act(C.fused_activation_function) };
    }
    case 'AVERAGE_POOL_2D': {
      const C = S.Pool2DOptions;
      needOptions();
      const fw = v.i32(o, C.filter_width, 0), fh = v.i32(o, C.filter_height, 0);
      if (fw !== fh || fw < 1) throw unsupported(`${what} has a ${fw}x${fh} filter (cmv3 uses square filters)`);
      return { op: name, inputs: inputs as [number], outputs, filter: fw, stride: stride(C.stride_w, C.stride_h), padding: padding(), act: act(C.fused_activation_function) };
    }
    case 'ADD': case 'MUL':
      return { op: name, inputs: inputs as [number, number], outputs, act: act(S.AddOptions.fused_activation_function) };
    case 'RESHAPE': {
      // new_shape may live in the options, in a constant second input, or only in the output shape.
      const fromOptions = v.vector(o, S.ReshapeOptions.new_shape, 4, 'reshape options') ? v.ints(o, S.ReshapeOptions.new_shape, 'reshape options') : null;
      const shapeInput = inputs.length === 2 ? tensors[inputs[1]].data : undefined;
      const newShape = fromOptions ?? (shapeInput instanceof Int32Array ? Array.from(shapeInput) : tensors[outputs[0]].shape.slice());
      return { op: name, inputs: inputs as [number] | [number, number], outputs, newShape };
    }
    case 'SOFTMAX':
      return { op: name, inputs: inputs as [number], outputs, beta: v.f32(o, S.SoftmaxOptions.beta, 0) };
    case 'GATHER':
      if (v.i32(o, S.GatherOptions.batch_dims, 0) !== 0) throw unsupported(`${what} has batch_dims`);
      return { op: name, inputs: inputs as [number, number], outputs, axis: v.i32(o, S.GatherOptions.axis, 0) };
    default:
      return { op: name, inputs: inputs as [number], outputs };
  }
}
