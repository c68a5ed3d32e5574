// The native fast path of the int8 convolutions (native/int8.cc): same accumulator and the
// same three requantizations as conv.ts, which stays the reference. The engine picks it when
// the addon is built; CMV3_INT8_KERNELS=typescript forces the reference kernels.
import { loadOnednnAddon } from '../../backend/onednn.js';
import type { ConvPrepared } from './conv.js';

export type Int8Kernels = 'native' | 'typescript';

type NativeInt8Conv = (geom: Int32Array, x: Int8Array, w: Int8Array, bias: Int32Array | null,
  mult: Int32Array, shift: Int32Array, scale: Float32Array, y: Int8Array) => void;

let native: NativeInt8Conv | null | undefined;

function nativeConv(): NativeInt8Conv | null {
  if (native === undefined) {
    try {
      const addon = loadOnednnAddon() as unknown as { int8Conv?: NativeInt8Conv };
      native = addon.int8Conv ?? null;
    } catch {
      native = null;
    }
  }
  return native;
}

/** Which kernels an engine gets by default: native when the addon has them. */
export function defaultInt8Kernels(): Int8Kernels {
  const forced = process.env.CMV3_INT8_KERNELS;
  if (forced === 'typescript') return 'typescript';
  if (forced !== undefined && forced !== 'native') throw new RangeError(`Expected native or typescript for CMV3_INT8_KERNELS but received ${JSON.stringify(forced)}`);
  return nativeConv() ? 'native' : 'typescript';
}

const REQUANT_ID = { double: 0, single: 1, fp32: 2 } as const;

/** Order matches struct Geom in native/int8.cc. */
export function packInt8Geometry(pp: ConvPrepared): Int32Array {
  const g = pp.g;
  return Int32Array.of(g.batch, g.inH, g.inW, g.inC, g.outC, g.kH, g.kW, g.stride, g.outH, g.outW, g.padT, g.padL,
    pp.depthwise ? 1 : 0, pp.inputZp, pp.outputZp, pp.actMin, pp.actMax, REQUANT_ID[pp.requant]);
}

/** A conv/depthwise Eval over the native kernel, geometry packed once; throws if the addon lacks it. */
export function nativeConvEval(pp: ConvPrepared): (x: Int8Array, w: Int8Array, bias: Int32Array | null, y: Int8Array) => void {
  const fn = nativeConv();
  if (!fn) throw new Error('the native int8 kernels are not built; run `npm run build:native`');
  const geom = packInt8Geometry(pp);
  return (x, w, bias, y) => fn(geom, x, w, bias, pp.mult, pp.shift, pp.fscale, y);
}
