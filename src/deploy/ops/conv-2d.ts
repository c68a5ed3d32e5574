// CONV_2D: weights (Cout, KH, KW, Cin), bias (Cout), TF 'SAME'/'VALID' padding, a fused activation.
import { ACTIVATION, FIELDS, OPTIONS, PADDING, SLOT } from '../tflite-format/schema.js';
import { applyFused, outputElements, padBefore } from './common.js';
import { CYCLES } from './cycles.js';
import { convVersion, int8Conv, onnxConv, quantizeConv } from './conv-common.js';
import { floatConvNative } from './conv-native.js';
import type { OpSpec } from './op.js';

const C = SLOT.Conv2DOptions;

export const CONV_2D: OpSpec<'CONV_2D'> = {
  name: 'CONV_2D',
  builtin: {
    code: 3,
    resolver: 'AddConv2D',
    arity: [3],
    version: convVersion,
    optionsType: OPTIONS.Conv2DOptions,
    writeOptions: ({ b, table }, o) => table(FIELDS.Conv2DOptions, () => {
      b.addFieldInt8(C.padding, PADDING[o.padding], 0);
      b.addFieldInt32(C.stride_w, o.stride, 0);
      b.addFieldInt32(C.stride_h, o.stride, 0);
      b.addFieldInt8(C.fused_activation_function, ACTIVATION[o.act], 0);
    }),
    read: (r) => {
      r.needOptions();
      r.noDilation(C.dilation_w_factor, C.dilation_h_factor);
      return { op: 'CONV_2D', inputs: r.inputs as [number, number, number], outputs: r.outputs, stride: r.stride(C.stride_w, C.stride_h), padding: r.padding(), act: r.act(C.fused_activation_function) };
    },
  },
  channelParams: true,
  // x (1,H,W,Cin), w (Cout,KH,KW,Cin), b (Cout) -> y (1,OH,OW,Cout)
  float: (o, a) => {
    const x = a.input(0), w = a.input(1), b = a.input(2), y = a.y;
    if (a.kernels === 'native' && a.shape(0)[0] === 1) {
      return floatConvNative({ x, xShape: a.shape(0), w, wShape: a.shape(1), bias: b, y, yShape: a.yShape, stride: o.stride, padding: o.padding, act: o.act, multiplier: 0 });
    }
    const [, h, wd, cin] = a.shape(0), [cout, kh, kw] = a.shape(1), [, oh, ow] = a.yShape;
    const pt = padBefore(h, kh, o.stride, o.padding), pl = padBefore(wd, kw, o.stride, o.padding);
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      const yo = (oy * ow + ox) * cout;
      for (let c = 0; c < cout; c++) {
        let acc = b[c];
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * o.stride - pt + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * o.stride - pl + kx;
            if (ix < 0 || ix >= wd) continue;
            const xo = (iy * wd + ix) * cin, wo = ((c * kh + ky) * kw + kx) * cin;
            for (let i = 0; i < cin; i++) acc += x[xo + i] * w[wo + i];
          }
        }
        y[yo + c] = applyFused(acc, o.act);
      }
    }
  },
  int8: int8Conv,
  quantize: (o, c) => quantizeConv(o, c, 0),
  onnx: onnxConv,
  cost: (o, t) => {
    const [, kh, kw, cin] = t[o.inputs[1]].shape, macs = outputElements(o, t) * kh * kw * cin;
    return { macs, cycles: macs * (kh === 1 && kw === 1 ? CYCLES.conv1x1 : CYCLES.convKxK) };
  },
};
