// LOG (the float Mish chain's softplus).
import { OPTIONS } from '../tflite-format/schema.js';
import { floatUnary, int8IsVersion2, lookupCost, onnxUnary } from './common.js';
import type { OpSpec } from './op.js';

export const LOG: OpSpec<'LOG'> = {
  name: 'LOG',
  builtin: {
    code: 73,
    resolver: 'AddLog',
    arity: [1],
    version: int8IsVersion2,
    optionsType: OPTIONS.NONE,
    read: (r) => ({ op: 'LOG', inputs: r.inputs as [number], outputs: r.outputs }),
  },
  float: floatUnary(Math.log),
  onnx: onnxUnary('Log'),
  cost: lookupCost,
};
