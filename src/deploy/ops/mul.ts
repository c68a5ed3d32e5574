// MUL: element-wise with broadcasting (the squeeze-and-excite rescale), a fused activation.
import * as k from '../int8/kernels.js';
import { ExportError } from '../lower.js';
import { ACTIVATION, FIELDS, OPTIONS, SLOT } from '../tflite-format/schema.js';
import { flagged, floatBinary, int8Input, outputElements, pairLookupOrKernel } from './common.js';
import { CYCLES } from './cycles.js';
import type { OpSpec } from './op.js';

export const MUL: OpSpec<'MUL'> = {
  name: 'MUL',
  builtin: {
    code: 18,
    resolver: 'AddMul',
    arity: [2],
    version: (o, t) => {
      // Version 3: int8 whose rescale in1*in2/out is >= 1 (a different kernel path).
      const int8 = int8Input(o, t);
      const [a, b, out] = [t[o.inputs[0]].quant, t[o.inputs[1]].quant, t[o.outputs[0]].quant];
      if (int8 && a && b && out && (a.scale[0] * b.scale[0]) / out.scale[0] >= 1) return 3;
      return int8 ? 2 : 1;
    },
    optionsType: OPTIONS.MulOptions,
    writeOptions: ({ b, table }, o) => table(FIELDS.MulOptions, () => b.addFieldInt8(SLOT.MulOptions.fused_activation_function, ACTIVATION[o.act], 0)),
    read: (r) => ({ op: 'MUL', inputs: r.inputs as [number, number], outputs: r.outputs, act: r.act(SLOT.MulOptions.fused_activation_function) }),
  },
  float: (o, a) => floatBinary(o, a, (u, v) => u * v),
  int8: (o, p) => {
    const [a, b] = o.inputs, y = o.outputs[0], t = p.tensors;
    // (the engine before ops/ ran an int32 MUL as an int32 ADD; cmv3 writes none, so refuse it)
    if (t[y].dtype === 'int32') throw new ExportError(`the int8 engine has no int32 MUL (${t[y].name})`, 'ERR_TFLITE_UNSUPPORTED');
    const pp = k.prepareMul(t[a].shape, t[b].shape, { a: p.tq(a), b: p.tq(b), output: p.tq(y), act: o.act, runtime: p.runtime });
    return flagged(pairLookupOrKernel(p.kernels, pp, a, b, y, k.mulInt8), pp);
  },
  quantize: (o, c) => {
    const out = c.act(o.outputs[0], c.calibrated(o.outputs[0]));
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0]), c.int8(o.inputs[1])], outputs: [out] });
  },
  onnx: (o, e) => {
    const n = e.tensors[o.outputs[0]].shape.length;
    e.withAct('Mul', o.inputs.map((i) => e.operand(i, n === 4, n)), o.act);
  },
  cost: (o, t) => ({ macs: 0, cycles: outputElements(o, t) * (t[o.outputs[0]].dtype === 'int32' ? CYCLES.lookup : CYCLES.mul) }),
};
