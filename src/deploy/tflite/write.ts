// Graph -> .tflite bytes, built by hand with the flatbuffers runtime's Builder (no generated code,
// no flatc): each table is written field by field with the slot numbers in schema.ts. The file is
// then decoded again and checked against the trap list (validate.ts), so an exported file never
// breaks a rule that some runtime enforces. Scales are float32 in the file: a graph whose scales
// are not float32 values comes back from readTflite rounded.
import { Builder } from 'flatbuffers';
import { elementCount, type BuiltinName, type Graph, type OpDef, type TensorDef } from '../ir.js';
import { builtinOf, isBuiltin } from '../ops/index.js';
import type { OptionsWriter } from '../ops/op.js';
import { FIELDS, FILE_IDENTIFIER, OPTIONS, PLACEHOLDER_FOR_GREATER_OP_CODES, SCHEMA_VERSION, SLOT, TENSOR_TYPE } from '../tflite-format/schema.js';
import { checkTfliteRules } from './validate.js';

/** Deliberate breakage, only for the validator's own tests: each flag breaks one trap. */
export interface TfliteFaults {
  noDeprecatedCode?: boolean;
  emptyCustomOptions?: boolean;
  buffer0Data?: boolean;
  unalignedData?: boolean;
}

export function writeTflite(g: Graph): Uint8Array {
  const bytes = encodeTflite(g);
  const broken = checkTfliteRules(bytes);
  if (broken.length > 0) throw new Error(`cannot write TFLite: ${broken.join('; ')}`);
  return bytes;
}

/** Refuses what cannot be encoded at all: pseudo-ops, dangling indices, data that does not fit. */
function checkEncodable(g: Graph): void {
  const nT = g.tensors.length;
  const idx = (i: number, what: string) => {
    if (!(Number.isInteger(i) && i >= 0 && i < nT)) throw new Error(`cannot write TFLite: ${what} refers to tensor ${i} of ${nT}`);
  };
  g.tensors.forEach((t, i) => {
    if (!(t.dtype in TENSOR_TYPE)) throw new Error(`cannot write TFLite: tensor ${i} '${t.name}' has dtype ${t.dtype}`);
    if (!t.data) return;
    const want = t.dtype === 'float32' ? Float32Array : t.dtype === 'int8' ? Int8Array : Int32Array;
    if (!(t.data instanceof want) || t.data.length !== elementCount(t.shape)) {
      throw new Error(`cannot write TFLite: tensor ${i} '${t.name}' data is ${t.data.constructor.name}[${t.data.length}], shape [${t.shape}] ${t.dtype}`);
    }
  });
  g.ops.forEach((o, i) => {
    if (!isBuiltin(o.op)) {
      throw new Error(`cannot write TFLite: operator ${i} is the pseudo-op ${o.op}; legalize (float) or quantize (int8) the graph first`);
    }
    [...o.inputs, ...o.outputs].forEach((t) => idx(t, `operator ${i} (${o.op})`));
  });
  g.inputs.forEach((t) => idx(t, 'a model input'));
  g.outputs.forEach((t) => idx(t, 'a model output'));
}

function int32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** A [ubyte] vector whose first byte is 16-aligned in the file (Buffer.data has force_align: 16). */
function dataVector(b: Builder, data: Uint8Array, unaligned: boolean): number {
  if (unaligned) {
    b.prep(16, data.length + 4); // first byte lands 4 past a 16-byte boundary
    b.startVector(1, data.length, 4);
  } else {
    b.startVector(1, data.length, 16);
  }
  for (let i = data.length - 1; i >= 0; i--) b.writeInt8(data[i]); // startVector reserved the space
  return b.endVector();
}

