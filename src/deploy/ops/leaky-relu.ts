// LEAKY_RELU: x for x >= 0, alpha * x below. Everything cmv3 knows about it is here (the op added
// to show how an op is added, DEVELOPERS.md): options, float and int8 arithmetic, quantization,
// ONNX, cost. int8 follows TFLite's reference_ops::QuantizeLeakyRelu, which the builtin resolver
// and TFLite Micro both run: two multipliers from Prepare (input/output scale, and that times
// alpha), the input's sign picking one, double rounding, clamp to int8. TFLite with its XNNPACK
// delegate (what tfjs-tflite runs, runtime 'xnnpack') takes the op and computes it its own way
// (xnn_qs8_vlrelu): 8-bit fixed-point multipliers, rounding half up.
import { f32, multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfEven } from '../int8/fixedpoint.js';
import { flagged, floatUnary, lookupCost, lookupOrKernel } from './common.js';
import type { OpSpec } from './op.js';

// schema.fbs: BuiltinOperator LEAKY_RELU = 98; BuiltinOptions union member 75 is
// LeakyReluOptions { alpha: float } (slot 0).
const CODE = 98, OPTIONS_TYPE = 75, ALPHA_SLOT = 0;

/** The Prepare of activations.cc LeakyReluPrepare: float32 scale products, then QuantizeMultiplier. */
export function prepareLeakyRelu(input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, alpha: number) {
  const identity = quantizeMultiplier(f32(f32(input.scale) / f32(output.scale)));
  const slope = quantizeMultiplier(f32(f32(f32(input.scale) * f32(alpha)) / f32(output.scale)));
  return { inputZp: input.zeroPoint, outputZp: output.zeroPoint, identity, slope };
}

/** reference_ops::QuantizeLeakyRelu on int8. */
export function leakyReluInt8(pp: ReturnType<typeof prepareLeakyRelu>, input: Int8Array, output: Int8Array): void {
  for (let i = 0; i < input.length; i++) {
    const v = input[i] - pp.inputZp, m = v >= 0 ? pp.identity : pp.slope;
    const y = pp.outputZp + multiplyByQuantizedMultiplier(v, m.multiplier, m.shift);
    output[i] = y < -128 ? -128 : y > 127 ? 127 : y;
  }
}

/** XNNPACK's qs8 leaky ReLU: multipliers lrintf(-256 * scale) from float32 scales, and per element
 *  ((zp - x) * 128 * multiplier + 2^14) >> 15 + output zero point, clamped. */
export function prepareLeakyReluXnnpack(input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, alpha: number) {
  const positive = f32(f32(input.scale) / f32(output.scale)), negative = f32(positive * f32(alpha));
  // XNNPACK refuses scales its 8-bit multipliers cannot hold (measured in tfjs-tflite's WASM:
  // TFLite then runs the whole graph on its builtin kernels, see Int8Engine).
  // (XNNPACK's limits: positive in [2^-8, 2^7], negative in [-127.99609375, 2^7] with |negative| >= 2^-8)
  const fits = (v: number) => Math.abs(v) >= 2 ** -8 && v <= 2 ** 7 && v >= -127.99609375;
  return {
    inputZp: input.zeroPoint, outputZp: output.zeroPoint, xnnpackFails: !(positive > 0 && fits(positive) && fits(negative)),
    positive: roundHalfEven(f32(-256 * positive)), negative: roundHalfEven(f32(-256 * negative)),
  };
}

export function leakyReluInt8Xnnpack(pp: ReturnType<typeof prepareLeakyReluXnnpack>, input: Int8Array, output: Int8Array): void {
  for (let i = 0; i < input.length; i++) {
    const v = (pp.inputZp - input[i]) * 128, m = v <= 0 ? pp.positive : pp.negative;
    const y = ((v * m + 0x4000) >> 15) + pp.outputZp;
    output[i] = y < -128 ? -128 : y > 127 ? 127 : y;
  }
}

export const LEAKY_RELU: OpSpec<'LEAKY_RELU'> = {
  name: 'LEAKY_RELU',
  builtin: {
    code: CODE,
    resolver: 'AddLeakyRelu',
    arity: [1],
    // op_version.cc: version 2 is int16 (which cmv3 does not write); float and int8 are 1
    version: () => 1,
    optionsType: OPTIONS_TYPE,
    writeOptions: ({ b, table }, o) => table(1, () => b.addFieldFloat32(ALPHA_SLOT, o.alpha, 0)),
    read: (r) => ({ op: 'LEAKY_RELU', inputs: r.inputs as [number], outputs: r.outputs, alpha: r.v.f32(r.o, ALPHA_SLOT, 0) }),
  },
  inPlace: true,
  float: (o, a) => floatUnary((v) => (v >= 0 ? v : o.alpha * v))(o, a),
  int8: (o, p) => {
    const x = p.tq(o.inputs[0]), y = p.tq(o.outputs[0]);
    if (p.runtime === 'xnnpack') {
      const px = prepareLeakyReluXnnpack(x, y, o.alpha);
      return flagged(lookupOrKernel(p.kernels, o.inputs[0], o.outputs[0], (a, b) => leakyReluInt8Xnnpack(px, a, b)), px);
    }
    const pp = prepareLeakyRelu(x, y, o.alpha);
    return lookupOrKernel(p.kernels, o.inputs[0], o.outputs[0], (a, b) => leakyReluInt8(pp, a, b));
  },
  quantize: (o, c) => {
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0])], outputs: [c.act(o.outputs[0], c.calibrated(o.outputs[0]))] });
  },
  onnx: (o, e) => e.node('LeakyRelu', [e.operand(o.inputs[0], e.rank4(o.inputs[0]))], [e.out], e.name, [e.attrFloat('alpha', o.alpha)]),
  cost: lookupCost,
};
