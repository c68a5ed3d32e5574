// Tensors are float32 buffers with their NHWC shape; a dense vector is (N, 1, 1, C). The data is
// NHWC, or blocked (N, C/B, H*W, B) when the tensor says so (`block`).
import type { BlockedLayout } from '../backend/layout.js';

/** An NHWC shape. */
export type Shape = readonly [n: number, h: number, w: number, c: number];

/** A float32 buffer with its NHWC shape. */
export interface Tensor {
  shape: Shape;
  data: Float32Array;
  /**
   * Channels per block when `data` is in the blocked layout (N, C/B, H*W, B) (src/backend/layout.ts,
   * LayerContext.block); absent or 0: NHWC.
   */
  block?: number;
  /**
   * The values in bfloat16 (bf16 training). A tensor that carries `half` may have an empty
   * `data` (halfTensor): it was made for a bfloat16 convolution, which reads only `half`.
   */
  half?: Uint16Array;
  /** Set by a bfloat16 convolution on its output: it reads that output's gradient in bfloat16 only. */
  gradInBf16?: boolean;
}

export function sizeOf(shape: Shape): number {
  return shape[0] * shape[1] * shape[2] * shape[3];
}

export function formatShape(shape: Shape): string {
  return `(${shape.join(', ')})`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** The blocked layout of a tensor's data for the backend's batch-norm calls, or undefined (NHWC). */
export function layoutOf(t: Tensor): BlockedLayout | undefined {
  return t.block ? { block: t.block, hw: t.shape[1] * t.shape[2] } : undefined;
}

/**
 * The (images, pixels, channels) a per-channel op (pooling, channel scale) is called with: over
 * blocked data each plane is an "image" of one block's channels, so (N C/B, HW, B) indexes the
 * same (N, C) per-channel values as NHWC (N, HW, C).
 */
export function channelView(t: { shape: Shape; block?: number }): [n: number, hw: number, c: number] {
  const [n, h, w, c] = t.shape;
  return t.block ? [(n * c) / t.block, h * w, t.block] : [n, h * w, c];
}

/**
 * A tensor kept only in bfloat16, for a bfloat16 convolution that is its only reader: the
 * gradient of a tensor whose producer set gradInBf16, or a batch norm's output (halfOnly).
 */
export function halfTensor(shape: Shape, half: Uint16Array): Tensor {
  return { shape, data: new Float32Array(0), half };
}

/** The stand-in for an input gradient nobody reads (Layer.backward with inputGrad false): no data. */
export function noGrad(shape: Shape): Tensor {
  return { shape, data: new Float32Array(0) };
}

/** A reusable buffer: reallocated only when the element count changes (e.g. the last, smaller batch). */
export class Slot {
  private buf = new Float32Array(0);
  take(shape: Shape, block = 0): Tensor {
    const size = sizeOf(shape);
    if (this.buf.length !== size) this.buf = new Float32Array(size);
    return block ? { shape, data: this.buf, block } : { shape, data: this.buf };
  }
  /** Lets the buffer go (a layer whose output is, for now, kept only in bfloat16). */
  release(): void {
    this.buf = new Float32Array(0);
  }
}
