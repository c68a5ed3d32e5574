// The browser build's stand-in for src/deploy/int8/native.ts: a page has no native addon, so the
// int8 engine always takes the TypeScript reference kernels (scripts/build-web.mjs swaps it in).
import type { ConvPrepared } from '../../src/deploy/int8/conv.js';

export type Int8Kernels = 'native' | 'typescript';

export const defaultInt8Kernels = (): Int8Kernels => 'typescript';

const none = (): never => {
  throw new Error('the native int8 kernels do not exist in a browser; use the typescript kernels');
};

export const nativeConvEval = (_pp: ConvPrepared, _weights?: Int8Array): never => none();
export const nativeLookupEval = (_table: Int8Array): never => none();
export const nativePairLookupEval = (_table: Int8Array, _idxA: Int32Array | null, _idxB: Int32Array | null): never => none();
