// TANH (the float Mish chain's last step; int8 output scale fixed at 1/128).
import * as k from '../int8/kernels.js';
import { FIXED_TANH } from '../quant-rules.js';
import { OPTIONS } from '../tflite-format/schema.js';
import { floatUnary, int8IsVersion2, lookupCost, onnxUnary } from './common.js';
import type { OpSpec } from './op.js';

export const TANH: OpSpec<'TANH'> = {
  name: 'TANH',
  builtin: {
    code: 28,
    resolver: 'AddTanh',
    arity: [1],
    version: int8IsVersion2,
    optionsType: OPTIONS.NONE,
    read: (r) => ({ op: 'TANH', inputs: r.inputs as [number], outputs: r.outputs }),
  },
  inPlace: true,
  float: floatUnary(Math.tanh),
  int8: (o, p) => {
    const x = o.inputs[0], y = o.outputs[0], table = k.tanhTable(p.tq(x), p.tq(y));
    return (v) => k.lookupInt8(table, v[x] as Int8Array, v[y] as Int8Array);
  },
  quantize: (o, c) => {
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0])], outputs: [c.act(o.outputs[0], FIXED_TANH)] });
  },
  onnx: onnxUnary('Tanh'),
  cost: lookupCost,
};
