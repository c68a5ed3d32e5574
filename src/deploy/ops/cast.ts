// CAST: int8 -> int32 (the int8 Mish table's index), no quantization involved.
import * as k from '../int8/kernels.js';
import { FIELDS, OPTIONS, SLOT, TENSOR_TYPE } from '../tflite-format/schema.js';
import { int8Input, lookupCost } from './common.js';
import type { OpSpec } from './op.js';

export const CAST: OpSpec<'CAST'> = {
  name: 'CAST',
  builtin: {
    code: 53,
    resolver: 'AddCast',
    arity: [1],
    version: (o, t) => (int8Input(o, t) || t[o.outputs[0]].dtype === 'int8' ? 3 : 1),
    optionsType: OPTIONS.CastOptions,
    writeOptions: ({ b, table, tensors }, o) => table(FIELDS.CastOptions, () => {
      b.addFieldInt8(SLOT.CastOptions.in_data_type, TENSOR_TYPE[tensors[o.inputs[0]].dtype], 0);
      b.addFieldInt8(SLOT.CastOptions.out_data_type, TENSOR_TYPE[tensors[o.outputs[0]].dtype], 0);
    }),
    read: (r) => ({ op: 'CAST', inputs: r.inputs as [number], outputs: r.outputs }),
  },
  int8: (o) => {
    const x = o.inputs[0], y = o.outputs[0];
    return (v) => k.castInt8ToInt32(v[x] as Int8Array, v[y] as Int32Array);
  },
  cost: lookupCost,
};