function quantization(b: Builder, t: TensorDef): number {
  const q = t.quant!;
  b.startVector(4, q.scale.length, 4);
  for (let i = q.scale.length - 1; i >= 0; i--) b.addFloat32(q.scale[i]);
  const scale = b.endVector();
  b.startVector(8, q.zeroPoint.length, 8);
  for (let i = q.zeroPoint.length - 1; i >= 0; i--) b.addInt64(BigInt(q.zeroPoint[i]));
  const zeroPoint = b.endVector();
  const Q = SLOT.Quantization;
  b.startObject(FIELDS.Quantization);
  b.addFieldOffset(Q.scale, scale, 0);
  b.addFieldOffset(Q.zero_point, zeroPoint, 0);
  b.addFieldInt32(Q.quantized_dimension, q.axis, 0);
  return b.endObject();
}

/** builtin_options_type and the table for one op (type NONE and offset 0 for ops without options). */
function options(b: Builder, o: OpDef, t: TensorDef[]): [number, number] {
  const spec = builtinOf(o.op);
  if (!spec.writeOptions) return [OPTIONS.NONE, 0];
  const w: OptionsWriter = {
    b, tensors: t,
    table: (fields, fill) => { b.startObject(fields); fill(); return b.endObject(); },
    int32Vector: (values) => int32Vector(b, values),
  };
  return [spec.optionsType, spec.writeOptions(w, o as never)];
}

