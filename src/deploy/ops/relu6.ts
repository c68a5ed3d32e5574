// RELU6 as an op of its own (when no convolution can fuse it).
import { OPTIONS } from '../tflite-format/schema.js';
import { floatUnary, int8IsVersion2, lookupCost } from './common.js';
import type { OpSpec } from './op.js';

export const RELU6: OpSpec<'RELU6'> = {
  name: 'RELU6',
  builtin: {
    code: 21,
    resolver: 'AddRelu6',
    arity: [1],
    version: int8IsVersion2,
    optionsType: OPTIONS.NONE,
    read: (r) => ({ op: 'RELU6', inputs: r.inputs as [number], outputs: r.outputs }),
  },
  inPlace: true,
  float: floatUnary((v) => Math.min(Math.max(v, 0), 6)),
  quantize: (o, c) => {
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0])], outputs: [c.act(o.outputs[0], c.calibrated(o.outputs[0]))] });
  },
  onnx: (o, e) => e.node('Clip', [e.operand(o.inputs[0], e.rank4(o.inputs[0])), ...e.clip6()], [e.out], e.name),
  cost: lookupCost,
};
