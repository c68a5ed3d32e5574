// The int8 inference engine over a quantized deployment graph: Prepare once per graph (every
// multiplier and table computed as TFLite's Prepare computes it), then Eval per image through
// the TFLite-semantics kernels in int8/. `runtime` picks whose arithmetic to mirror:
//   'reference'  TFLite Micro's reference kernels: what a Cortex-M board computes
//   'builtin'    TFLite's optimized CPU kernels (the builtin op resolver)
//   'xnnpack'    TFLite with its XNNPACK delegate (what @tensorflow/tfjs-tflite runs)
// `kernels` picks who computes the convolutions: the native addon (native/int8.cc) or the
// TypeScript reference in int8/conv.ts; both give the same bytes (test 57).
import { elementCount, type Graph, type OpDef, type Quant, type TensorDef } from './ir.js';
import * as k from './int8/kernels.js';
import { ExportError } from './lower.js';
import { defaultInt8Kernels, type Int8Kernels, nativeConvEval } from './int8/native.js';

type Buf = Int8Array | Int32Array;
type Step = ((vals: (Buf | undefined)[]) => void) & { xnnpackFails?: boolean };

const flagged = (step: Step, pp: { xnnpackFails: boolean }): Step => Object.assign(step, { xnnpackFails: pp.xnnpackFails });

const tq = (q: Quant | undefined, name: string): k.TensorQuant => {
  if (!q || q.scale.length !== 1) throw new ExportError(`${name} needs per-tensor quantization`, 'ERR_EXPORT');
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
};

function prepareOp(g: Graph, o: OpDef, runtime: k.Int8Runtime, kernels: Int8Kernels): Step {
  const t = (i: number): TensorDef => g.tensors[i];
  const x = o.inputs[0], y = o.outputs[0], out = t(y);
  const shape4 = (d: TensorDef) => ({ batch: d.shape[0], inH: d.shape[1], inW: d.shape[2], channels: d.shape[3] });
  switch (o.op) {
    case 'CONV_2D': case 'DEPTHWISE_CONV_2D': {
      const w = t(o.inputs[1]), b = t(o.inputs[2]), s = shape4(t(x));
      const geometry = { batch: s.batch, inH: s.inH, inW: s.inW, inC: s.channels, outC: out.shape[3], kH: w.shape[1], kW: w.shape[2], stride: o.stride, padding: o.padding };
      const params = { input: tq(t(x).quant, t(x).name), output: tq(out.quant, out.name), weightScales: w.quant!.scale, act: o.act, runtime };
      const dw = o.op === 'DEPTHWISE_CONV_2D';
      const pp = dw ? k.prepareDepthwiseConv2d(geometry, params) : k.prepareConv2d(geometry, params);
      const wd = w.data as Int8Array, bd = b.data as Int32Array;
      if (kernels === 'native') {
        const run = nativeConvEval(pp);
        return flagged((v) => run(v[x] as Int8Array, wd, bd, v[y] as Int8Array), pp);
      }
      return flagged(dw ? (v) => k.depthwiseConv2d(pp, v[x] as Int8Array, wd, bd, v[y] as Int8Array)
        : (v) => k.conv2d(pp, v[x] as Int8Array, wd, bd, v[y] as Int8Array), pp);
    }
    case 'ADD': case 'MUL': {
      const [a, b] = o.inputs;
      if (out.dtype === 'int32') {
        const pp = k.prepareAddInt32(t(a).shape, t(b).shape);
        return (v) => k.addInt32(pp, v[a] as Int32Array, v[b] as Int32Array, v[y] as Int32Array);
      }
      const params = { a: tq(t(a).quant, t(a).name), b: tq(t(b).quant, t(b).name), output: tq(out.quant, out.name), act: o.act, runtime };
      if (o.op === 'ADD') {
        const pp = k.prepareAdd(t(a).shape, t(b).shape, params);
        return flagged((v) => k.addInt8(pp, v[a] as Int8Array, v[b] as Int8Array, v[y] as Int8Array), pp);
      }
      const pp = k.prepareMul(t(a).shape, t(b).shape, params);
      return flagged((v) => k.mulInt8(pp, v[a] as Int8Array, v[b] as Int8Array, v[y] as Int8Array), pp);
    }
    case 'AVERAGE_POOL_2D': {
      const pp = k.prepareAvgPool(shape4(t(x)), o.filter, o.stride, o.padding, tq(out.quant, out.name), o.act);
      return (v) => k.avgPoolInt8(pp, v[x] as Int8Array, v[y] as Int8Array);
    }
    case 'RESHAPE': return (v) => k.reshapeCopy(v[x]!, v[y]!);
    case 'SOFTMAX': {
      const pp = k.prepareSoftmax(tq(t(x).quant, t(x).name), o.beta, tq(out.quant, out.name));
      const depth = out.shape[out.shape.length - 1];
      return (v) => k.softmaxInt8(pp, v[x] as Int8Array, v[y] as Int8Array, depth);
    }
    case 'HARD_SWISH': {
      const pp = k.prepareHardSwish(tq(t(x).quant, t(x).name), tq(out.quant, out.name));
      if (kernels === 'typescript') return (v) => k.hardSwishInt8(pp, v[x] as Int8Array, v[y] as Int8Array);
      const table = k.tabulate((a, b) => k.hardSwishInt8(pp, a, b));
      return (v) => k.lookupInt8(table, v[x] as Int8Array, v[y] as Int8Array);
    }
    case 'LOGISTIC': case 'TANH': {
      const table = o.op === 'LOGISTIC' ? k.logisticTable(tq(t(x).quant, t(x).name), tq(out.quant, out.name), runtime)
        : k.tanhTable(tq(t(x).quant, t(x).name), tq(out.quant, out.name));
      return (v) => k.lookupInt8(table, v[x] as Int8Array, v[y] as Int8Array);
    }
    case 'CAST': return (v) => k.castInt8ToInt32(v[x] as Int8Array, v[y] as Int32Array);
    case 'GATHER': {
      const p = t(o.inputs[0]), idx = o.inputs[1];
      if (o.axis !== 0 || p.shape.length !== 1) throw new ExportError(`GATHER ${out.name}: only a 1-D table on axis 0 is supported`, 'ERR_TFLITE_UNSUPPORTED');
      const table = p.data as Int8Array;
      return (v) => k.gatherInt8(table, p.shape[0], v[idx] as Int32Array, v[y] as Int8Array);
    }
    default:
      throw new ExportError(`the int8 engine does not run ${o.op} (${out.name})`, 'ERR_TFLITE_UNSUPPORTED');
  }
}

export class Int8Engine {
  private readonly steps: Step[];
  private readonly vals: (Buf | undefined)[];
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
