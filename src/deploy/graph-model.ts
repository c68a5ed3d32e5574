// A deployment graph (an exported .tflite, or one quantized in memory) behind the same small
// interface as a trained Model, so eval and predict run either. float32 graphs run on the float
// engine, int8 graphs on the int8 engine; forward returns class probabilities (argmax = logits').
// No Node imports: the dashboard runs it in the browser (reading files is in tflite-file.ts).
import { CIFAR_LABELS, CIFAR_MEAN, CIFAR_STD } from '../data/cifar-meta.js';
import type { Normalization } from '../data/augment.js';
import { runFloat } from './engine-float.js';
import { Int8Engine } from './engine-int8.js';
import type { Int8Runtime } from './int8/kernels.js';
import type { Graph } from './ir.js';
import { ExportError } from './lower.js';
import { opSpec } from './ops/index.js';

export interface Predictor {
  spec: { name: string; classes: number; inputSize: number; inputChannels: number };
  backend: { name: string };
  /** true when forward already gives probabilities (a graph ending in SOFTMAX), else logits */
  probabilities?: boolean;
  /** normalised images (N, H, W, C) -> (N, classes) scores whose argmax is the prediction */
  forward(x: Float32Array, n: number, training?: boolean): Float32Array;
}

export interface GraphInfo {
  model: string;
  labels: string[];
  normalization: Normalization;
}

/** The provenance cmv3 writes into the description; other files get CIFAR-10 defaults. */
export function graphInfo(g: Graph): GraphInfo {
  let d: Partial<{ model: string; labels: string[]; normalization: Normalization }> = {};
  try { d = JSON.parse(g.description) as typeof d; } catch { /* a file from another converter */ }
  const classes = g.tensors[g.outputs[0]].shape.at(-1)!;
  return {
    model: d.model ?? 'tflite',
    labels: Array.isArray(d.labels) && d.labels.length === classes ? d.labels : classes === 10 ? [...CIFAR_LABELS] : Array.from({ length: classes }, (_, i) => `class ${i}`),
    normalization: d.normalization ?? { mean: CIFAR_MEAN, std: CIFAR_STD },
  };
}

export class GraphModel implements Predictor {
  readonly spec: Predictor['spec'];
  readonly backend: { name: string };
  readonly probabilities: boolean;
  readonly int8: Int8Engine | null;

  constructor(readonly graph: Graph, runtime: Int8Runtime = 'reference') {
    const input = graph.tensors[graph.inputs[0]], output = graph.tensors[graph.outputs[0]];
    if (graph.inputs.length !== 1 || input.shape.length !== 4 || input.shape[0] !== 1 || input.shape[1] !== input.shape[2]) {
      throw new ExportError(`Expected one (1, S, S, C) image input but the model has ${graph.inputs.map((i) => `(${graph.tensors[i].shape.join(', ')})`).join(', ')}`, 'ERR_SHAPE');
    }
    this.spec = { name: graphInfo(graph).model, classes: output.shape.at(-1)!, inputSize: input.shape[1], inputChannels: input.shape[3] };
    const last = graph.ops.at(-1);
    this.probabilities = last !== undefined && opSpec(last.op).probabilities === true;
    this.int8 = input.dtype === 'int8' ? new Int8Engine(graph, runtime) : null;
    this.backend = { name: this.int8 ? `int8 engine (${runtime})` : 'float engine' };
  }

  forward(x: Float32Array, n: number): Float32Array {
    const per = this.spec.inputSize * this.spec.inputSize * this.spec.inputChannels, k = this.spec.classes;
    if (x.length !== n * per) throw new ExportError(`Expected ${n * per} input values but received ${x.length}`, 'ERR_SHAPE');
    const out = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      const img = x.subarray(i * per, (i + 1) * per);
      out.set(this.int8 ? this.int8.runFloat(img).y : runFloat(this.graph, img)[0], i * k);
    }
    return out;
  }
}
