// Post-training quantization to TFLite's full-integer scheme: int8 activations (per-tensor,
// asymmetric, ranges from calibration), int8 weights (per-channel, symmetric), int32 biases
// (scale = input scale x weight scale), int8 input and output. The pseudo-ops get int8 forms:
//   HARD_SIGMOID  folded into the convolution that feeds it: weights and bias scaled by 1/6, bias
//                 +0.5, output range exactly [0, 1] (scale 1/255, zero point -128), so the int8
//                 saturation *is* the clamp. No extra op, no extra memory.
//   MISH          a 256-entry table through builtins: CAST (int8 -> int32), ADD 128, GATHER. The
//                 table holds mish at each of the 256 input levels, rounded once: as exact as an
//                 int8 Mish can be, at the cost of an int32 index tensor (4 bytes per element).
import { includeZero, type Range } from './calibrate.js';
import { consumers, GraphBuilder, type Graph, type OpDef, type Quant, type TensorDef } from './ir.js';
import { ExportError } from './lower.js';

const mish = (x: number) => x * Math.tanh(x > 20 ? x : Math.log1p(Math.exp(x)));

/** Round half away from zero, as std::round (TFLite's converter and kernels use it). */
export const roundAway = (v: number) => (v < 0 ? -Math.round(-v) : Math.round(v));

export function activationQuant(r: Range): Quant {
  const { min, max } = includeZero(r);
  const scale = (max - min) / 255;
  const zp = Math.min(127, Math.max(-128, roundAway(-128 - min / scale)));
  return { scale: [scale], zeroPoint: [zp], axis: 0 };
}

const FIXED_UNIT: Quant = { scale: [1 / 256], zeroPoint: [-128], axis: 0 }; // LOGISTIC, SOFTMAX
const FIXED_TANH: Quant = { scale: [1 / 128], zeroPoint: [0], axis: 0 };
const GATE_RANGE: Quant = { scale: [1 / 255], zeroPoint: [-128], axis: 0 }; // hard-sigmoid [0, 1]

function quantizeWeights(w: Float32Array, shape: number[], axis: number, name: string): TensorDef {
  const channels = shape[axis], inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) { const c = Math.floor(i / inner) % channels; maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[i])); }
  const scale = Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    q[i] = Math.max(-127, Math.min(127, roundAway(w[i] / scale[c])));
  }
  return { name, shape: [...shape], dtype: 'int8', data: q, quant: { scale, zeroPoint: scale.map(() => 0), axis } };
}

function quantizeBias(b: Float32Array, inputScale: number, weightScale: number[], name: string): TensorDef {
  const scale = weightScale.map((s) => inputScale * s);
  const q = Int32Array.from(b, (v, c) => roundAway(v / scale[c]));
  return { name, shape: [b.length], dtype: 'int32', data: q, quant: { scale, zeroPoint: scale.map(() => 0), axis: 0 } };
}

