// The oneDNN backend: the native addon (native/, built by `npm run build:native`) wrapped in
// the Backend interface. Buffer lengths are checked here, in JS, before each native call, so
// a wrong shape surfaces as a RangeError naming the argument; the addon re-checks them anyway.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkConvInputs } from './bf16.js';
import { ACTIVATION_ID, type Activation, type Backend, type ConvGeometry, type ConvInput } from './types.js';

/** Errors raised by the addon. `code` is e.g. ERR_DNNL_UNIMPLEMENTED, ERR_DNNL_INVALID_ARGUMENTS, ERR_SHAPE. */
export class NativeError extends Error {
  code = 'ERR_NATIVE';
  constructor(message: string) {
    super(message);
    this.name = 'NativeError';
  }
}

type F32 = Float32Array;

/** The raw addon exports (see native/addon.cc). */
export interface NativeAddon {
  setErrorClass(cls: new (message: string) => Error): void;
  setThreads(n: number): void;
  getThreads(): number;
  setFlushDenormals(on: boolean): void;
  clearCache(): void;
  cacheSize(): number;
  /** x / dy: Float32Array, or Uint16Array for bfloat16 (dense convolutions) */
  convForward(g: Int32Array, x: ConvInput, w: F32, bias: F32 | null, y: F32): void;
  convBackwardData(g: Int32Array, dy: ConvInput, w: F32, dx: F32): void;
  convBackwardWeights(g: Int32Array, x: ConvInput, dy: ConvInput, dw: F32, dbias: F32 | null): void;
  toBf16(x: F32, y: Uint16Array): void;
  bf16Supported(): boolean;
  bnActForwardTraining(rows: number, c: number, x: F32, gamma: F32, beta: F32, eps: number, act: number,
    y: F32 | null, mean: F32, variance: F32, yHalf: Uint16Array | null, block: number, hw: number): void;
  bnActForwardInference(rows: number, c: number, x: F32, gamma: F32, beta: F32, mean: F32, variance: F32,
    eps: number, act: number, y: F32, block: number, hw: number): void;
  activationBlock(): number;
  /** dxHalf: bfloat16 output of the gradient (dx is then scratch) */
  bnActBackward(rows: number, c: number, x: F32, dy: F32, gamma: F32, beta: F32, mean: F32, variance: F32,
    eps: number, act: number, dx: F32, dgamma: F32, dbeta: F32, dxHalf: Uint16Array | null, block: number, hw: number): void;
  actForward(act: number, x: F32, y: F32): void;
  actBackward(act: number, x: F32, dy: F32, dx: F32): void;
  gapForward(n: number, hw: number, c: number, x: F32, y: F32): void;
  gapBackward(n: number, hw: number, c: number, dy: F32, dx: F32): void;
  channelScaleForward(n: number, hw: number, c: number, x: F32, s: F32, y: F32): void;
  channelScaleBackward(n: number, hw: number, c: number, x: F32, s: F32, dy: F32, dx: F32, ds: F32): void;
  add(a: F32, b: F32, y: F32): void;
  layoutReorder(n: number, hw: number, c: number, block: number, src: F32, dst: F32, toBlocked: boolean): void;
  /** c = a (m x k) b (k x n), row-major, oneDNN's sgemm: bench:train's compute limit, not a training op */
  sgemm(m: number, n: number, k: number, a: F32, b: F32, c: F32): void;
}

/** Where `npm run build:native` puts the addon; this file compiles to dist/src/backend/. */
export const ADDON_PATH = fileURLToPath(new URL('../../../build/Release/cmv3_native.node', import.meta.url));

let addon: NativeAddon | null = null;

/** Loads the addon once. Throws (with the path and how to build it) if it is missing. */
export function loadOnednnAddon(given = ADDON_PATH): NativeAddon {
  // Resolved against the working directory: require() would take a relative path from this file.
  const path = resolve(given);
  if (path === ADDON_PATH && addon) return addon;
  if (!existsSync(path)) {
    throw new Error(`cmv3 native addon not found at ${path}; run \`npm run build:native\``);
  }
  const loaded = createRequire(import.meta.url)(path) as NativeAddon;
  loaded.setErrorClass(NativeError);
  if (path === ADDON_PATH) addon = loaded;
  return loaded;
}

