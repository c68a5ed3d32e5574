// The rules CONV_2D and DEPTHWISE_CONV_2D share (the two differ in weight layout and kernel only).
// Quantization: per-channel int8 weights along the output-channel axis (a scale raised where the
// bias would not fit int32, as TFLite's converter does), int32 bias at input scale x weight scale;
// a HARD_SIGMOID gate that reads the conv alone is folded in (weights and bias / 6, bias + 0.5,
// output exactly [0, 1]), so the int8 saturation is the clamp. ONNX: one Conv, depthwise as a
// grouped conv with one group per input channel (output c*m+j reads channel c), weights permuted
// once at export.
import type { OpDef, TensorDef } from '../ir.js';
import * as k from '../int8/kernels.js';
import { nativeConvEval } from '../int8/native.js';
import { biasSafeWeightScales, GATE_RANGE, quantizeBias, quantizeWeights } from '../quant-rules.js';
import { flagged, int8Input } from './common.js';
import type { Int8Prepare, Int8Step, OnnxEmitter, QuantizeContext } from './op.js';

type ConvOp = OpDef & { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' };

/** Version 3 for int8 weights and activations (per-channel), else 1. */
export const convVersion = (o: ConvOp, t: TensorDef[]): number => (int8Input(o, t) && t[o.inputs[1]].dtype === 'int8' ? 3 : 1);

/** The int8 Prepare and Eval: the native kernel when built, else the TypeScript one. */
export function int8Conv(o: ConvOp, p: Int8Prepare): Int8Step {
  const [x, wi, bi] = o.inputs, y = o.outputs[0], t = p.tensors, w = t[wi], s = t[x].shape, dw = o.op === 'DEPTHWISE_CONV_2D';
  const geometry = { batch: s[0], inH: s[1], inW: s[2], inC: s[3], outC: t[y].shape[3], kH: w.shape[1], kW: w.shape[2], stride: o.stride, padding: o.padding };
  const params = { input: p.tq(x), output: p.tq(y), weightScales: w.quant!.scale, act: o.act, runtime: p.runtime };
  const pp = dw ? k.prepareDepthwiseConv2d(geometry, params) : k.prepareConv2d(geometry, params);
  const wd = w.data as Int8Array, bd = t[bi].data as Int32Array;
  if (p.kernels === 'native') {
    const run = nativeConvEval(pp, wd);
    return flagged((v) => run(v[x] as Int8Array, wd, bd, v[y] as Int8Array), pp);
  }
  return flagged(dw ? (v) => k.depthwiseConv2d(pp, v[x] as Int8Array, wd, bd, v[y] as Int8Array)
    : (v) => k.conv2d(pp, v[x] as Int8Array, wd, bd, v[y] as Int8Array), pp);
}

/** axis: where the output channels are in the weights (CONV_2D 0, DEPTHWISE_CONV_2D 3). */
export function quantizeConv(o: ConvOp, c: QuantizeContext, axis: number): void {
  const { g, b } = c, x = c.int8(o.inputs[0]), y = o.outputs[0], gate = c.gateOf(y);
  let w = g.tensors[o.inputs[1]].data as Float32Array, bias = g.tensors[o.inputs[2]].data as Float32Array;
  if (gate) { w = w.map((v) => v / 6); bias = bias.map((v) => v / 6 + 0.5); }
  const inputScale = c.q(o.inputs[0]).scale[0];
  const wt = quantizeWeights(w, g.tensors[o.inputs[1]].shape, axis, g.tensors[o.inputs[1]].name, biasSafeWeightScales(bias, inputScale));
  const wi = b.tensor(wt);
  const bi = b.tensor(quantizeBias(bias, inputScale, wt.quant!.scale, g.tensors[o.inputs[2]].name));
  const out = gate ? c.act(gate.outputs[0], GATE_RANGE) : c.act(y, c.calibrated(y));
  b.op({ ...o, inputs: [x, wi, bi], outputs: [out] });
}

export function onnxConv(o: ConvOp, e: OnnxEmitter): void {
  const [x, w, b] = o.inputs, xs = e.tensors[x].shape, ws = e.tensors[w].shape;
  if (!e.isConst(w) || !e.isConst(b)) throw new Error(`cannot write ONNX: ${o.op} '${e.name}' needs constant weights and bias`);
  const [kh, kw] = [ws[1], ws[2]];
  const [pt, pb] = e.pads(xs[1], kh, o.stride, o.padding), [pl, pr] = e.pads(xs[2], kw, o.stride, o.padding);
  const dw = o.op === 'DEPTHWISE_CONV_2D';
  e.withAct('Conv', [e.operand(x, true), e.constant(w, dw ? 'depthwise' : 'conv'), e.constant(b, 'plain')], o.act, [
    e.attrInts('kernel_shape', [kh, kw]), e.attrInts('strides', [o.stride, o.stride]), e.attrInts('pads', [pt, pl, pb, pr]),
    e.attrInts('dilations', [1, 1]), e.attrInt('group', dw ? xs[3] : 1),
  ]);
}
