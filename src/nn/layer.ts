// The layer contract: a constructor checks and allocates, forward/backward are plain passes over
// buffers the layer owns. backward() must follow the forward() of the same batch.
import type { Activation, Backend, Precision } from '../backend/types.js';
import type { Shape, Tensor } from './tensor.js';

/** A trainable tensor and its gradient. `decay` is false for BN affine terms and biases. */
export interface Param {
  name: string;
  shape: readonly number[];
  data: Float32Array;
  grad: Float32Array;
  decay: boolean;
  /** 'bnBias': a batch-norm shift, which recipes may train at a higher lr (OptimizerSettings.bnBiasLrScale) */
  group?: 'bnBias';
}

/** A non-trainable tensor saved with the model (BN moving statistics). */
export interface Buffer {
  name: string;
  data: Float32Array;
}

/** One row of a model summary. */
export interface LayerInfo {
  name: string;
  kind: string;
  inShape: Shape;
  outShape: Shape;
  params: number;
  nonTrainable: number;
  macs: number;
}

/** The network's structure as plain data, for exporters and the PyTorch benchmark twin. */
export type GraphNode =
  | { op: 'sequential'; name: string; layers: GraphNode[] }
  | { op: 'residual'; name: string; body: GraphNode }
  | { op: 'conv'; name: string; cin: number; cout: number; kernel: number; stride: number; groups: number; bias: boolean }
  | { op: 'batchnorm'; name: string; channels: number; act: Activation; momentum: number; eps: number }
  | { op: 'activation'; name: string; act: Activation }
  | { op: 'se'; name: string; channels: number; reduced: number; inner: Activation; gate: Activation; fc1: string; fc2: string }
  | { op: 'avgpool'; name: string }
  | { op: 'dropout'; name: string; rate: number };

/** A layer: its parameters, buffers, shapes, and one forward and one backward call. */
export interface Layer {
  readonly name: string;
  /** The layer as a node of the network graph (for export and summaries). */
  graph(): GraphNode;
  /** Its trainable parameters. */
  params(): Param[];
  /** Its non-trainable state (BN moving statistics). */
  buffers(): Buffer[];
  /** The output shape for an input shape. */
  outputShape(inShape: Shape): Shape;
  /** Summary rows for an input shape. */
  describe(inShape: Shape): LayerInfo[];
  /** Computes the output (training: batch statistics, dropout on). */
  forward(x: Tensor, training: boolean): Tensor;
  /**
   * The input gradient from the output gradient; accumulates parameter gradients.
   * `inputGrad` false says nobody reads the input gradient (the network's input): a layer may then
   * skip computing it and return `noGrad(shape)`, a tensor without data (convolutions do: the
   * stem's backward-data pass was 0.8% of a training step).
   */
  backward(dy: Tensor, inputGrad?: boolean): Tensor;
}

export interface LayerContext {
  backend: Backend;
  /** training precision: 'bf16' runs the convolutions convPrecision covers in bfloat16; default 'f32' */
  precision?: Precision;
  /**
   * Activations in the blocked layout with this many channels per block (Backend.activationBlock())
   * wherever a feature map's channels are whole blocks; absent or 0: NHWC everywhere. float32 only.
   */
  block?: number;
}

export function newParam(name: string, shape: number[], decay: boolean): Param {
  const size = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: new Float32Array(size), grad: new Float32Array(size), decay };
}

export function leafInfo(layer: Layer, kind: string, inShape: Shape, macs: number): LayerInfo[] {
  const params = layer.params().reduce((a, p) => a + p.data.length, 0);
  const nonTrainable = layer.buffers().reduce((a, b) => a + b.data.length, 0);
  return [{ name: layer.name, kind, inShape, outShape: layer.outputShape(inShape), params, nonTrainable, macs }];
}
