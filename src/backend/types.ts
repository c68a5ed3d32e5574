// The compute interface shared by the reference (pure TypeScript) and oneDNN backends.
// Every tensor is a plain float32 buffer owned by JS, activations in NHWC order.
// Every op writes (never accumulates into) its outputs, so callers own all buffers.
import type { BlockedLayout } from './layout.js';

export type { BlockedLayout };

/** Element-wise nonlinearities. 'none' is the identity (BN without activation); 'leaky_relu' has slope LEAKY_RELU_ALPHA below 0. */
export type Activation = 'none' | 'relu' | 'relu6' | 'hswish' | 'hsigmoid' | 'sigmoid' | 'mish' | 'leaky_relu';
/** Every activation a spec may name. */
export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'relu6', 'hswish', 'hsigmoid', 'sigmoid', 'mish', 'leaky_relu'];

/** leaky_relu's negative slope: Darknet's and most embedded detectors' 0.1 (a fixed part of the name, as relu6's 6 is). */
export const LEAKY_RELU_ALPHA = 0.1;

/** Numeric ids shared with the native addon (native/eltwise.h). */
export const ACTIVATION_ID: Record<Activation, number> = {
  none: 0, relu: 1, relu6: 2, hswish: 3, hsigmoid: 4, sigmoid: 5, mish: 6, leaky_relu: 7,
};

/**
 * A training run's precision: 'bf16' runs the convolutions convPrecision (bf16.ts) picks on
 * bfloat16 inputs with float32 sums; 'f32' everything in float32.
 */
export type Precision = 'f32' | 'bf16';
/** Every precision a run may name. */
export const PRECISIONS: readonly Precision[] = ['f32', 'bf16'];

/**
 * A convolution's activation input: float32, or bfloat16 as a Uint16Array (the upper halves of
 * float32 values; Backend.toBf16 makes one). A pass given bfloat16 inputs reads its weights
 * rounded to bfloat16 too and sums in float32; its outputs are always float32. bfloat16 inputs
 * are for the geometries bf16Allowed (bf16.ts) accepts.
 */
export type ConvInput = Float32Array | Uint16Array;

/**
 * One 2-D convolution, fully resolved. Input (N, H, W, Cin), output (N, OH, OW, Cout).
 * Weights are HWIO: (KH, KW, Cin/groups, Cout), output channel o in group floor(o / (Cout/groups)).
 * For depthwise (groups = Cin, Cout = Cin*m) this is TensorFlow's depthwise layout
 * (KH, KW, Cin, m) flattened: output channel c*m + j reads input channel c.
 * Padding is TensorFlow 'same': the odd pixel goes to the bottom/right.
 */
export interface ConvGeometry {
  n: number; h: number; w: number; cin: number;
  cout: number; kh: number; kw: number;
  stride: number; groups: number;
  oh: number; ow: number;
  padTop: number; padLeft: number; padBottom: number; padRight: number;
  /**
   * The block size of the input's (and dx's) and the output's (and dy's) blocked layout
   * (layout.ts), absent or 0 for NHWC. The channels must be a multiple of it. Native: 8 or 16,
   * float32 only, and depthwise then runs on oneDNN (cmv3's depthwise kernels read NHWC only).
   */
  srcBlock?: number; dstBlock?: number;
}

/** The compute interface both backends implement: NHWC float32 buffers owned by the caller; every op overwrites its outputs. */
export interface Backend {
  readonly name: 'onednn' | 'reference';
  /** Sets the number of compute threads. */
  setThreads(n: number): void;
  /** The number of compute threads. */
  getThreads(): number;

