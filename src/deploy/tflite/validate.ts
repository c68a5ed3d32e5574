// The .tflite trap list as code (DEVELOPERS.md, "Known facts"): rules that a file can break while
// still loading in desktop TFLite, and that some other runtime (TFLite Micro, Arm NN, XNNPACK,
// old interpreters) then refuses or miscomputes. Works on the raw tables, so it also checks files
// cmv3 did not write (ops it does not know are only checked for the generic rules).
import { PLACEHOLDER_FOR_GREATER_OP_CODES, CUSTOM_CODE, TENSOR_TYPE, builtinOpName } from '../tflite-format/schema.js';
import { decodeModel, type RawTensor } from './read.js';

const CONV_2D = 3, DEPTHWISE_CONV_2D = 4, LOGISTIC = 14, SOFTMAX = 25;

/** Every rule the file breaks, one line each; [] for a clean file. Throws TfliteError when unreadable. */
export function checkTfliteRules(bytes: Uint8Array): string[] {
  const m = decodeModel(bytes);
  const out: string[] = [];

  if (m.buffers.length === 0) out.push('buffer 0 (the empty sentinel) is missing');
  else if (m.buffers[0].length > 0) out.push(`buffer 0 must be the empty sentinel, has ${m.buffers[0].length} bytes`);
  m.buffers.forEach((b, i) => {
    if (b.length > 0 && b.start % 16 !== 0) out.push(`buffer ${i} data starts at file offset ${b.start}, not 16-byte aligned`);
  });

  // TFLite's loader checks the axis of every quantized tensor, per-tensor ones included.
  m.tensors.forEach((t, i) => {
    const rank = t.shape.length, what = `tensor ${i} '${t.name}'`;
    if (t.scale.length === 0 || rank === 0) return;
    if (!(t.axis >= 0 && t.axis < rank)) out.push(`${what}: quantized_dimension ${t.axis} is outside its rank ${rank}`);
    else if (t.scale.length !== 1 && t.scale.length !== t.shape[t.axis]) out.push(`${what}: ${t.scale.length} scales for ${t.shape[t.axis]} entries along axis ${t.axis}`);
  });

  m.opcodes.forEach((c, i) => {
    if (c.custom !== null || c.code === CUSTOM_CODE) return;
    const name = builtinOpName(c.code), byte = Math.min(c.code, PLACEHOLDER_FOR_GREATER_OP_CODES);
    if (c.deprecated !== byte) out.push(`operator code ${i} (${name}): deprecated_builtin_code is ${c.deprecated}, must be ${byte} (Arm NN reads only it)`);
    if (c.builtin !== c.code) out.push(`operator code ${i} (${name}): builtin_code is ${c.builtin}, must be ${c.code}`);
  });

  m.operators.forEach((op, i) => {
    const c = m.opcodes[op.opcode];
    if (!c) {
      out.push(`operator ${i} refers to operator code ${op.opcode}, which does not exist`);
      return;
    }
    if (c.custom !== null || c.code === CUSTOM_CODE) return;
    const what = `operator ${i} (${builtinOpName(c.code)})`;
    if (op.hasCustomOptions) out.push(`${what} has custom_options; TFLite Micro rejects them on builtin ops`);
    const tensor = (k: number): RawTensor | undefined => m.tensors[op.inputs[k]];
    if (c.code === CONV_2D || c.code === DEPTHWISE_CONV_2D) checkConv(what, c.code === CONV_2D ? 0 : 3, tensor(0), tensor(1), tensor(2), out);
    if (c.code === LOGISTIC || c.code === SOFTMAX) checkProbabilityOutput(what, m.tensors[op.outputs[0]], out);
  });
  return out;
}

/** Per-channel weights along the output channels; int32 bias at scale in*w[c], zero point 0. */
function checkConv(what: string, axis: number, input: RawTensor | undefined, w: RawTensor | undefined, bias: RawTensor | undefined, out: string[]): void {
  if (!input || !w || input.type !== TENSOR_TYPE.int8 || w.type !== TENSOR_TYPE.int8) return; // float convs have no rules here
  if (w.scale.length === 0) return void out.push(`${what}: int8 weights '${w.name}' have no quantization`);
  if (w.scale.length > 1 && w.axis !== axis) out.push(`${what}: per-channel weights '${w.name}' have quantized_dimension ${w.axis}, must be ${axis}`);
  if (w.zeroPoint.some((z) => z !== 0)) out.push(`${what}: int8 weights '${w.name}' must have zero point 0 (symmetric)`);
  if (!bias) return;
  if (bias.type !== TENSOR_TYPE.int32) return void out.push(`${what}: bias '${bias.name}' must be int32`);
  if (bias.scale.length === 0) return void out.push(`${what}: int32 bias '${bias.name}' has no quantization`);
  if (bias.axis !== 0) out.push(`${what}: bias '${bias.name}' has quantized_dimension ${bias.axis}, must be 0`);
  if (bias.zeroPoint.some((z) => z !== 0)) out.push(`${what}: bias '${bias.name}' must have zero point 0`);
  if (bias.scale.length !== w.scale.length) {
    return void out.push(`${what}: bias '${bias.name}' has ${bias.scale.length} scales, weights have ${w.scale.length}`);
  }
  const inScale = input.scale[0];
  if (inScale === undefined) return void out.push(`${what}: int8 input '${input.name}' has no quantization`);
  // Float32 in the file: allow a few ulps between the quantizer's product and the stored value.
  const bad = bias.scale.findIndex((s, c) => !(Math.abs(s - inScale * w.scale[c]) <= 1e-5 * Math.abs(inScale * w.scale[c])));
  if (bad >= 0) {
    out.push(`${what}: bias '${bias.name}' scale[${bad}] is ${bias.scale[bad]}, must be input scale * weight scale = ${inScale * w.scale[bad]}`);
  }
}

/** TFLite's int8 LOGISTIC and SOFTMAX kernels insist on output scale 1/256, zero point -128. */
function checkProbabilityOutput(what: string, o: RawTensor | undefined, out: string[]): void {
  if (!o || o.type !== TENSOR_TYPE.int8) return;
  const [scale, zp] = [o.scale[0], o.zeroPoint[0]];
  // Exactly: newer kernels allow 0.1% (TF_LITE_ENSURE_NEAR), but the TFLite in tfjs-tflite checks
  // `scale == 1. / 256` (measured), and 1/256 is exact in float32 anyway.
  if (!(scale === 1 / 256 && zp === -128 && o.scale.length === 1)) {
    out.push(`${what}: int8 output '${o.name}' has scale ${scale} and zero point ${zp}, must be 1/256 and -128`);
  }
}
