// HARD_SWISH: x * relu6(x + 3) / 6 (TFLite writes no options table; one is accepted when read).
import * as k from '../int8/kernels.js';
import { OPTIONS } from '../tflite-format/schema.js';
import { floatUnary, lookupOrKernel, onnxUnary, outputElements } from './common.js';
import { CYCLES } from './cycles.js';
import type { OpSpec } from './op.js';

export const HARD_SWISH: OpSpec<'HARD_SWISH'> = {
  name: 'HARD_SWISH',
  builtin: {
    code: 117,
    resolver: 'AddHardSwish',
    arity: [1],
    version: () => 1,
    optionsType: OPTIONS.HardSwishOptions,
    read: (r) => ({ op: 'HARD_SWISH', inputs: r.inputs as [number], outputs: r.outputs }),
  },
  inPlace: true,
  float: floatUnary((v) => v * (Math.min(Math.max(v + 3, 0), 6) / 6)),
  int8: (o, p) => {
    const pp = k.prepareHardSwish(p.tq(o.inputs[0]), p.tq(o.outputs[0]));
    return lookupOrKernel(p.kernels, o.inputs[0], o.outputs[0], (a, b) => k.hardSwishInt8(pp, a, b));
  },
  quantize: (o, c) => {
    c.b.op({ ...o, inputs: [c.int8(o.inputs[0])], outputs: [c.act(o.outputs[0], c.calibrated(o.outputs[0]))] });
  },
  // HardSwish (opset 14) is x * clip(x/6 + 1/2, 0, 1): the same function as TFLite's HARD_SWISH.
  onnx: onnxUnary('HardSwish'),
  cost: (o, t) => ({ macs: 0, cycles: outputElements(o, t) * CYCLES.hardSwish }),
};
