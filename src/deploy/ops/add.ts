// ADD: element-wise with broadcasting, a fused activation; int32 ADD is the Mish table's index step.
import * as k from '../int8/kernels.js';
import { ACTIVATION, FIELDS, OPTIONS, SLOT } from '../tflite-format/schema.js';
import { flagged, floatBinary, int8IsVersion2, outputElements, pairLookupOrKernel } from './common.js';
import { CYCLES } from './cycles.js';
import type { OpSpec } from './op.js';

export const ADD: OpSpec<'ADD'> = {
  name: 'ADD',
  builtin: {
    code: 0,
    resolver: 'AddAdd',
    arity: [2],
    version: int8IsVersion2,
    optionsType: OPTIONS.AddOptions,
    writeOptions: ({ b, table }, o) => table(FIELDS.AddOptions, () => b.addFieldInt8(SLOT.AddOptions.fused_activation_function, ACTIVATION[o.act], 0)),
    read: (r) => ({ op: 'ADD', inputs: r.inputs as [number, number], outputs: r.outputs, act: r.act(SLOT.AddOptions.fused_activation_function) }),
  },
  float: (o, a) => floatBinary(o, a, (u, v) => u + v),
  int8: (o, p) => {
    const [a, b] = o.inputs, y = o.outputs[0], t = p.tensors;
    if (t[y].dtype === 'int32') {
      const pp = k.prepareAddInt32(t[a].shape, t[b].shape);
      return (v) => k.addInt32(pp, v[a] as Int32Array, v[b] as Int32Array, v[y] as Int32Array);
    }
    const pp = k.prepareAdd(t[a].shape, t[b].shape, { a: p.tq(a), b: p.tq(b), output: p.tq(y), act: o.act, runtime: p.runtime });
    return flagged(pairLookupOrKernel(p.kernels, pp, a, b, y, k.addInt8), pp);
  },
  quantize: (o, c) => {
    const out = c.act(o.outputs[0], c.calibrated(o.outputs[0]));
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0]), c.int8(o.inputs[1])], outputs: [out] });
  },
  onnx: (o, e) => {
    const n = e.tensors[o.outputs[0]].shape.length;
    e.withAct('Add', o.inputs.map((i) => e.operand(i, n === 4, n)), o.act);
  },
  cost: (o, t) => ({ macs: 0, cycles: outputElements(o, t) * (t[o.outputs[0]].dtype === 'int32' ? CYCLES.lookup : CYCLES.add) }),
};