/** The encoder without the trap check: writeTflite is the entry point; faults exist for tests. */
export function encodeTflite(g: Graph, faults: TfliteFaults = {}): Uint8Array {
  checkEncodable(g);
  const ops = g.ops as (OpDef & { op: BuiltinName })[];
  const b = new Builder(1024 + g.tensors.reduce((n, t) => n + (t.data ? t.data.byteLength + 32 : 64), 0));

  // Buffers first (the builder fills back to front, so the bulk data ends up at the end of the
  // file, as the converter lays it out). Buffer 0 is the empty sentinel every activation uses.
  const bufferOf = g.tensors.map(() => 0);
  const buffers: number[] = [];
  const sentinelData = faults.buffer0Data ? dataVector(b, new Uint8Array(4), false) : 0;
  b.startObject(FIELDS.Buffer);
  if (sentinelData) b.addFieldOffset(SLOT.Buffer.data, sentinelData, 0);
  buffers.push(b.endObject());
  g.tensors.forEach((t, i) => {
    if (!t.data) return;
    const data = dataVector(b, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), !!faults.unalignedData);
    b.startObject(FIELDS.Buffer);
    b.addFieldOffset(SLOT.Buffer.data, data, 0);
    bufferOf[i] = buffers.length;
    buffers.push(b.endObject());
  });

  const T = SLOT.Tensor;
  const tensors = g.tensors.map((t, i) => {
    const name = b.createString(t.name);
    const shape = int32Vector(b, t.shape);
    const quant = t.quant ? quantization(b, t) : 0;
    b.startObject(FIELDS.Tensor);
    b.addFieldOffset(T.shape, shape, 0);
    b.addFieldInt8(T.type, TENSOR_TYPE[t.dtype], 0);
    b.addFieldInt32(T.buffer, bufferOf[i], 0);
    b.addFieldOffset(T.name, name, 0);
    if (quant) b.addFieldOffset(T.quantization, quant, 0);
    return b.endObject();
  });

  // One operator code per builtin, stamped with the highest version any of its ops needs.
  const codes: number[] = [];
  const versions = new Map<number, number>();
  for (const o of ops) {
    const spec = builtinOf(o.op), code = spec.code;
    if (!versions.has(code)) codes.push(code);
    versions.set(code, Math.max(versions.get(code) ?? 1, spec.version(o as never, g.tensors)));
  }
  const C = SLOT.OperatorCode;
  const opcodes = codes.map((code) => {
    b.startObject(FIELDS.OperatorCode);
    // Both fields: Arm NN and old runtimes read only the byte, new ones take the larger of the two.
    if (!faults.noDeprecatedCode) b.addFieldInt8(C.deprecated_builtin_code, Math.min(code, PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
    b.addFieldInt32(C.version, versions.get(code)!, 1);
    b.addFieldInt32(C.builtin_code, code, 0);
    return b.endObject();
  });

  const O = SLOT.Operator;
  const operators = ops.map((o) => {
    const inputs = int32Vector(b, o.inputs), outputs = int32Vector(b, o.outputs);
    const [optionsType, optionsTable] = options(b, o, g.tensors);
    // custom_options stays absent on builtin ops: TFLite Micro rejects even an empty vector.
    const custom = faults.emptyCustomOptions ? dataVector(b, new Uint8Array(0), false) : 0;
    b.startObject(FIELDS.Operator);
    b.addFieldInt32(O.opcode_index, codes.indexOf(builtinOf(o.op).code), 0);
    b.addFieldOffset(O.inputs, inputs, 0);
    b.addFieldOffset(O.outputs, outputs, 0);
    if (optionsTable) {
      b.addFieldInt8(O.builtin_options_type, optionsType, 0);
      b.addFieldOffset(O.builtin_options, optionsTable, 0);
    }
    if (custom) b.addFieldOffset(O.custom_options, custom, 0);
    return b.endObject();
  });

  const G = SLOT.SubGraph;
  const sgTensors = offsetVector(b, tensors), sgInputs = int32Vector(b, g.inputs), sgOutputs = int32Vector(b, g.outputs);
  const sgOps = offsetVector(b, operators), sgName = b.createString('main');
  b.startObject(FIELDS.SubGraph);
  b.addFieldOffset(G.tensors, sgTensors, 0);
  b.addFieldOffset(G.inputs, sgInputs, 0);
  b.addFieldOffset(G.outputs, sgOutputs, 0);
  b.addFieldOffset(G.operators, sgOps, 0);
  b.addFieldOffset(G.name, sgName, 0);
  const subgraph = b.endObject();

  // A 'serving_default' signature naming the inputs and outputs: tools show and key by it.
  const tensorMap = (i: number) => {
    const name = b.createString(g.tensors[i].name);
    b.startObject(FIELDS.TensorMap);
    b.addFieldOffset(SLOT.TensorMap.name, name, 0);
    b.addFieldInt32(SLOT.TensorMap.tensor_index, i, 0);
    return b.endObject();
  };
  const sigInputs = offsetVector(b, g.inputs.map(tensorMap)), sigOutputs = offsetVector(b, g.outputs.map(tensorMap));
  const sigKey = b.createString('serving_default');
  b.startObject(FIELDS.SignatureDef);
  b.addFieldOffset(SLOT.SignatureDef.inputs, sigInputs, 0);
  b.addFieldOffset(SLOT.SignatureDef.outputs, sigOutputs, 0);
  b.addFieldOffset(SLOT.SignatureDef.signature_key, sigKey, 0);
  b.addFieldInt32(SLOT.SignatureDef.subgraph_index, 0, 0);
  const signature = b.endObject();

  const M = SLOT.Model;
  const opcodeVec = offsetVector(b, opcodes), subgraphVec = offsetVector(b, [subgraph]);
  const description = b.createString(g.description), bufferVec = offsetVector(b, buffers), sigVec = offsetVector(b, [signature]);
  b.startObject(FIELDS.Model);
  b.addFieldInt32(M.version, SCHEMA_VERSION, 0);
  b.addFieldOffset(M.operator_codes, opcodeVec, 0);
  b.addFieldOffset(M.subgraphs, subgraphVec, 0);
  b.addFieldOffset(M.description, description, 0);
  b.addFieldOffset(M.buffers, bufferVec, 0);
  b.addFieldOffset(M.signature_defs, sigVec, 0);
  b.finish(b.endObject(), FILE_IDENTIFIER);
  return b.asUint8Array().slice(); // a compact copy: the builder's backing store is larger
}
