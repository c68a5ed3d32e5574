// HARD_SIGMOID, a pseudo-op (the squeeze-and-excite gate): legalize writes ADD 3 + RELU6 and MUL
// 1/6; quantize folds it into the convolution before it.
import { consumers, type Graph, type OpDef } from '../ir.js';
import { ExportError } from '../lower.js';
import { floatUnary, lookupCost } from './common.js';
import type { OpSpec } from './op.js';

export const HARD_SIGMOID: OpSpec<'HARD_SIGMOID'> = {
  name: 'HARD_SIGMOID',
  float: floatUnary((x) => Math.min(Math.max(x + 3, 0), 6) / 6),
  // hsigmoid(x) = relu6(x + 3) * (1/6): ADD 3 with a fused RELU6, MUL
  legalize: (o, l) => {
    const three = l.scalar('const/three', 3), sixth = l.scalar('const/one_sixth', 1 / 6), r = l.tmp('relu6_x_plus_3');
    l.b.op({ op: 'ADD', inputs: [o.inputs[0], three], outputs: [r], act: 'RELU6' });
    l.b.op({ op: 'MUL', inputs: [r, sixth], outputs: [o.outputs[0]], act: 'NONE' });
  },
  quantize: () => {}, // folded into the convolution that feeds it (conv-common.ts, gateProducers)
  cost: lookupCost,
};

/**
 * The convolutions whose only reader is a HARD_SIGMOID, by output tensor: quantize folds the gate
 * into them (conv-common.ts). Any other hard-sigmoid cannot be quantized.
 */
export function gateProducers(g: Graph): Map<number, OpDef> {
  const users = consumers(g), gateOf = new Map<number, OpDef>();
  for (const o of g.ops) {
    if (o.op !== 'HARD_SIGMOID') continue;
    const producer = g.ops.find((p) => p.outputs[0] === o.inputs[0]);
    if (!producer || producer.op !== 'CONV_2D' || producer.act !== 'NONE' || users[o.inputs[0]].length !== 1) {
      throw new ExportError(`hard-sigmoid ${g.tensors[o.outputs[0]].name} does not follow a convolution; it cannot be quantized`, 'ERR_EXPORT');
    }
    gateOf.set(producer.outputs[0], o);
  }
  return gateOf;
}
