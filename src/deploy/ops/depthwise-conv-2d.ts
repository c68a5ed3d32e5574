// DEPTHWISE_CONV_2D: weights (1, KH, KW, Cin*m), output channel c*m+j reads input channel c.
import { corrupt } from '../tflite-format/fbview.js';
import { ACTIVATION, FIELDS, OPTIONS, PADDING, SLOT } from '../tflite-format/schema.js';
import { applyFused, outputElements, padBefore } from './common.js';
import { CYCLES } from './cycles.js';
import { convVersion, int8Conv, onnxConv, quantizeConv } from './conv-common.js';
import { floatConvNative } from './conv-native.js';
import type { OpSpec } from './op.js';

const C = SLOT.DepthwiseConv2DOptions;

export const DEPTHWISE_CONV_2D: OpSpec<'DEPTHWISE_CONV_2D'> = {
  name: 'DEPTHWISE_CONV_2D',
  builtin: {
    code: 4,
    resolver: 'AddDepthwiseConv2D',
    arity: [3],
    version: convVersion,
    optionsType: OPTIONS.DepthwiseConv2DOptions,
    writeOptions: ({ b, table }, o) => table(FIELDS.DepthwiseConv2DOptions, () => {
      b.addFieldInt8(C.padding, PADDING[o.padding], 0);
      b.addFieldInt32(C.stride_w, o.stride, 0);
      b.addFieldInt32(C.stride_h, o.stride, 0);
      b.addFieldInt32(C.depth_multiplier, o.multiplier, 0);
      b.addFieldInt8(C.fused_activation_function, ACTIVATION[o.act], 0);
    }),
    read: (r) => {
      r.needOptions();
      r.noDilation(C.dilation_w_factor, C.dilation_h_factor);
      // depth_multiplier is redundant and newer converters may leave it 0: then the shapes tell.
      let multiplier = r.v.i32(r.o, C.depth_multiplier, 0);
      if (multiplier <= 0) multiplier = (r.tensors[r.inputs[1]].shape[3] ?? 0) / (r.tensors[r.inputs[0]].shape[3] || 1);
      if (!Number.isInteger(multiplier) || multiplier < 1) throw corrupt(`${r.what} has depth multiplier ${multiplier}`);
      return { op: 'DEPTHWISE_CONV_2D', inputs: r.inputs as [number, number, number], outputs: r.outputs, stride: r.stride(C.stride_w, C.stride_h), padding: r.padding(), multiplier, act: r.act(C.fused_activation_function) };
    },
  },
  channelParams: true,
  // x (1,H,W,Cin), w (1,KH,KW,Cin*m), b (Cin*m) -> y (1,OH,OW,Cin*m); channel c*m+j reads c
  float: (o, a) => {
    const x = a.input(0), w = a.input(1), b = a.input(2), y = a.y, m = o.multiplier;
    if (a.kernels === 'native' && a.shape(0)[0] === 1) {
      return floatConvNative({ x, xShape: a.shape(0), w, wShape: a.shape(1), bias: b, y, yShape: a.yShape, stride: o.stride, padding: o.padding, act: o.act, multiplier: m });
    }
    const [, h, wd, cin] = a.shape(0), [, kh, kw, cout] = a.shape(1), [, oh, ow] = a.yShape;
    const pt = padBefore(h, kh, o.stride, o.padding), pl = padBefore(wd, kw, o.stride, o.padding);
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      for (let c = 0; c < cout; c++) {
        const ic = Math.floor(c / m);
        let acc = b[c];
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * o.stride - pt + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * o.stride - pl + kx;
            if (ix < 0 || ix >= wd) continue;
            acc += x[(iy * wd + ix) * cin + ic] * w[(ky * kw + kx) * cout + c];
          }
        }
        y[(oy * ow + ox) * cout + c] = applyFused(acc, o.act);
      }
    }
  },
  int8: int8Conv,
  quantize: (o, c) => quantizeConv(o, c, 3),
  onnx: onnxConv,
  cost: (o, t) => {
    const [, kh, kw] = t[o.inputs[1]].shape, macs = outputElements(o, t) * kh * kw;
    return { macs, cycles: macs * (o.multiplier === 1 ? CYCLES.depthwise : CYCLES.depthwiseMultiplier) };
  },
};
