// Post-training quantization to TFLite's full-integer scheme: int8 activations (per-tensor,
// asymmetric, ranges from calibration), int8 weights (per-channel, symmetric), int32 biases
// (scale = input scale x weight scale), int8 input and output. The pseudo-ops get int8 forms:
//   HARD_SIGMOID  folded into the convolution that feeds it: weights and bias scaled by 1/6, bias
//                 +0.5, output range exactly [0, 1] (scale 1/255, zero point -128), so the int8
//                 saturation *is* the clamp. No extra op, no extra memory.
//   MISH          a 256-entry table through builtins: CAST (int8 -> int32), ADD 128, GATHER. The
//                 table holds mish at each of the 256 input levels, rounded once: as exact as an
//                 int8 Mish can be, at the cost of an int32 index tensor (4 bytes per element).
// Each op's rule is its module's quantize facet (ops/); the shared rules are in quant-rules.ts.
import { GraphBuilder, type Graph, type Quant } from './ir.js';
import { ExportError } from './lower.js';
import { gateProducers } from './ops/hard-sigmoid.js';
import { opSpec } from './ops/index.js';
import type { QuantizeContext } from './ops/op.js';
import { activationQuant, type Range } from './quant-rules.js';

export { activationQuant, roundAway } from './quant-rules.js';

/** The int8 graph of a lowered float graph, given calibrated ranges for its activation tensors. */
export function quantizeGraph(g: Graph, ranges: Map<number, Range>): Graph {
  const b = new GraphBuilder(), map = new Map<number, number>();
  const rangeOf = (t: number) => {
    const r = ranges.get(t);
    if (!r) throw new ExportError(`no calibration range for ${g.tensors[t].name}`, 'ERR_EXPORT');
    return r;
  };
  const act = (t: number, quant: Quant) => {
    const idx = b.tensor({ name: g.tensors[t].name, shape: [...g.tensors[t].shape], dtype: 'int8', quant });
    map.set(t, idx);
    return idx;
  };
  act(g.inputs[0], activationQuant(rangeOf(g.inputs[0])));
  // A conv whose only reader is HARD_SIGMOID writes the gate directly (see the header).
  const gateOf = gateProducers(g);
  const ctx: QuantizeContext = {
    g, b, act,
    int8: (t) => map.get(t)!,
    q: (t) => b.tensors[map.get(t)!].quant!,
    calibrated: (t) => activationQuant(rangeOf(t)),
    gateOf: (t) => gateOf.get(t),
  };
  for (const o of g.ops) {
    const spec = opSpec(o.op);
    if (!spec.quantize) throw new ExportError(`${o.op} has no int8 form in cmv3 (${g.tensors[o.outputs[0]].name})`, 'ERR_EXPORT');
    spec.quantize(o, ctx);
  }
  return b.finish([map.get(g.inputs[0])!], g.outputs.map((t) => map.get(t)!), g.description);
}
