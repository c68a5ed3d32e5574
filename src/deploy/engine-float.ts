// The float32 inference engine over the deployment graph: plain loops, float64 accumulation, one
// image per call. It runs the lowered graph (pseudo-ops included, for calibration) and legalized
// files alike; it is the oracle for float .tflite and ONNX exports.
import { elementCount, type Graph } from './ir.js';
import { ExportError } from './lower.js';
import { defaultFloatKernels, type FloatKernels } from './ops/conv-native.js';
import { opSpec } from './ops/index.js';
import type { FloatArgs } from './ops/op.js';

/**
 * Runs the graph on one input. `observe` sees every tensor an op writes (calibration).
 * Returns the graph's outputs.
 */
export function runFloat(g: Graph, input: Float32Array, observe?: (tensor: number, data: Float32Array) => void, kernels: FloatKernels = defaultFloatKernels()): Float32Array[] {
  const vals: (Float32Array | undefined)[] = g.tensors.map((t) => (t.data instanceof Float32Array ? t.data : undefined));
  const inT = g.tensors[g.inputs[0]];
  if (input.length !== elementCount(inT.shape)) throw new ExportError(`Expected ${elementCount(inT.shape)} input values for shape (${inT.shape.join(', ')}) but received ${input.length}`, 'ERR_SHAPE');
  vals[g.inputs[0]] = input;
  for (const o of g.ops) {
    const out = g.tensors[o.outputs[0]];
    if (out.dtype !== 'float32') throw new ExportError(`the float engine cannot run ${o.op} with ${out.dtype} output (${out.name}); run the int8 engine`, 'ERR_EXPORT');
    const y = new Float32Array(elementCount(out.shape));
    const spec = opSpec(o.op);
    if (!spec.float) throw new ExportError(`the float engine does not run ${o.op} (${out.name})`, 'ERR_EXPORT');
    const args: FloatArgs = {
      input: (k) => {
        const v = vals[o.inputs[k]];
        if (!v) throw new ExportError(`tensor ${g.tensors[o.inputs[k]].name} is read before it is written`, 'ERR_EXPORT');
        return v;
      },
      shape: (k) => g.tensors[o.inputs[k]].shape,
      y, yShape: out.shape, yName: out.name, kernels,
    };
    spec.float(o, args);
    vals[o.outputs[0]] = y;
    observe?.(o.outputs[0], y);
  }
  return g.outputs.map((t) => vals[t]!);
}
