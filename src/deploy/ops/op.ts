// What cmv3 knows about one deployment op, as one record (an OpSpec), the way TFLite Micro gives
// each kernel one file with its registration. Each op module in this folder exports one OpSpec;
// index.ts lists them (OPS). The writer, the reader, the planner, the cost model and the deploy
// folder look facets up there instead of switching over op names.
import type { Int8Runtime, TensorQuant } from '../int8/kernels.js';
import type { Int8Kernels } from '../int8/native.js';
import type { BuiltinName, FusedAct, Graph, GraphBuilder, OpDef, OpName, Quant, TensorDef } from '../ir.js';
import type { FbView, Table } from '../tflite-format/fbview.js';
import type { Builder } from 'flatbuffers';

/** The OpDef of op N (the IR groups ops with the same fields under one member, e.g. the unary ops). */
export type OpOf<N extends OpName> = OpDef extends infer D ? (D extends { op: infer K } ? (N extends K ? D & { op: N } : never) : never) : never;

/** Writing an op's builtin options table (flatbuffers fills back to front: vectors before the table). */
export interface OptionsWriter {
  b: Builder;
  tensors: TensorDef[];
  /** Starts a table of `fields` slots, lets fill() add fields, returns its offset. */
  table(fields: number, fill: () => void): number;
  int32Vector(values: readonly number[]): number;
}

/** Reading an op's options table, with the checks every reader of a field shares. */
export interface OptionsReader {
  v: FbView;
  /** The options table (null when the file has none). */
  o: Table | null;
  /** "operator 3 (CONV_2D)", for messages */
  what: string;
  inputs: number[];
  outputs: [number];
  tensors: TensorDef[];
  needOptions(): void;
  act(slot: number): FusedAct;
  padding(): 'SAME' | 'VALID';
  stride(w: number, h: number): number;
  noDilation(w: number, h: number): void;
}

/** The TFLite side of a builtin op. */
export interface BuiltinFacet<N extends BuiltinName> {
  /** BuiltinOperator code (schema.fbs) */
  code: number;
  /** TFLite Micro's MicroMutableOpResolver method that registers the kernel */
  resolver: string;
  /** input counts the reader accepts (one output always) */
  arity: number[];
  /** the version TFLite's converter stamps (tools/versioning/op_version.cc): never more than the op needs */
  version(o: OpOf<N>, tensors: TensorDef[]): number;
  /** the BuiltinOptions union type this op carries; NONE (0) and no write for ops without options */
  optionsType: number;
  /** the options table (absent: the op writes none) */
  writeOptions?(w: OptionsWriter, o: OpOf<N>): number;
  /** the op from its inputs, outputs and options table */
  read(r: OptionsReader): OpOf<N>;
}

/** Estimated cost on the target (report.ts states the model). */
export interface OpCost {
  macs: number;
  cycles: number;
}

/** Who computes the float engine's convolutions: native/float_conv.cc (same bits) or the TypeScript loops in conv-2d.ts and depthwise-conv-2d.ts. */
export type FloatKernels = 'native' | 'typescript';

/** One op in the float engine (engine-float.ts): read the inputs, fill y. */
export interface FloatArgs {
  input(k: number): Float32Array;
  shape(k: number): number[];
  y: Float32Array;
  yShape: number[];
  yName: string;
  /** the convolutions' kernels: native (native/float_conv.cc, same bits) or the TypeScript loops */
  kernels: FloatKernels;
}

/** The values of every tensor of an int8 graph, by tensor index (engine-int8.ts). */
export type Int8Values = (Int8Array | Int32Array | undefined)[];
/** An op's int8 Eval; xnnpackFails: XNNPACK would refuse this node (engine-int8.ts falls back). */
export type Int8Step = ((vals: Int8Values) => void) & { xnnpackFails?: boolean };

/** What an op's int8 Prepare gets: the graph's tensors and whose arithmetic to mirror. */
export interface Int8Prepare {
  tensors: TensorDef[];
  runtime: Int8Runtime;
  kernels: Int8Kernels;
  /** tensor i's per-tensor quantization (an ExportError when it has none or is per-channel) */
  tq(i: number): TensorQuant;
}

