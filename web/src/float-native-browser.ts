// The browser build's stand-in for src/deploy/ops/conv-native.ts: no native addon in a page, so the
// float engine's convolutions always run the TypeScript loops (scripts/build-web.mjs swaps it in).
import type { FloatKernels } from '../../src/deploy/ops/op.js';

export type { FloatKernels };

export const defaultFloatKernels = (): FloatKernels => 'typescript';

export function floatConvNative(_call: unknown): never {
  throw new Error('the native float kernels do not exist in a browser; use the typescript kernels');
}
