// AVERAGE_POOL_2D: cmv3 writes it as global pooling (filter = the input's H = W, VALID).
import * as k from '../int8/kernels.js';
import { elementCount } from '../ir.js';
import { ExportError } from '../lower.js';
import { unsupported } from '../tflite-format/fbview.js';
import { ACTIVATION, FIELDS, OPTIONS, PADDING, SLOT } from '../tflite-format/schema.js';
import { applyFused, int8IsVersion2 } from './common.js';
import { CYCLES } from './cycles.js';
import type { OpSpec } from './op.js';

const C = SLOT.Pool2DOptions;

export const AVERAGE_POOL_2D: OpSpec<'AVERAGE_POOL_2D'> = {
  name: 'AVERAGE_POOL_2D',
  builtin: {
    code: 1,
    resolver: 'AddAveragePool2D',
    arity: [1],
    version: int8IsVersion2,
    optionsType: OPTIONS.Pool2DOptions,
    writeOptions: ({ b, table }, o) => table(FIELDS.Pool2DOptions, () => {
      b.addFieldInt8(C.padding, PADDING[o.padding], 0);
      b.addFieldInt32(C.stride_w, o.stride, 0);
      b.addFieldInt32(C.stride_h, o.stride, 0);
      b.addFieldInt32(C.filter_width, o.filter, 0);
      b.addFieldInt32(C.filter_height, o.filter, 0);
      b.addFieldInt8(C.fused_activation_function, ACTIVATION[o.act], 0);
    }),
    read: (r) => {
      r.needOptions();
      const fw = r.v.i32(r.o, C.filter_width, 0), fh = r.v.i32(r.o, C.filter_height, 0);
      if (fw !== fh || fw < 1) throw unsupported(`${r.what} has a ${fw}x${fh} filter (cmv3 uses square filters)`);
      return { op: 'AVERAGE_POOL_2D', inputs: r.inputs as [number], outputs: r.outputs, filter: fw, stride: r.stride(C.stride_w, C.stride_h), padding: r.padding(), act: r.act(C.fused_activation_function) };
    },
  },
  float: (o, a) => {
    const x = a.input(0), [, h, w, c] = a.shape(0), y = a.y;
    if (o.padding !== 'VALID' || o.filter !== h || o.filter !== w) throw new ExportError(`AVERAGE_POOL_2D other than global pooling is not supported (${a.yName})`, 'ERR_EXPORT');
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let q = 0; q < h * w; q++) s += x[q * c + ch];
      y[ch] = applyFused(s / (h * w), o.act);
    }
  },
  int8: (o, p) => {
    const x = o.inputs[0], y = o.outputs[0], s = p.tensors[x].shape;
    const pp = k.prepareAvgPool({ batch: s[0], inH: s[1], inW: s[2], channels: s[3] }, o.filter, o.stride, o.padding, p.tq(y), o.act);
    return (v) => k.avgPoolInt8(pp, v[x] as Int8Array, v[y] as Int8Array);
  },
  // the int8 kernel requires the output quantization to equal the input's
  quantize: (o, c) => {
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0])], outputs: [c.act(o.outputs[0], c.q(o.inputs[0]))] });
  },
  onnx: (o, e) => {
    const x = o.inputs[0], xs = e.tensors[x].shape;
    if (o.padding === 'VALID' && o.filter === xs[1] && o.filter === xs[2]) { e.withAct('GlobalAveragePool', [e.operand(x, true)], o.act); return; }
    // ONNX's default count_include_pad=0 averages over the valid pixels only, as TFLite does.
    const [pt, pb] = e.pads(xs[1], o.filter, o.stride, o.padding), [pl, pr] = e.pads(xs[2], o.filter, o.stride, o.padding);
    e.withAct('AveragePool', [e.operand(x, true)], o.act, [
      e.attrInts('kernel_shape', [o.filter, o.filter]), e.attrInts('strides', [o.stride, o.stride]), e.attrInts('pads', [pt, pl, pb, pr]),
    ]);
  },
  cost: (o, t) => ({ macs: 0, cycles: elementCount(t[o.inputs[0]].shape) * CYCLES.avgPool }),
};