/** What an op's quantize rule gets (quantize.ts): the float graph and the int8 one being built. */
export interface QuantizeContext {
  g: Graph;
  b: GraphBuilder;
  /** the int8 tensor made for float tensor t (inputs are made before their readers) */
  int8(t: number): number;
  /** makes the int8 activation tensor for float tensor t */
  act(t: number, quant: Quant): number;
  /** the quantization of the int8 tensor made for float tensor t */
  q(t: number): Quant;
  /** float tensor t's quantization from its calibrated range */
  calibrated(t: number): Quant;
  /** the HARD_SIGMOID folded into the conv that writes float tensor t, if any */
  gateOf(t: number): OpDef | undefined;
}

/** An ONNX attribute under construction (opaque: onnx.ts encodes it). */
export interface OnnxAttr { readonly onnxAttr: true }

/** What an op's ONNX emission gets (onnx.ts): the graph runs NCHW inside, constants are converted once. */
export interface OnnxEmitter {
  tensors: TensorDef[];
  /** the ONNX value name of the op's output, and the node name to use */
  out: string;
  name: string;
  node(opType: string, inputs: string[], outputs: string[], name: string, attrs?: OnnxAttr[]): void;
  /** an op whose result may carry a TFLite fused activation (Relu / Clip after it), writing `out` */
  withAct(opType: string, inputs: string[], act: FusedAct, attrs?: OnnxAttr[]): void;
  /** the ONNX name of operand i, in NCHW (4-D activations) or plain */
  operand(i: number, nchw: boolean, rank?: number): string;
  /** the ONNX name of constant i in a layout: 'conv' (Cout,Cin,KH,KW), 'depthwise' (Cout,1,KH,KW), 'nchw', 'plain' */
  constant(i: number, kind: 'plain' | 'nchw' | 'conv' | 'depthwise', rank?: number): string;
  isConst(i: number): boolean;
  rank4(i: number): boolean;
  /** a value name not used yet */
  fresh(base: string): string;
  int64s(base: string, values: number[]): string;
  scalar(base: string, v: number): string;
  /** the two constants of Clip(0, 6) */
  clip6(): string[];
  attrInt(name: string, v: number): OnnxAttr;
  attrInts(name: string, vs: number[]): OnnxAttr;
  attrFloat(name: string, v: number): OnnxAttr;
  /** TF padding as ONNX's explicit [before, after] */
  pads(size: number, kernel: number, stride: number, padding: 'SAME' | 'VALID'): [number, number];
}

/** What a pseudo-op's float legalization gets (legalize.ts): the builder of the builtin-only graph. */
export interface LegalizeContext {
  b: GraphBuilder;
  /** a shared (1,1,1,1) float constant, made once per graph */
  scalar(name: string, v: number): number;
  /** a new float tensor shaped like the op's output, named after it with a suffix */
  tmp(suffix: string): number;
}

export interface OpSpec<N extends OpName = OpName> {
  name: N;
  /** absent for the pseudo-ops (MISH, HARD_SIGMOID), which legalize / quantize replace before writing */
  builtin?: N extends BuiltinName ? BuiltinFacet<N> : never;
  /** Its output is a probability distribution (a model ending in it reports probabilities). */
  probabilities?: boolean;
  /** The output may share the input's arena memory (element-wise, same size, planner.ts). */
  inPlace?: boolean;
  /** Pseudo-ops: the exact builtin ops that replace it in a float file. */
  legalize?(o: OpOf<N>, l: LegalizeContext): void;
  /** TFLite Micro keeps a multiplier and a shift per output channel (per-channel int8 weights). */
  channelParams?: boolean;
  /** Inputs that are not float32 data in a float graph (RESHAPE's optional int32 shape). */
  shapeInputs?(o: OpOf<N>): number[];
  /** Float32 evaluation, float64 accumulation (absent: the float engine refuses the op). */
  float?(o: OpOf<N>, a: FloatArgs): void;
  /** int8 Prepare (validation, multipliers, tables) returning the Eval (absent: no int8 kernel). */
  int8?(o: OpOf<N>, p: Int8Prepare): Int8Step;
  /** Its int8 form in the quantized graph (absent: "has no int8 form"). */
  quantize?(o: OpOf<N>, c: QuantizeContext): void;
  /** Its float32 ONNX nodes (absent: "has no float32 ONNX form"). */
  onnx?(o: OpOf<N>, e: OnnxEmitter): void;
  /** The int8 cost on the MCU target (report.ts). */
  cost(o: OpOf<N>, tensors: TensorDef[]): OpCost;
}
