// GATHER: rows of a table by int32 index (the int8 Mish table's lookup).
import * as k from '../int8/kernels.js';
import { ExportError } from '../lower.js';
import { unsupported } from '../tflite-format/fbview.js';
import { FIELDS, OPTIONS, SLOT } from '../tflite-format/schema.js';
import { int8IsVersion2, lookupCost } from './common.js';
import type { OpSpec } from './op.js';

export const GATHER: OpSpec<'GATHER'> = {
  name: 'GATHER',
  builtin: {
    code: 36,
    resolver: 'AddGather',
    arity: [2],
    version: int8IsVersion2,
    optionsType: OPTIONS.GatherOptions,
    writeOptions: ({ b, table }, o) => table(FIELDS.GatherOptions, () => b.addFieldInt32(SLOT.GatherOptions.axis, o.axis, 0)),
    read: (r) => {
      if (r.v.i32(r.o, SLOT.GatherOptions.batch_dims, 0) !== 0) throw unsupported(`${r.what} has batch_dims`);
      return { op: 'GATHER', inputs: r.inputs as [number, number], outputs: r.outputs, axis: r.v.i32(r.o, SLOT.GatherOptions.axis, 0) };
    },
  },
  int8: (o, p) => {
    const table = p.tensors[o.inputs[0]], idx = o.inputs[1], y = o.outputs[0];
    if (o.axis !== 0 || table.shape.length !== 1) throw new ExportError(`GATHER ${p.tensors[y].name}: only a 1-D table on axis 0 is supported`, 'ERR_TFLITE_UNSUPPORTED');
    const data = table.data as Int8Array;
    return (v) => k.gatherInt8(data, table.shape[0], v[idx] as Int32Array, v[y] as Int8Array);
  },
  cost: lookupCost,
};
