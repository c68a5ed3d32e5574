// LOGISTIC: the sigmoid; its int8 output scale is fixed at 1/256, zero point -128.
import * as k from '../int8/kernels.js';
import { FIXED_UNIT } from '../quant-rules.js';
import { OPTIONS } from '../tflite-format/schema.js';
import { floatUnary, int8IsVersion2, lookupCost, onnxUnary } from './common.js';
import type { OpSpec } from './op.js';

export const LOGISTIC: OpSpec<'LOGISTIC'> = {
  name: 'LOGISTIC',
  builtin: {
    code: 14,
    resolver: 'AddLogistic',
    arity: [1],
    version: int8IsVersion2,
    optionsType: OPTIONS.NONE,
    read: (r) => ({ op: 'LOGISTIC', inputs: r.inputs as [number], outputs: r.outputs }),
  },
  inPlace: true,
  float: floatUnary((v) => 1 / (1 + Math.exp(-v))),
  int8: (o, p) => {
    const x = o.inputs[0], y = o.outputs[0], table = k.logisticTable(p.tq(x), p.tq(y), p.runtime);
    return (v) => k.lookupInt8(table, v[x] as Int8Array, v[y] as Int8Array);
  },
  quantize: (o, c) => {
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0])], outputs: [c.act(o.outputs[0], FIXED_UNIT)] });
  },
  onnx: onnxUnary('Sigmoid'),
  cost: lookupCost,
};
