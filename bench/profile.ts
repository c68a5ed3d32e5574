// A timing wrapper around a Backend: accumulates wall time per op (convs split by kind), the
// bytes of the buffers each call is given and the convolutions' FLOP, so a training step's time
// can be attributed and set against what memory and arithmetic allow. Bench-only: the library
// never pays for it.
import type { Backend, ConvGeometry } from '../src/backend/types.js';

export interface ProfileRow {
  op: string;
  ms: number;
  calls: number;
  /** Bytes of every buffer argument, each counted once per call: what the op must read or write at least. */
  bytes: number;
  /** 2 FLOP per multiply-add, convolutions only (0 for the others). */
  flop: number;
}

/** Multiply-adds of one pass of a convolution (forward, backward data and backward weights all do this many). */
export function convMacs(g: ConvGeometry): number {
  return g.n * g.oh * g.ow * g.cout * g.kh * g.kw * (g.cin / g.groups);
}

function argBytes(args: unknown[]): number {
  let n = 0;
  for (const a of args) if (ArrayBuffer.isView(a)) n += a.byteLength;
  return n;
}

function convKind(g: ConvGeometry): string {
  if (g.groups === g.cin && g.groups > 1) return `dw${g.kh}x${g.kw}`;
  if (g.kh === 1 && g.kw === 1) return g.h === 1 && g.w === 1 ? 'dense' : '1x1';
  return `${g.kh}x${g.kw}`;
}

export function profiledBackend(inner: Backend): { backend: Backend; rows: () => ProfileRow[]; reset: () => void } {
  const table = new Map<string, ProfileRow>();
  const wrapped: Record<string, unknown> = { name: inner.name };
  for (const key of Object.keys(inner) as (keyof Backend)[]) {
    const fn = inner[key];
    if (typeof fn !== 'function' || key === 'setThreads' || key === 'getThreads' || key === 'bf16Supported' || key === 'activationBlock') {
      wrapped[key] = fn;
      continue;
    }
    wrapped[key] = (...args: unknown[]) => {
      let label: string = key;
      if (key.startsWith('conv2d')) label = `${key}:${convKind(args[0] as ConvGeometry)}`;
      else if (key.startsWith('batchNormAct')) label = `${key}:${args[key === 'batchNormActBackward' ? 9 : key === 'batchNormActForwardTraining' ? 6 : 8]}`;
      else if (key.startsWith('activation')) label = `${key}:${args[0]}`;
      const t0 = performance.now();
      (fn as (...a: unknown[]) => void).apply(inner, args);
      const row = table.get(label) ?? { op: label, ms: 0, calls: 0, bytes: 0, flop: 0 };
      row.ms += performance.now() - t0;
      row.calls++;
      row.bytes += argBytes(args);
      if (key.startsWith('conv2d')) row.flop += 2 * convMacs(args[0] as ConvGeometry);
      table.set(label, row);
    };
  }
  return {
    backend: wrapped as unknown as Backend,
    rows: () => [...table.values()].sort((a, b) => b.ms - a.ms),
    reset: () => table.clear(),
  };
}