/** The addon when it is built and loads, else null: for fast paths that keep a TypeScript reference. */
export function optionalAddon(): NativeAddon | null {
  try {
    return loadOnednnAddon();
  } catch {
    return null;
  }
}

function expectLength(name: string, a: F32 | Uint16Array, expected: number): void {
  if (a.length !== expected) throw new RangeError(`Expected length ${expected} for ${name} but received ${a.length}`);
}

// Geometry goes over as one Int32Array (one argument instead of 17 property reads in C++).
// Order matches struct Geom in native/conv_geom.h. Reused: calls are synchronous.
const geometry = new Int32Array(17);
function packGeometry(g: ConvGeometry): Int32Array {
  geometry[0] = g.n; geometry[1] = g.h; geometry[2] = g.w; geometry[3] = g.cin; geometry[4] = g.cout;
  geometry[5] = g.kh; geometry[6] = g.kw; geometry[7] = g.stride; geometry[8] = g.groups;
  geometry[9] = g.oh; geometry[10] = g.ow;
  geometry[11] = g.padTop; geometry[12] = g.padLeft; geometry[13] = g.padBottom; geometry[14] = g.padRight;
  geometry[15] = g.srcBlock ?? 0; geometry[16] = g.dstBlock ?? 0;
  return geometry;
}

function convLengths(g: ConvGeometry): { src: number; dst: number; weights: number } {
  if (g.groups < 1 || g.cin % g.groups !== 0 || g.cout % g.groups !== 0) {
    throw new RangeError(`Expected groups dividing cin and cout for conv geometry but received groups=${g.groups}, cin=${g.cin}, cout=${g.cout}`);
  }
  return {
    src: g.n * g.h * g.w * g.cin,
    dst: g.n * g.oh * g.ow * g.cout,
    weights: g.kh * g.kw * (g.cin / g.groups) * g.cout,
  };
}

function actId(act: Activation): number {
  const id = ACTIVATION_ID[act];
  if (id === undefined) throw new RangeError(`Expected an activation name for act but received ${String(act)}`);
  return id;
}

/**
 * The oneDNN backend. Throws if the addon is not built (callers fall back to the reference backend).
 * `path` loads another build of the addon beside this one (bench:ab compares two builds in one process).
 */
