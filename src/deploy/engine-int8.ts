// The int8 inference engine over a quantized deployment graph: Prepare once per graph (every
// multiplier and table computed as TFLite's Prepare computes it), then Eval per image through
// the TFLite-semantics kernels in int8/. `runtime` picks whose arithmetic to mirror:
//   'reference'  TFLite Micro's reference kernels: what a Cortex-M board computes
//   'builtin'    TFLite's optimized CPU kernels (the builtin op resolver)
//   'xnnpack'    TFLite with its XNNPACK delegate (what @tensorflow/tfjs-tflite runs)
// `kernels` picks the fast paths or the reference: 'native' runs the convolutions in the addon
// (native/int8.cc), the other elementwise ops through 256- and 65,536-entry tables of their own
// kernels, and each CAST/ADD/GATHER lookup chain (int8/lookup-chains.ts) as one lookup;
// 'typescript' runs every op's kernel in int8/. Both give the same bytes (test 57).
import { elementCount, type Graph, type OpDef, type Quant, type TensorDef } from './ir.js';
import * as k from './int8/kernels.js';
import { ExportError } from './lower.js';
import { lookupChains } from './int8/lookup-chains.js';
import { defaultInt8Kernels, nativeLookupEval, type Int8Kernels } from './int8/native.js';
import { opSpec } from './ops/index.js';
import type { Int8Step, Int8Values } from './ops/op.js';

const tq = (q: Quant | undefined, name: string): k.TensorQuant => {
  if (!q || q.scale.length !== 1) throw new ExportError(`${name} needs per-tensor quantization`, 'ERR_EXPORT');
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
};

/** The op's Prepare (ops/), which returns its Eval. */
function prepareOp(g: Graph, o: OpDef, runtime: k.Int8Runtime, kernels: Int8Kernels): Int8Step {
  const spec = opSpec(o.op);
  if (!spec.int8) throw new ExportError(`the int8 engine does not run ${o.op} (${g.tensors[o.outputs[0]].name})`, 'ERR_TFLITE_UNSUPPORTED');
  return spec.int8(o, { tensors: g.tensors, runtime, kernels, tq: (i) => tq(g.tensors[i].quant, g.tensors[i].name) });
}

export class Int8Engine {
  private readonly steps: Int8Step[];
  private readonly vals: Int8Values;
  readonly input: TensorDef;
  readonly output: TensorDef;

  readonly runtime: k.Int8Runtime;

  constructor(readonly graph: Graph, runtime: k.Int8Runtime = 'reference', readonly kernels: Int8Kernels = defaultInt8Kernels()) {
    this.input = graph.tensors[graph.inputs[0]];
    this.output = graph.tensors[graph.outputs[0]];
    if (this.input.dtype !== 'int8' || this.output.dtype !== 'int8') throw new ExportError('the int8 engine needs an int8 input and output; this is a float model', 'ERR_EXPORT');
    let steps = graph.ops.map((o) => prepareOp(graph, o, runtime, kernels));
    // XNNPACK refuses a node whose output range is empty; TFLite then drops the delegate and runs
    // the whole graph on its builtin kernels, so we must too.
    if (runtime === 'xnnpack' && steps.some((s) => s.xnnpackFails)) { runtime = 'builtin'; steps = graph.ops.map((o) => prepareOp(graph, o, runtime, kernels)); }
    this.runtime = runtime;
    if (kernels === 'native') {
      const fused = new Set<number>();
      for (const c of lookupChains(graph)) {
        const lookup = nativeLookupEval(c.table);
        steps[c.ops[0]] = (v) => lookup(v[c.x] as Int8Array, v[c.y] as Int8Array);
        fused.add(c.ops[1]).add(c.ops[2]);
      }
      steps = steps.filter((_, i) => !fused.has(i));
    }
    this.steps = steps;
    // Buffers allocated once; constants point at their data.
    this.vals = graph.tensors.map((d) => d.data instanceof Int8Array || d.data instanceof Int32Array ? d.data
      : d.dtype === 'int8' ? new Int8Array(elementCount(d.shape)) : d.dtype === 'int32' ? new Int32Array(elementCount(d.shape)) : undefined);
  }

  /** int8 input (1, H, W, C) -> int8 outputs (views reused by the next call). */
  run(input: Int8Array): Int8Array[] {
    const n = elementCount(this.input.shape);
    if (input.length !== n) throw new ExportError(`Expected ${n} int8 input values for shape (${this.input.shape.join(', ')}) but received ${input.length}`, 'ERR_SHAPE');
    (this.vals[this.graph.inputs[0]] as Int8Array).set(input);
    for (const s of this.steps) s(this.vals);
    return this.graph.outputs.map((i) => this.vals[i] as Int8Array);
  }

  /** Tensor i's values after the last run (an activation or a constant), or undefined for float tensors. */
  values(i: number): Int8Array | Int32Array | undefined {
    return this.vals[i];
  }

  /** Quantizes a float input with the input tensor's parameters, runs, dequantizes the output. */
  runFloat(x: Float32Array): { q: Int8Array; y: Float32Array } {
    const qin = new Int8Array(x.length);
    k.quantizeInt8(x, tq(this.input.quant, 'input'), qin);
    const q = this.run(qin)[0];
    const y = new Float32Array(q.length);
    k.dequantizeInt8(q, tq(this.output.quant, 'output'), y);
    return { q, y };
  }
}
