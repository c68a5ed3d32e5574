// The native fast paths of the int8 engine: the convolutions (native/int8.cc: same accumulator and
// the same three requantizations as conv.ts) and the table lookups (native/int8_lookup.cc: as
// lookupInt8 and lookupPairs); the TypeScript kernels stay the reference. The engine picks them
// when the addon is built; CMV3_INT8_KERNELS=typescript forces the reference kernels.
import { optionalAddon } from '../../backend/onednn.js';
import type { ConvPrepared } from './conv.js';

export type Int8Kernels = 'native' | 'typescript';

type NativeInt8Conv = (geom: Int32Array, x: Int8Array, w: Int8Array, bias: Int32Array | null,
  mult: Int32Array, shift: Int32Array, scale: Float32Array, y: Int8Array, packed?: Int16Array | null) => void;

interface NativeInt8 {
  int8Conv: NativeInt8Conv;
  int8PackConv(w: Int8Array, k: number, cout: number): Int16Array;
  int8Lookup(table: Int8Array, x: Int8Array, y: Int8Array, n: number): void;
  int8PairLookup(table: Int8Array, a: Int8Array, b: Int8Array, idxA: Int32Array | null, idxB: Int32Array | null, y: Int8Array, lengths: Int32Array): void;
}

let native: NativeInt8 | null | undefined;

/** The addon's int8 kernels, or null when it is not built (or predates them). */
function nativeInt8(): NativeInt8 | null {
  if (native === undefined) {
    const addon = optionalAddon() as unknown as Partial<NativeInt8> | null;
    native = addon?.int8Conv && addon.int8PackConv && addon.int8Lookup && addon.int8PairLookup ? (addon as NativeInt8) : null;
  }
  return native;
}

function required(): NativeInt8 {
  const n = nativeInt8();
  if (!n) throw new Error('the native int8 kernels are not built; run `npm run build:native`');
  return n;
}

/** Which kernels an engine gets by default: native when the addon has them. */
export function defaultInt8Kernels(): Int8Kernels {
  const forced = process.env.CMV3_INT8_KERNELS;
  if (forced === 'typescript') return 'typescript';
  if (forced !== undefined && forced !== 'native') throw new RangeError(`Expected native or typescript for CMV3_INT8_KERNELS but received ${JSON.stringify(forced)}`);
  return nativeInt8() ? 'native' : 'typescript';
}

const REQUANT_ID = { double: 0, single: 1, fp32: 2 } as const;

/** Order matches struct Geom in native/int8.cc. */
export function packInt8Geometry(pp: ConvPrepared): Int32Array {
  const g = pp.g;
  return Int32Array.of(g.batch, g.inH, g.inW, g.inC, g.outC, g.kH, g.kW, g.stride, g.outH, g.outW, g.padT, g.padL,
    pp.depthwise ? 1 : 0, pp.inputZp, pp.outputZp, pp.actMin, pp.actMax, REQUANT_ID[pp.requant]);
}

/**
 * A conv/depthwise Eval over the native kernel, geometry packed once; throws if the addon lacks it.
 * `weights`: a full convolution's weights known at Prepare, packed once for the kernel (the Eval
 * must then be given the same array); without them each call packs its own.
 */
export function nativeConvEval(pp: ConvPrepared, weights?: Int8Array): (x: Int8Array, w: Int8Array, bias: Int32Array | null, y: Int8Array) => void {
  const n = required(), geom = packInt8Geometry(pp), g = pp.g;
  const packed = weights && !pp.depthwise ? n.int8PackConv(weights, g.kH * g.kW * g.inC, g.outC) : null;
  return (x, w, bias, y) => {
    if (packed && w !== weights) throw new Error('nativeConvEval: the Eval was prepared for other weights');
    n.int8Conv(geom, x, w, bias, pp.mult, pp.shift, pp.fscale, y, packed);
  };
}

/** lookupInt8 over the native loop: y[i] = table[x[i] & 255]. */
export function nativeLookupEval(table: Int8Array): (x: Int8Array, y: Int8Array) => void {
  const n = required();
  return (x, y) => n.int8Lookup(table, x, y, x.length);
}

/** lookupPairs over the native loop, with the op's broadcast index maps. */
export function nativePairLookupEval(table: Int8Array, idxA: Int32Array | null, idxB: Int32Array | null): (a: Int8Array, b: Int8Array, y: Int8Array) => void {
  const n = required(), lengths = new Int32Array(3);
  return (a, b, y) => {
    lengths[0] = a.length; lengths[1] = b.length; lengths[2] = y.length;
    n.int8PairLookup(table, a, b, idxA, idxB, y, lengths);
  };
}