  /** (N,H,W,Cin) x (KH,KW,Cin/g,Cout) [+ bias (Cout)] -> (N,OH,OW,Cout) */
  conv2dForward(g: ConvGeometry, x: ConvInput, w: Float32Array, bias: Float32Array | null, y: Float32Array): void;
  /** dy (N,OH,OW,Cout) -> dx (N,H,W,Cin) */
  conv2dBackwardData(g: ConvGeometry, dy: ConvInput, w: Float32Array, dx: Float32Array): void;
  /** x, dy (both float32 or both bfloat16) -> dw (KH,KW,Cin/g,Cout) and dbias (Cout) if given */
  conv2dBackwardWeights(g: ConvGeometry, x: ConvInput, dy: ConvInput, dw: Float32Array, dbias: Float32Array | null): void;
  /** y = x rounded to bfloat16 (nearest, ties to even), the input of a bfloat16 convolution */
  toBf16(x: Float32Array, y: Uint16Array): void;
  /** whether bfloat16 convolutions run here: native needs AVX512_BF16 or AMX; the reference always can */
  bf16Supported(): boolean;

  /**
   * Batch norm over rows = N*H*W, per channel c, followed by an activation: y = act(gamma * (x - mean) / sqrt(var + eps) + beta). Training computes the batch mean and the biased batch variance and writes them to mean/variance.
   * With `layout`, x and y are blocked (layout.ts: rows = N * layout.hw).
   * With yHalf, y is also written there rounded to bfloat16 (toBf16's bits), for a bf16 convolution next;
   * with y null as well, only yHalf is written (that convolution is the output's only reader).
   */
  batchNormActForwardTraining(rows: number, c: number, x: Float32Array, gamma: Float32Array, beta: Float32Array,
    eps: number, act: Activation, y: Float32Array | null, mean: Float32Array, variance: Float32Array, yHalf?: Uint16Array | null,
    layout?: BlockedLayout): void;
  /** Batch norm with the moving statistics, then the activation (inference). */
  batchNormActForwardInference(rows: number, c: number, x: Float32Array, gamma: Float32Array, beta: Float32Array,
    mean: Float32Array, variance: Float32Array, eps: number, act: Activation, y: Float32Array, layout?: BlockedLayout): void;
  /**
   * Gradient of the training-mode forward (batch statistics), given the saved batch mean/variance.
   * With dxHalf the input gradient goes there, rounded to bfloat16 (for a bf16 convolution before
   * the batch norm), and dx is only scratch.
   */
  batchNormActBackward(rows: number, c: number, x: Float32Array, dy: Float32Array, gamma: Float32Array,
    beta: Float32Array, mean: Float32Array, variance: Float32Array, eps: number, act: Activation,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, dxHalf?: Uint16Array | null, layout?: BlockedLayout): void;
  /**
   * The block size of the blocked activation layout (layout.ts) this backend's kernels take, 0 if
   * none: the native kernels' vector width (8 with AVX2, 16 with AVX-512). The batch norms take
   * `layout` (x, y, dy and dx all blocked; no bfloat16 outputs); the reference takes any block.
   */
  activationBlock(): number;

  /** y = act(x), dx = dy * act'(x); lengths from x. */
  activationForward(act: Activation, x: Float32Array, y: Float32Array): void;
  /** dx = dy * act'(x). */
  activationBackward(act: Activation, x: Float32Array, dy: Float32Array, dx: Float32Array): void;

  /** (N, HW, C) -> (N, C) mean over HW, and its gradient. */
  globalAvgPoolForward(n: number, hw: number, c: number, x: Float32Array, y: Float32Array): void;
  /** The gradient of globalAvgPoolForward. */
  globalAvgPoolBackward(n: number, hw: number, c: number, dy: Float32Array, dx: Float32Array): void;

  /** y[n,p,c] = x[n,p,c] * s[n,c] (squeeze-and-excite rescale), and its gradients. */
  channelScaleForward(n: number, hw: number, c: number, x: Float32Array, s: Float32Array, y: Float32Array): void;
  /** The gradients of channelScaleForward for x and s. */
  channelScaleBackward(n: number, hw: number, c: number, x: Float32Array, s: Float32Array, dy: Float32Array,
    dx: Float32Array, ds: Float32Array): void;

  /** y = a + b element-wise (residual add and gradient sums); y may alias a. */
  add(a: Float32Array, b: Float32Array, y: Float32Array): void;

  /** NHWC (n, hw, c) -> blocked (n, c / block, hw, block) (toBlocked), or back; layout.ts. */
  layoutReorder(n: number, hw: number, c: number, block: number, src: Float32Array, dst: Float32Array, toBlocked: boolean): void;
}
