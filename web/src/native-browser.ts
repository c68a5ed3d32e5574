// The browser build's stand-in for src/deploy/int8/native.ts: a page has no native addon, so the
// int8 engine always takes the TypeScript reference kernels (scripts/build-web.mjs swaps it in).
import type { ConvPrepared } from '../../src/deploy/int8/conv.js';

export type Int8Kernels = 'native' | 'typescript';

export const defaultInt8Kernels = (): Int8Kernels => 'typescript';

export function nativeConvEval(_pp: ConvPrepared): never {
  throw new Error('the native int8 kernels do not exist in a browser; use the typescript kernels');
}
