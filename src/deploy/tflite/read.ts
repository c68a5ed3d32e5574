// .tflite bytes -> Graph, by hand over flatbuffers' ByteBuffer (no generated code). ByteBuffer checks
// nothing, so every access goes through FbView, which checks bounds: a truncated, bit-flipped or
// foreign file ends in a one-line TfliteError, never a RangeError or a hang (fbview.ts). decodeModel gives the
// file's raw tables (the validator needs the raw codes and offsets); toGraph maps them onto the IR.
import { elementCount, type DType, type FusedAct, type Graph, type OpDef, type Quant, type TensorDef } from '../ir.js';
import { builtinOf, OP_BY_CODE } from '../ops/index.js';
import type { OptionsReader } from '../ops/op.js';
import { corrupt, FbView, TfliteError, unsupported, type Table } from '../tflite-format/fbview.js';

export { FbView, TfliteError, type Table, type TfliteErrorCode } from '../tflite-format/fbview.js';
import {
  ACTIVATION, CUSTOM_CODE, FILE_IDENTIFIER, OPTIONS, PADDING, SCHEMA_VERSION, SLOT, TENSOR_TYPE, TENSOR_TYPE_NAMES, builtinOpName,
} from '../tflite-format/schema.js';

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

function toOp(m: RawModel, op: RawOperator, i: number, tensors: TensorDef[], ref: (t: number, what: string) => number): OpDef {
  const oc = m.opcodes[op.opcode];
  if (!oc) throw corrupt(`operator ${i} refers to operator code ${op.opcode} of ${m.opcodes.length}`);
  if (oc.custom !== null || oc.code === CUSTOM_CODE) throw unsupported(`uses custom op '${oc.custom ?? ''}', which cmv3 does not run`);
  const name = OP_BY_CODE.get(oc.code);
  if (!name) throw unsupported(`uses op ${builtinOpName(oc.code)}, which cmv3 does not run`);
  const spec = builtinOf(name);
  const what = `operator ${i} (${name})`;
  if (!spec.arity.includes(op.inputs.length) || op.outputs.length !== 1) {
    throw corrupt(`${what} has ${op.inputs.length} inputs and ${op.outputs.length} outputs`);
  }
  const inputs = op.inputs.map((t) => ref(t, what));
  const outputs: [number] = [ref(op.outputs[0], what)];
  if (op.optionsType !== OPTIONS.NONE && op.optionsType !== spec.optionsType) throw corrupt(`${what} carries options of union type ${op.optionsType}`);
  const v = m.view, o = op.options;
  const r: OptionsReader = {
    v, o, what, inputs, outputs, tensors,
    needOptions: () => { if (!o) throw corrupt(`${what} has no options table`); },
    act: (slot) => {
      const a = ACT_OF_VALUE.get(v.i8(o, slot, 0));
      if (!a) throw unsupported(`${what} fuses activation ${v.i8(o, slot, 0)} (cmv3 has NONE, RELU, RELU6)`);
      return a;
    },
    padding: () => {
      const p = v.i8(o, 0, 0);
      if (p !== PADDING.SAME && p !== PADDING.VALID) throw corrupt(`${what} has padding ${p}`);
      return p === PADDING.SAME ? 'SAME' : 'VALID';
    },
    stride: (w, h) => {
      const sw = v.i32(o, w, 0), sh = v.i32(o, h, 0);
      if (sw !== sh || sw < 1) throw unsupported(`${what} has strides ${sw}x${sh} (cmv3 uses equal strides >= 1)`);
      return sw;
    },
    noDilation: (w, h) => {
      if (v.i32(o, w, 1) !== 1 || v.i32(o, h, 1) !== 1) throw unsupported(`${what} is dilated`);
    },
  };
  return spec.read(r);
}
