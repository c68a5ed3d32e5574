// The native fast path of the float facet of CONV_2D and DEPTHWISE_CONV_2D (native/float_conv.cc):
// the same float64 sums in the same order as the loops in conv-2d.ts and depthwise-conv-2d.ts,
// which stay the reference, so both give the same bits (test 57b) in one process (the addon's
// denormal mode, set when it loads, applies to both). The float engine runs one image per call,
// and the ops take this path for a batch of one. It is picked when the addon is built;
// CMV3_FLOAT_KERNELS=typescript forces the reference loops.
import { optionalAddon } from '../../backend/onednn.js';
import type { FusedAct } from '../ir.js';
import { padBefore } from './common.js';
import type { FloatKernels } from './op.js';

export type { FloatKernels } from './op.js';

type NativeFloatConv = (geom: Int32Array, x: Float32Array, w: Float32Array, bias: Float32Array, y: Float32Array) => void;

let native: NativeFloatConv | null | undefined;

function nativeConv(): NativeFloatConv | null {
  if (native === undefined) native = (optionalAddon() as unknown as { floatConv?: NativeFloatConv } | null)?.floatConv ?? null;
  return native;
}

/** Which kernels the float engine uses by default: native when the addon has them. */
export function defaultFloatKernels(): FloatKernels {
  const forced = process.env.CMV3_FLOAT_KERNELS;
  if (forced === 'typescript') return 'typescript';
  if (forced !== undefined && forced !== 'native') throw new RangeError(`Expected native or typescript for CMV3_FLOAT_KERNELS but received ${JSON.stringify(forced)}`);
  return nativeConv() ? 'native' : 'typescript';
}

/** One float convolution: x (N,H,W,Cin) NHWC; shapes as in the TFLite graph. multiplier 0: full conv. */
export interface FloatConvCall {
  x: Float32Array; xShape: number[]; w: Float32Array; wShape: number[]; bias: Float32Array; y: Float32Array; yShape: number[];
  stride: number; padding: 'SAME' | 'VALID'; act: FusedAct; multiplier: number;
}

const ACT_ID: Record<FusedAct, number> = { NONE: 0, RELU: 1, RELU6: 2 };

/** Runs it natively; throws if the addon lacks the kernel (defaultFloatKernels said so first). */
export function floatConvNative(c: FloatConvCall): void {
  const fn = nativeConv();
  if (!fn) throw new Error('the native float kernels are not built; run `npm run build:native`');
  const [n, h, w, cin] = c.xShape, [, oh, ow, cout] = c.yShape;
  const [, kh, kw] = c.wShape; // (Cout, KH, KW, Cin) or (1, KH, KW, Cout)
  const geom = Int32Array.of(n, h, w, cin, cout, kh, kw, c.stride, oh, ow,
    padBefore(h, kh, c.stride, c.padding), padBefore(w, kw, c.stride, c.padding), c.multiplier, ACT_ID[c.act]);
  fn(geom, c.x, c.w, c.bias, c.y);
}
