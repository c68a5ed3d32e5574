// EXP (the float Mish chain's first step).
import { FIELDS, OPTIONS } from '../tflite-format/schema.js';
import { floatUnary, int8IsVersion2, lookupCost, onnxUnary } from './common.js';
import type { OpSpec } from './op.js';

export const EXP: OpSpec<'EXP'> = {
  name: 'EXP',
  builtin: {
    code: 47,
    resolver: 'AddExp',
    arity: [1],
    version: int8IsVersion2,
    optionsType: OPTIONS.ExpOptions,
    // the converter writes the empty options table
    writeOptions: ({ table }) => table(FIELDS.Empty, () => {}),
    read: (r) => ({ op: 'EXP', inputs: r.inputs as [number], outputs: r.outputs }),
  },
  float: floatUnary(Math.exp),
  onnx: onnxUnary('Exp'),
  cost: lookupCost,
};
