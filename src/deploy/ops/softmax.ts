// SOFTMAX over the last axis, with TFLite's beta.
import * as k from '../int8/kernels.js';
import { prepareSoftmaxMicro, softmaxInt8Micro } from '../int8/softmax-micro.js';
import { ExportError } from '../lower.js';
import { FIXED_UNIT } from '../quant-rules.js';
import { FIELDS, OPTIONS, SLOT } from '../tflite-format/schema.js';
import { int8IsVersion2, outputElements } from './common.js';
import { CYCLES } from './cycles.js';
import type { OpSpec } from './op.js';

export const SOFTMAX: OpSpec<'SOFTMAX'> = {
  name: 'SOFTMAX',
  builtin: {
    code: 25,
    resolver: 'AddSoftmax',
    arity: [1],
    version: int8IsVersion2,
    optionsType: OPTIONS.SoftmaxOptions,
    writeOptions: ({ b, table }, o) => table(FIELDS.SoftmaxOptions, () => b.addFieldFloat32(SLOT.SoftmaxOptions.beta, o.beta, 0)),
    read: (r) => ({ op: 'SOFTMAX', inputs: r.inputs as [number], outputs: r.outputs, beta: r.v.f32(r.o, SLOT.SoftmaxOptions.beta, 0) }),
  },
  probabilities: true,
  float: (o, a) => {
    const x = a.input(0), y = a.y, n = a.yShape[a.yShape.length - 1];
    for (let r = 0; r < y.length; r += n) {
      let m = -Infinity, s = 0;
      for (let j = 0; j < n; j++) m = Math.max(m, x[r + j]);
      for (let j = 0; j < n; j++) s += (y[r + j] = Math.exp(o.beta * (x[r + j] - m)));
      for (let j = 0; j < n; j++) y[r + j] /= s;
    }
  },
  // TFLite Micro ('reference') computes it in fixed point, desktop TFLite through a float table.
  int8: (o, p) => {
    const x = o.inputs[0], y = o.outputs[0], shape = p.tensors[y].shape, depth = shape[shape.length - 1];
    if (p.runtime === 'reference') {
      const out = p.tq(y);
      if (Math.fround(out.scale) !== 1 / 256 || out.zeroPoint !== -128) throw new ExportError(`SOFTMAX ${p.tensors[y].name}: TFLite Micro needs output scale 1/256 and zero point -128`, 'ERR_TFLITE_UNSUPPORTED');
      const pm = prepareSoftmaxMicro(p.tq(x), o.beta);
      return (v) => softmaxInt8Micro(pm, v[x] as Int8Array, v[y] as Int8Array, depth);
    }
    const pp = k.prepareSoftmax(p.tq(x), o.beta, p.tq(y));
    return (v) => k.softmaxInt8(pp, v[x] as Int8Array, v[y] as Int8Array, depth);
  },
  quantize: (o, c) => {
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0])], outputs: [c.act(o.outputs[0], FIXED_UNIT)] });
  },
  onnx: (o, e) => {
    const x = o.inputs[0];
    let src = e.operand(x, e.rank4(x));
    if (o.beta !== 1) {
      const t = e.fresh(`${e.name}/scaled`);
      e.node('Mul', [src, e.scalar(`${e.name}/beta`, o.beta)], [t], `${e.name}/beta`);
      src = t;
    }
    // TFLite's softmax runs over the last NHWC axis: channels, which is axis 1 in NCHW.
    e.node('Softmax', [src], [e.out], e.name, [e.attrInt('axis', e.rank4(x) ? 1 : -1)]);
  },
  cost: (o, t) => ({ macs: 0, cycles: outputElements(o, t) * CYCLES.softmax }),
};
