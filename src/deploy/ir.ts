// The deployment graph: what a .tflite file holds, as plain data. Lowering (a trained Model),
// the quantizer, both inference engines, the TFLite writer and reader all speak this one form.
// Ops and their options mirror TFLite builtins one to one, so writing a file is a translation,
// never a rewrite; what cmv3 knows about each op (codes, options, costs) is its module in ops/. Tensors are NHWC; conv weights (Cout, KH, KW, Cin), depthwise (1, KH, KW, Cout).

export type DType = 'float32' | 'int8' | 'int32';

/** Affine quantization: real = scale * (q - zeroPoint); per-channel along `axis` when scale.length > 1. */
export interface Quant {
  scale: number[];
  zeroPoint: number[];
  axis: number;
}

export type TensorData = Float32Array | Int8Array | Int32Array;

export interface TensorDef {
  name: string;
  shape: number[];
  dtype: DType;
  quant?: Quant;
  /** Present for constants (weights, biases, tables); absent for activations. */
  data?: TensorData;
}

/** TFLite's fused activation functions (ActivationFunctionType). */
export type FusedAct = 'NONE' | 'RELU' | 'RELU6';

export type OpDef =
  | { op: 'CONV_2D'; inputs: [number, number, number]; outputs: [number]; stride: number; padding: 'SAME' | 'VALID'; act: FusedAct }
  | { op: 'DEPTHWISE_CONV_2D'; inputs: [number, number, number]; outputs: [number]; stride: number; padding: 'SAME' | 'VALID'; multiplier: number; act: FusedAct }
  | { op: 'ADD' | 'MUL'; inputs: [number, number]; outputs: [number]; act: FusedAct }
  | { op: 'AVERAGE_POOL_2D'; inputs: [number]; outputs: [number]; filter: number; stride: number; padding: 'SAME' | 'VALID'; act: FusedAct }
  | { op: 'RESHAPE'; inputs: [number] | [number, number]; outputs: [number]; newShape: number[] }
  | { op: 'SOFTMAX'; inputs: [number]; outputs: [number]; beta: number }
  | { op: 'GATHER'; inputs: [number, number]; outputs: [number]; axis: number }
  | { op: 'CAST'; inputs: [number]; outputs: [number] }
  | { op: 'HARD_SWISH' | 'LOGISTIC' | 'TANH' | 'EXP' | 'LOG' | 'RELU' | 'RELU6'; inputs: [number]; outputs: [number] }
  | { op: 'LEAKY_RELU'; inputs: [number]; outputs: [number]; alpha: number }
  // Pseudo-ops: what lowering emits and calibration runs; legalize (float) and quantize (int8)
  // replace them with builtins before anything is written.
  | { op: 'MISH' | 'HARD_SIGMOID'; inputs: [number]; outputs: [number] };

export type OpName = OpDef['op'];
export type BuiltinName = Exclude<OpName, 'MISH' | 'HARD_SIGMOID'>;

/** A deployment graph: TFLite builtins one to one, NHWC, batch 1; float32 or int8 tensors. */
export interface Graph {
  tensors: TensorDef[];
  ops: OpDef[];
  inputs: number[];
  outputs: number[];
  /** Free-form provenance written into the file's description (model name, width, labels...). */
  description: string;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function bytesPerElement(t: DType): number {
  return t === 'int8' ? 1 : 4;
}

/** A graph under construction: tensors appended, indices handed back. */
export class GraphBuilder {
  readonly tensors: TensorDef[] = [];
  readonly ops: OpDef[] = [];

  tensor(t: TensorDef): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }
  op(o: OpDef): number {
    this.ops.push(o);
    return o.outputs[0];
  }
  finish(inputs: number[], outputs: number[], description: string): Graph {
    return { tensors: this.tensors, ops: this.ops, inputs, outputs, description };
  }
}

/** Which ops read each tensor (for planners and rewrites). */
export function consumers(g: Graph): number[][] {
  const out: number[][] = g.tensors.map(() => []);
  g.ops.forEach((o, i) => o.inputs.forEach((t) => out[t].push(i)));
  return out;
}
