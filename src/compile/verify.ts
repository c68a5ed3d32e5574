// What cmv3 emulate, bench:emulate and the compile tests share: test images as the model's int8
// inputs, and the generated C's outputs scored against the int8 engine (the oracle) and the labels.
import { preprocessInt8 } from '../deploy/eiq.js';
import { Int8Engine } from '../deploy/engine-int8.js';
import { graphInfo } from '../deploy/graph-model.js';
import type { Graph } from '../deploy/ir.js';

/** `count` images of 8-bit pixels (H, W, C), back to back, as the graph's quantized inputs. */
export function int8Inputs(g: Graph, pixels: Uint8Array, count: number): Int8Array[] {
  const inT = g.tensors[g.inputs[0]], s = inT.shape, per = s[1] * s[2] * s[3], info = graphInfo(g);
  return Array.from({ length: count }, (_, i) => preprocessInt8(pixels.subarray(i * per, (i + 1) * per), s[3],
    info.normalization.mean, info.normalization.std, inT.quant!.scale[0], inT.quant!.zeroPoint[0]));
}

export interface Scored {
  /** the int8 engine's output bytes per image (reference mode: TFLite Micro's arithmetic) */
  expected: Int8Array[];
  /** images whose outputs equal the engine's byte for byte */
  equal: number;
  /** images whose highest score is their label */
  correct: number;
}

export function scoreOutputs(g: Graph, inputs: Int8Array[], outputs: (Int8Array | undefined)[], labels: ArrayLike<number>): Scored {
  const engine = new Int8Engine(g, 'reference');
  const expected = inputs.map((im) => Int8Array.from(engine.run(im)[0]));
  const equal = expected.filter((e, i) => outputs[i] && e.every((v, k) => v === outputs[i]![k])).length;
  const argmax = (o: Int8Array) => o.reduce((b, v, k) => (v > o[b] ? k : b), 0);
  const correct = outputs.filter((o, i) => o && argmax(o) === labels[i]).length;
  return { expected, equal, correct };
}