/** The int8 graph of a lowered float graph, given calibrated ranges for its activation tensors. */
export function quantizeGraph(g: Graph, ranges: Map<number, Range>): Graph {
  const b = new GraphBuilder(), map = new Map<number, number>(), users = consumers(g);
  const rangeOf = (t: number) => {
    const r = ranges.get(t);
    if (!r) throw new ExportError(`no calibration range for ${g.tensors[t].name}`, 'ERR_EXPORT');
    return r;
  };
  const act = (t: number, quant: Quant) => {
    const idx = b.tensor({ name: g.tensors[t].name, shape: [...g.tensors[t].shape], dtype: 'int8', quant });
    map.set(t, idx);
    return idx;
  };
  const q = (t: number) => b.tensors[map.get(t)!].quant!;
  act(g.inputs[0], activationQuant(rangeOf(g.inputs[0])));
  // A conv whose only reader is HARD_SIGMOID writes the gate directly (see the header).
  const gateOf = new Map<number, OpDef>();
  for (const o of g.ops) {
    if (o.op !== 'HARD_SIGMOID') continue;
    const producer = g.ops.find((p) => p.outputs[0] === o.inputs[0]);
    if (!producer || producer.op !== 'CONV_2D' || producer.act !== 'NONE' || users[o.inputs[0]].length !== 1) {
      throw new ExportError(`hard-sigmoid ${g.tensors[o.outputs[0]].name} does not follow a convolution; it cannot be quantized`, 'ERR_EXPORT');
    }
    gateOf.set(producer.outputs[0], o);
  }
  for (const o of g.ops) {
    const x = map.get(o.inputs[0])!, y = o.outputs[0];
    switch (o.op) {
      case 'CONV_2D': case 'DEPTHWISE_CONV_2D': {
        const gate = gateOf.get(y);
        let w = g.tensors[o.inputs[1]].data as Float32Array, bias = g.tensors[o.inputs[2]].data as Float32Array;
        if (gate) { w = w.map((v) => v / 6); bias = bias.map((v) => v / 6 + 0.5); }
        const wt = quantizeWeights(w, g.tensors[o.inputs[1]].shape, o.op === 'CONV_2D' ? 0 : 3, g.tensors[o.inputs[1]].name);
        const wi = b.tensor(wt);
        const bi = b.tensor(quantizeBias(bias, q(o.inputs[0]).scale[0], wt.quant!.scale, g.tensors[o.inputs[2]].name));
        const out = gate ? act(gate.outputs[0], GATE_RANGE) : act(y, activationQuant(rangeOf(y)));
        b.op({ ...o, inputs: [x, wi, bi], outputs: [out] });
        break;
      }
      case 'HARD_SIGMOID': break; // folded into its convolution
      case 'ADD': case 'MUL': {
        const out = act(y, activationQuant(rangeOf(y)));
        b.op({ ...o, inputs: [x, map.get(o.inputs[1])!], outputs: [out] });
        break;
      }
      case 'AVERAGE_POOL_2D': case 'RESHAPE': // int8 kernels require output quant = input quant
        b.op({ ...o, inputs: [x], outputs: [act(y, q(o.inputs[0]))] } as OpDef);
        break;
      case 'SOFTMAX': case 'LOGISTIC':
        b.op({ ...o, inputs: [x], outputs: [act(y, FIXED_UNIT)] } as OpDef);
        break;
      case 'TANH':
        b.op({ ...o, inputs: [x], outputs: [act(y, FIXED_TANH)] });
        break;
      case 'HARD_SWISH': case 'RELU': case 'RELU6':
        b.op({ ...o, inputs: [x], outputs: [act(y, activationQuant(rangeOf(y)))] });
        break;
      case 'MISH': {
        const qi = q(o.inputs[0]), qo = activationQuant(rangeOf(y)), name = g.tensors[y].name, shape = g.tensors[y].shape;
        const table = new Int8Array(256);
        for (let k = 0; k < 256; k++) {
          const v = qi.scale[0] * (k - 128 - qi.zeroPoint[0]);
          table[k] = Math.max(-128, Math.min(127, roundAway(mish(v) / qo.scale[0]) + qo.zeroPoint[0]));
        }
        const t = b.tensor({ name: `${name}/table`, shape: [256], dtype: 'int8', data: table, quant: qo });
        const i32 = b.tensor({ name: `${name}/index`, shape: [...shape], dtype: 'int32' });
        const idx = b.tensor({ name: `${name}/index_plus_128`, shape: [...shape], dtype: 'int32' });
        const c128 = b.tensor({ name: `${name}/128`, shape: [1], dtype: 'int32', data: Int32Array.of(128) });
        b.op({ op: 'CAST', inputs: [x], outputs: [i32] });
        b.op({ op: 'ADD', inputs: [i32, c128], outputs: [idx], act: 'NONE' });
        b.op({ op: 'GATHER', inputs: [t, idx], outputs: [act(y, qo)], axis: 0 });
        break;
      }
      default:
        throw new ExportError(`${o.op} has no int8 form in cmv3 (${g.tensors[y].name})`, 'ERR_EXPORT');
    }
  }
  return b.finish([map.get(g.inputs[0])!], g.outputs.map((t) => map.get(t)!), g.description);
}