export function loadOnednnBackend(path = ADDON_PATH): Backend {
  const native = loadOnednnAddon(path);
  return {
    name: 'onednn',
    setThreads(n) { native.setThreads(n); },
    getThreads() { return native.getThreads(); },

    conv2dForward(g, x, w, bias, y) {
      const len = convLengths(g);
      expectLength('x', x, len.src); expectLength('w', w, len.weights); expectLength('y', y, len.dst);
      if (bias) expectLength('bias', bias, g.cout);
      checkConvInputs(g, [x]);
      native.convForward(packGeometry(g), x, w, bias, y);
    },
    conv2dBackwardData(g, dy, w, dx) {
      const len = convLengths(g);
      expectLength('dy', dy, len.dst); expectLength('w', w, len.weights); expectLength('dx', dx, len.src);
      checkConvInputs(g, [dy]);
      native.convBackwardData(packGeometry(g), dy, w, dx);
    },
    conv2dBackwardWeights(g, x, dy, dw, dbias) {
      const len = convLengths(g);
      expectLength('x', x, len.src); expectLength('dy', dy, len.dst); expectLength('dw', dw, len.weights);
      if (dbias) expectLength('dbias', dbias, g.cout);
      checkConvInputs(g, [x, dy]);
      native.convBackwardWeights(packGeometry(g), x, dy, dw, dbias);
    },

    batchNormActForwardTraining(rows, c, x, gamma, beta, eps, act, y, mean, variance, yHalf, layout) {
      expectLength('x', x, rows * c);
      if (y) expectLength('y', y, rows * c);
      else if (!yHalf) throw new TypeError('Expected a Float32Array for y (null only when yHalf is given)');
      expectLength('gamma', gamma, c); expectLength('beta', beta, c);
      expectLength('mean', mean, c); expectLength('variance', variance, c);
      if (yHalf) expectLength('yHalf', yHalf, rows * c);
      native.bnActForwardTraining(rows, c, x, gamma, beta, eps, actId(act), y, mean, variance, yHalf ?? null, layout?.block ?? 0, layout?.hw ?? 0);
    },
    batchNormActForwardInference(rows, c, x, gamma, beta, mean, variance, eps, act, y, layout) {
      expectLength('x', x, rows * c); expectLength('y', y, rows * c);
      expectLength('gamma', gamma, c); expectLength('beta', beta, c);
      expectLength('mean', mean, c); expectLength('variance', variance, c);
      native.bnActForwardInference(rows, c, x, gamma, beta, mean, variance, eps, actId(act), y, layout?.block ?? 0, layout?.hw ?? 0);
    },
    batchNormActBackward(rows, c, x, dy, gamma, beta, mean, variance, eps, act, dx, dgamma, dbeta, dxHalf, layout) {
      expectLength('x', x, rows * c); expectLength('dy', dy, rows * c); expectLength('dx', dx, rows * c);
      expectLength('gamma', gamma, c); expectLength('beta', beta, c);
      expectLength('mean', mean, c); expectLength('variance', variance, c);
      expectLength('dgamma', dgamma, c); expectLength('dbeta', dbeta, c);
      if (dxHalf) expectLength('dxHalf', dxHalf, rows * c);
      native.bnActBackward(rows, c, x, dy, gamma, beta, mean, variance, eps, actId(act), dx, dgamma, dbeta, dxHalf ?? null, layout?.block ?? 0, layout?.hw ?? 0);
    },
    activationBlock: () => native.activationBlock(),

    activationForward(act, x, y) {
      expectLength('y', y, x.length);
      native.actForward(actId(act), x, y);
    },
    activationBackward(act, x, dy, dx) {
      expectLength('dy', dy, x.length); expectLength('dx', dx, x.length);
      native.actBackward(actId(act), x, dy, dx);
    },

    globalAvgPoolForward(n, hw, c, x, y) {
      expectLength('x', x, n * hw * c); expectLength('y', y, n * c);
      native.gapForward(n, hw, c, x, y);
    },
    globalAvgPoolBackward(n, hw, c, dy, dx) {
      expectLength('dy', dy, n * c); expectLength('dx', dx, n * hw * c);
      native.gapBackward(n, hw, c, dy, dx);
    },

    channelScaleForward(n, hw, c, x, s, y) {
      expectLength('x', x, n * hw * c); expectLength('s', s, n * c); expectLength('y', y, n * hw * c);
      native.channelScaleForward(n, hw, c, x, s, y);
    },
    channelScaleBackward(n, hw, c, x, s, dy, dx, ds) {
      expectLength('x', x, n * hw * c); expectLength('s', s, n * c); expectLength('dy', dy, n * hw * c);
      expectLength('dx', dx, n * hw * c); expectLength('ds', ds, n * c);
      native.channelScaleBackward(n, hw, c, x, s, dy, dx, ds);
    },

    add(a, b, y) {
      expectLength('b', b, a.length); expectLength('y', y, a.length);
      native.add(a, b, y);
    },
    layoutReorder(n, hw, c, block, src, dst, toBlocked) {
      expectLength('src', src, n * hw * c); expectLength('dst', dst, n * hw * c);
      native.layoutReorder(n, hw, c, block, src, dst, toBlocked);
    },
    toBf16(x, y) {
      expectLength('y', y, x.length);
      native.toBf16(x, y);
    },
    bf16Supported() { return native.bf16Supported(); },
  };
}
