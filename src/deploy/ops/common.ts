// Small rules several op modules share.
import { broadcastIndexes } from '../int8/elementwise.js';
import * as k from '../int8/kernels.js';
import { nativeLookupEval, nativePairLookupEval, type Int8Kernels } from '../int8/native.js';
import { elementCount, type FusedAct, type OpDef, type TensorDef } from '../ir.js';
import { ExportError } from '../lower.js';
import { CYCLES } from './cycles.js';
import type { FloatArgs, Int8Step, OnnxEmitter, OpCost } from './op.js';

/** The op reads int8 (its first input), i.e. it runs quantized. */
export const int8Input = (o: OpDef, t: TensorDef[]): boolean => t[o.inputs[0]].dtype === 'int8';

/** Version 2 for int8, 1 for float: what the converter stamps on most ops. */
export const int8IsVersion2 = (o: OpDef, t: TensorDef[]): number => (int8Input(o, t) ? 2 : 1);

/** Elements of the op's output. */
export const outputElements = (o: OpDef, t: TensorDef[]): number => elementCount(t[o.outputs[0]].shape);

/** A reference loop over the output (tables, casts, element-wise ops without a CMSIS-NN kernel). */
export const lookupCost = (o: OpDef, t: TensorDef[]): OpCost => ({ macs: 0, cycles: outputElements(o, t) * CYCLES.lookup });

/** TF 'SAME' padding before the first pixel: the odd pixel goes to the bottom/right. */
export function padBefore(size: number, kernel: number, stride: number, padding: 'SAME' | 'VALID'): number {
  if (padding === 'VALID') return 0;
  const out = Math.ceil(size / stride);
  return Math.floor(Math.max((out - 1) * stride + kernel - size, 0) / 2);
}

/** A TFLite fused activation on a float value. */
export function applyFused(v: number, act: FusedAct): number {
  return act === 'RELU' ? Math.max(v, 0) : act === 'RELU6' ? Math.min(Math.max(v, 0), 6) : v;
}

/** Float evaluation of an element-wise function of one input. */
export const floatUnary = (f: (v: number) => number) => (_o: OpDef, a: FloatArgs): void => {
  const x = a.input(0), y = a.y;
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
};

/** Float evaluation of a broadcasting binary op with a fused activation. */
export function floatBinary(o: OpDef & { act: FusedAct }, a: FloatArgs, f: (u: number, v: number) => number): void {
  const x = a.input(0), z = a.input(1), y = a.y, { outShape, idxA, idxB } = broadcastIndexes(a.shape(0), a.shape(1));
  if (elementCount(outShape) !== y.length) throw new ExportError(`${o.op} ${a.yName}: inputs broadcast to (${outShape.join(', ')}), not (${a.yShape.join(', ')})`, 'ERR_SHAPE');
  for (let i = 0; i < y.length; i++) y[i] = applyFused(f(x[idxA ? idxA[i] : i], z[idxB ? idxB[i] : i]), o.act);
}

/** An int8 Eval through a 256-entry table of the op's own kernel (native kernels) or the kernel itself. */
export function lookupOrKernel(kernels: Int8Kernels, x: number, y: number, kernel: (a: Int8Array, b: Int8Array) => void): Int8Step {
  if (kernels === 'typescript') return (v) => kernel(v[x] as Int8Array, v[y] as Int8Array);
  const lookup = nativeLookupEval(k.tabulate(kernel));
  return (v) => lookup(v[x] as Int8Array, v[y] as Int8Array);
}

/** Marks a step with its Prepare's xnnpackFails flag. */
export const flagged = (step: Int8Step, pp: { xnnpackFails: boolean }): Int8Step => Object.assign(step, { xnnpackFails: pp.xnnpackFails });

/** The ONNX emission of a one-input element-wise op: one node of type `onnxOp`. */
export const onnxUnary = (onnxOp: string) => (o: OpDef, e: OnnxEmitter): void =>
  e.node(onnxOp, [e.operand(o.inputs[0], e.rank4(o.inputs[0]))], [e.out], e.name);

/** A binary int8 Eval through its 65,536-pair table (native kernels) or the kernel itself; pp's index maps broadcast. */
export function pairLookupOrKernel<P extends { idxA: Int32Array | null; idxB: Int32Array | null }>(kernels: Int8Kernels, pp: P, a: number, b: number, y: number,
  kernel: (pp: P, a: Int8Array, b: Int8Array, out: Int8Array) => void): Int8Step {
  if (kernels === 'typescript') return (v) => kernel(pp, v[a] as Int8Array, v[b] as Int8Array, v[y] as Int8Array);
  const same = { ...pp, idxA: null, idxB: null };
  const lookup = nativePairLookupEval(k.tabulatePairs((x, z, out) => kernel(same, x, z, out)), pp.idxA, pp.idxB);
  return (v) => lookup(v[a] as Int8Array, v[b] as Int8Array, v[y] as Int8Array);
}
