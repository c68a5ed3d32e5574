// RELU as an op of its own (when no convolution can fuse it).
import { OPTIONS } from '../tflite-format/schema.js';
import { floatUnary, int8IsVersion2, lookupCost, onnxUnary } from './common.js';
import type { OpSpec } from './op.js';

export const RELU: OpSpec<'RELU'> = {
  name: 'RELU',
  builtin: {
    code: 19,
    resolver: 'AddRelu',
    arity: [1],
    version: int8IsVersion2,
    optionsType: OPTIONS.NONE,
    read: (r) => ({ op: 'RELU', inputs: r.inputs as [number], outputs: r.outputs }),
  },
  inPlace: true,
  float: floatUnary((v) => Math.max(v, 0)),
  quantize: (o, c) => {
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0])], outputs: [c.act(o.outputs[0], c.calibrated(o.outputs[0]))] });
  },
  onnx: onnxUnary('Relu'),
  cost: lookupCost,
};
