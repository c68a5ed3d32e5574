// RESHAPE: a copy in element order; the new shape is written in the options.
import * as k from '../int8/kernels.js';
import { bytesPerElement } from '../ir.js';
import { FIELDS, OPTIONS, SLOT } from '../tflite-format/schema.js';
import { outputElements } from './common.js';
import { CYCLES } from './cycles.js';
import type { OpSpec } from './op.js';

export const RESHAPE: OpSpec<'RESHAPE'> = {
  name: 'RESHAPE',
  builtin: {
    code: 22,
    resolver: 'AddReshape',
    arity: [1, 2],
    version: () => 1,
    optionsType: OPTIONS.ReshapeOptions,
    writeOptions: ({ b, table, int32Vector }, o) => {
      const shape = int32Vector(o.newShape);
      return table(FIELDS.ReshapeOptions, () => b.addFieldOffset(SLOT.ReshapeOptions.new_shape, shape, 0));
    },
    read: (r) => {
      // new_shape may live in the options, in a constant second input, or only in the output shape.
      const S = SLOT.ReshapeOptions;
      const fromOptions = r.v.vector(r.o, S.new_shape, 4, 'reshape options') ? r.v.ints(r.o, S.new_shape, 'reshape options') : null;
      const shapeInput = r.inputs.length === 2 ? r.tensors[r.inputs[1]].data : undefined;
      const newShape = fromOptions ?? (shapeInput instanceof Int32Array ? Array.from(shapeInput) : r.tensors[r.outputs[0]].shape.slice());
      return { op: 'RESHAPE', inputs: r.inputs as [number] | [number, number], outputs: r.outputs, newShape };
    },
  },
  inPlace: true,
  shapeInputs: (o) => o.inputs.slice(1),
  float: (_o, a) => a.y.set(a.input(0)),
  int8: (o) => {
    const x = o.inputs[0], y = o.outputs[0];
    return (v) => k.reshapeCopy(v[x]!, v[y]!);
  },
  // the int8 kernel requires the output quantization to equal the input's
  quantize: (o, c) => {
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0])], outputs: [c.act(o.outputs[0], c.q(o.inputs[0]))] });
  },
  onnx: (o, e) => {
    // NHWC and NCHW hold the same element order when H*W or C is 1 (the usual (1,1,1,C) -> (1,C));
    // otherwise go through NHWC explicitly so the reshape sees TFLite's order.
    const x = o.inputs[0], xs = e.tensors[x].shape, ys = e.tensors[o.outputs[0]].shape, name = e.name;
    const reorders = (s: number[]) => s.length === 4 && s[1] * s[2] > 1 && s[3] > 1;
    let src = e.isConst(x) ? e.constant(x, 'plain') : e.operand(x, e.rank4(x));
    if (!e.isConst(x) && reorders(xs)) {
      const t = e.fresh(`${name}/nhwc`);
      e.node('Transpose', [src], [t], `${name}/to_nhwc`, [e.attrInts('perm', [0, 2, 3, 1])]);
      src = t;
    }
    if (reorders(ys)) {
      const t = e.fresh(`${name}/nhwc`);
      e.node('Reshape', [src, e.int64s(`${name}/shape`, ys)], [t], name);
      e.node('Transpose', [t], [e.out], `${name}/to_nchw`, [e.attrInts('perm', [0, 3, 1, 2])]);
    } else {
      e.node('Reshape', [src, e.int64s(`${name}/shape`, ys.length === 4 ? [ys[0], ys[3], ys[1], ys[2]] : ys)], [e.out], name);
    }
  },
  cost: (o, t) => ({ macs: 0, cycles: outputElements(o, t) * bytesPerElement(t[o.outputs[0]].dtype) * CYCLES.copy }),
};
