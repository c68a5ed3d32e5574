// bfloat16 mixed precision for training: which convolutions it covers, and the rounding of the
// reference backend, bit for bit the native one's (native/misc.cc ToBf16): round to nearest, ties
// to even; a NaN stays a NaN. A bfloat16 tensor is a Uint16Array holding the upper halves of the
// float32 values.
import type { ConvGeometry, ConvInput, Precision } from './types.js';

/**
 * Precision bf16 covers the dense 1x1 convolutions over feature maps: about 2x on every 1x1 shape
 * of cmv3 alone (`npm run bench:bf16`). The stem, the depthwise convolutions, batch norm and
 * everything else stay float32, and so do the 1x1 convolutions on pooled vectors
 * (squeeze-and-excite, classifier: a negligible share of the time, and the logits keep float32)
 * and those bf16Allowed refuses.
 */
export function convPrecision(precision: Precision, g: ConvGeometry): Precision {
  const dense1x1 = g.kh === 1 && g.kw === 1 && g.h * g.w > 1;
  return precision === 'bf16' && dense1x1 && bf16Allowed(g) === null ? 'bf16' : 'f32';
}

/**
 * Why a convolution cannot take bfloat16 inputs, or null if it can: dense only, and output
 * channels in multiples of 8 (oneDNN 2.6's bf16 1x1 backward-data kernel reads past the last
 * output channel otherwise; test 20 found it). Both backends refuse the same geometries.
 */
export function bf16Allowed(g: ConvGeometry): string | null {
  if (g.groups !== 1) return `precision bf16 is for dense convolutions (groups 1) but received groups=${g.groups}`;
  if (g.cout % 8 !== 0) return `precision bf16 needs output channels in multiples of 8 but received cout=${g.cout}`;
  return null;
}

/**
 * Checks a convolution pass's activation inputs before any arithmetic: all Float32Arrays or all
 * bfloat16, and bfloat16 only for the geometries bf16Allowed accepts. Both backends call it, so
 * users see the same message from either (the addon keeps its own guard for direct callers).
 */
export function checkConvInputs(g: ConvGeometry, inputs: readonly ConvInput[]): void {
  const bf16 = inputs[0] instanceof Uint16Array;
  if (inputs.some((a) => (a instanceof Uint16Array) !== bf16)) throw new TypeError('x and dy must both be Float32Arrays or both Uint16Arrays (bfloat16)');
  const refused = bf16 ? bf16Allowed(g) : null;
  if (refused) throw new RangeError(refused);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bfloat16 bits of v: nearest, ties to even; a NaN keeps its sign and top payload, made quiet. */
export function bf16Bits(v: number): number {
  f32[0] = v;
  const b = u32[0];
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** v rounded to the nearest bfloat16, as a number. */
export function roundBf16(v: number): number {
  u32[0] = bf16Bits(v) << 16;
  return f32[0];
}

/** y = x rounded to bfloat16 (the reference of Backend.toBf16). */
export function toBf16(x: Float32Array, y: Uint16Array): void {
  for (let i = 0; i < x.length; i++) y[i] = bf16Bits(x[i]);
}

/** The float32 values of a bfloat16 tensor (exact); any other array passes through (test 02 runs the reference on Float64Arrays). */
export function widen(a: Float32Array | Uint16Array): Float32Array {
  if (!(a instanceof Uint16Array)) return a;
  const bits = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) bits[i] = a[i] << 16;
  return new Float32Array(bits.buffer);
}

/** A reusable bfloat16 buffer, reallocated only when the element count changes (as Slot). */
export class HalfSlot {
  private buf = new Uint16Array(0);
  take(size: number): Uint16Array {
    if (this.buf.length !== size) this.buf = new Uint16Array(size);
    return this.buf;
  }
}
