// An int8 graph as a folder that drops into an MCUXpresso SDK eIQ TensorFlow Lite Micro project
// (the SDK's tflm_cifar10 / label-image examples for EVK-MIMXRT1060). Pure: a graph, its .tflite
// bytes and a test image in, {filename: contents} out; the CLI (cli/deploy.ts) does the I/O.
// Names follow the SDK's eIQ sources: model.cpp calls `tflite::GetModel(model_data)`, declares
// `extern tflite::MicroOpResolver &MODEL_GetOpsResolver();` and sizes its arena with
// `kTensorArenaSize`; output_postproc.cpp prints MODEL_NAME. Everything printed as a number is
// either measured on the graph (model bytes, planned arena) or labelled an estimate.
import { labelsHeader, modelDataSources } from './c-source.js';
import { Int8Engine } from './engine-int8.js';
import { graphInfo } from './graph-model.js';
import { f32, roundHalfAway } from './int8/fixedpoint.js';
import type { BuiltinName, Graph, OpName } from './ir.js';
import { builtinOf, isBuiltin, OPS } from './ops/index.js';
import { ExportError } from './lower.js';
import { planArena } from './planner.js';
import { mcuReport, RUNTIME_RAM, type Report, type Target } from './report.js';

/** TFLite Micro's MicroMutableOpResolver method for each builtin cmv3 writes (from ops/). */
export const RESOLVER_METHOD: Record<BuiltinName, string> = Object.fromEntries(
  (Object.keys(OPS) as OpName[]).filter(isBuiltin).map((name) => [name, builtinOf(name).resolver]),
) as Record<BuiltinName, string>;

/**
 * Bytes of kTensorArenaSize beyond plan + estimate: TFLite Micro's own allocations differ between
 * its versions (one version, with CMSIS-NN, left only 384 bytes of the estimate unused).
 */
export const ARENA_MARGIN = 4096;

export interface EiqImage {
  /** uint8 HWC pixels, inputSize x inputSize x channels */
  pixels: Uint8Array;
  /** where it came from, for the comments ("CIFAR-10 test_batch.bin record 0") */
  source: string;
  /** its true class, when known */
  label?: string;
}

export interface EiqInput {
  /** the int8 graph as deployed (read back from `modelBytes`, so scales are the file's float32s) */
  graph: Graph;
  modelBytes: Uint8Array;
  target: Target;
  /** null: a mid-grey image */
  image: EiqImage | null;
  /** provenance lines for the README (checkpoint, calibration) */
  provenance: string[];
  /** MODEL_NAME; default: the model name in the graph's description */
  name?: string;
}

export interface EiqFacts {
  modelName: string;
  labels: string[];
  ops: BuiltinName[];
  opCounts: Record<string, number>;
  plannedArena: number;
  runtimeEstimate: number;
  tensorArenaSize: number;
  input: { size: number; channels: number; scale: number; zeroPoint: number; mean: number[]; std: number[] };
  image: EiqImage;
  expected: { index: number; label: string; score: number };
  report: Report;
}

const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;

/** A C float literal that parses back to exactly the float32 `x` (9 significant digits). */
export function cFloat(x: number): string {
  const s = f32(x).toPrecision(9);
  return `${s.includes('.') || s.includes('e') ? s : `${s}.0`}f`;
}

/**
 * uint8 pixels -> int8 input, in float32 step by step exactly as main_example.cc's Preprocess does
 * it: (p / 255 - mean[c]) / std[c], divided by the input scale, rounded half away from zero
 * (roundf), plus the zero point, clamped. Doing it in float32 here is what makes the expected
 * label in the comment the board's, not a float64 neighbour's.
 */
export function preprocessInt8(pixels: Uint8Array, channels: number, mean: number[], std: number[], scale: number, zeroPoint: number): Int8Array {
  const m = mean.map(f32), s = std.map(f32), sc = f32(scale);
  const out = new Int8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const c = i % channels;
    const x = f32(f32(f32(pixels[i] / 255) - m[c]) / s[c]);
    const q = roundHalfAway(f32(x / sc)) + zeroPoint;
    out[i] = q < -128 ? -128 : q > 127 ? 127 : q;
  }
  return out;
}

/** The builtin ops of a graph, sorted, each checked to have a resolver method. */
export function modelOps(g: Graph): BuiltinName[] {
  const ops = [...new Set(g.ops.map((o) => o.op))].sort();
  for (const op of ops) if (!(op in RESOLVER_METHOD)) throw new ExportError(`${op} has no TFLite Micro builtin; the graph was not legalized`, 'ERR_EXPORT');
  return ops as BuiltinName[];
}

export function eiqFacts(i: EiqInput): EiqFacts {
  const g = i.graph, inT = g.tensors[g.inputs[0]], outT = g.tensors[g.outputs[0]];
  if (inT.dtype !== 'int8' || outT.dtype !== 'int8' || !inT.quant || !outT.quant) throw new ExportError('the eIQ project needs an int8 model (int8 input and output)', 'ERR_EXPORT');
  if (inT.shape.length !== 4 || inT.shape[1] !== inT.shape[2]) throw new ExportError(`Expected a (1, S, S, C) image input but the model has (${inT.shape.join(', ')})`, 'ERR_SHAPE');
  const info = graphInfo(g), size = inT.shape[1], channels = inT.shape[3];
  const input = { size, channels, scale: f32(inT.quant.scale[0]), zeroPoint: inT.quant.zeroPoint[0], mean: info.normalization.mean, std: info.normalization.std };
  const n = size * size * channels;
  const image = i.image ?? { pixels: new Uint8Array(n).fill(128), source: 'a mid-grey image (every byte 128; no test image was available)' };
  if (image.pixels.length !== n) throw new ExportError(`the test image has ${image.pixels.length} bytes, the model input ${n}`, 'ERR_SHAPE');
  // The expected answer: our int8 engine with TFLite Micro's reference arithmetic on the very
  // int8 input the C++ computes. Ties go to the lowest index, as the C++ argmax (strict >) does.
  const q = new Int8Engine(g, 'reference').run(preprocessInt8(image.pixels, channels, input.mean, input.std, input.scale, input.zeroPoint))[0];
  let best = 0;
  for (let k = 1; k < q.length; k++) if (q[k] > q[best]) best = k;
  const score = (q[best] - outT.quant.zeroPoint[0]) * f32(outT.quant.scale[0]);
  const report = mcuReport(g, i.modelBytes.length, i.target);
  const plannedArena = planArena(g).peak, runtimeEstimate = report.sram.runtimeBytes;
  const opCounts: Record<string, number> = {};
  for (const o of g.ops) opCounts[o.op] = (opCounts[o.op] ?? 0) + 1;
  return {
    modelName: i.name ?? info.model, labels: info.labels, ops: modelOps(g), opCounts, plannedArena, runtimeEstimate,
    tensorArenaSize: roundUp(plannedArena + runtimeEstimate + ARENA_MARGIN, 1024), input, image,
    expected: { index: best, label: info.labels[best], score }, report,
  };
}

const cString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

function opsHeader(f: EiqFacts): string {
  return `// Generated by cmv3: the TFLite Micro ops this model uses and no others (${f.ops.length} builtins),
// so only their kernels are linked. Named as in the MCUXpresso SDK eIQ examples
// (source/model/model_*_ops_micro.cpp), whose model.cpp declares
//   extern tflite::MicroOpResolver &MODEL_GetOpsResolver();
// This header DEFINES that function: include it from exactly one .cc/.cpp file.
#ifndef CMV3_MODEL_OPS_H_
#define CMV3_MODEL_OPS_H_

#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"

tflite::MicroOpResolver& MODEL_GetOpsResolver() {
  // The template count is the number of Add* calls below: one more op would fail to register.
  static tflite::MicroMutableOpResolver<${f.ops.length}> s_microOpResolver;
  // Register once: a second AddXxx() of the same op is an error in TFLite Micro.
  static bool s_registered = false;
  if (!s_registered) {
    s_registered = true;
${f.ops.map((op) => `    s_microOpResolver.${RESOLVER_METHOD[op]}();  // ${op} x${f.opCounts[op]}`).join('\n')}
  }
  return s_microOpResolver;
}

#endif  // CMV3_MODEL_OPS_H_
`;
}

function configHeader(f: EiqFacts, target: Target): string {
  const { input: inp } = f;
  const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  return `// Generated by cmv3: build-time facts of ${f.modelName} for ${target.description}.
#ifndef CMV3_MODEL_CONFIG_H_
#define CMV3_MODEL_CONFIG_H_

#ifndef MODEL_NAME
#define MODEL_NAME ${cString(f.modelName)}
#endif

// Tensor arena = cmv3's plan of the activation tensors (TFLite Micro's greedy planner, computed on
// this graph: ${f.plannedArena} bytes) + an ESTIMATE of TFLite Micro's own allocations (${RUNTIME_RAM.fixed} B fixed,
// ${RUNTIME_RAM.perTensor} B per tensor, ${RUNTIME_RAM.perConvChannel} B per conv output channel: ${f.runtimeEstimate} bytes) + a margin of
// ${ARENA_MARGIN} bytes (TFLite Micro versions differ in their own allocations), rounded up to 1 KB.
// Kernel scratch buffers are not in the estimate: if AllocateTensors() fails, raise this; after it,
// MicroInterpreter::arena_used_bytes() is the real need on the board.
constexpr int kTensorArenaSize = ${f.tensorArenaSize};

constexpr int kInputSize = ${inp.size};  // width = height
constexpr int kInputChannels = ${inp.channels};
// real = kInputScale * (q - kInputZeroPoint): the input tensor's quantization in model_data.
constexpr float kInputScale = ${cFloat(inp.scale)};
constexpr int kInputZeroPoint = ${inp.zeroPoint};
// The network was trained on (pixel / 255 - mean[c]) / std[c], per RGB channel.
constexpr float kInputMean[kInputChannels] = {${inp.mean.map(cFloat).join(', ')}};
constexpr float kInputStd[kInputChannels] = {${inp.std.map(cFloat).join(', ')}};
constexpr int kNumClasses = ${f.labels.length};

// Only for the SDK's model.cpp, whose MODEL_ConvertInput has a float32 branch that names these
// (per pixel, 0..255 scale). This model's input is int8, so that branch never runs; the values
// are the channel averages of the normalisation above.
#ifndef MODEL_INPUT_MEAN
#define MODEL_INPUT_MEAN ${cFloat(avg(inp.mean) * 255)}
#define MODEL_INPUT_STD ${cFloat(avg(inp.std) * 255)}
#endif

#endif  // CMV3_MODEL_CONFIG_H_
`;
}

function exampleSource(f: EiqFacts): string {
  const rows: string[] = [];
  for (let i = 0; i < f.image.pixels.length; i += 24) {
    rows.push('    ' + Array.from(f.image.pixels.subarray(i, i + 24), (b) => `0x${b.toString(16).padStart(2, '0')},`).join(' '));
  }
  const pct = (f.expected.score * 100).toFixed(1);
  return `// Generated by cmv3: the eIQ CIFAR-10 label-image flow on one embedded image, as a check that the
// model, ops, arena and preprocessing fit together on the board: static image -> preprocess ->
// MicroInterpreter (AllocateTensors, Invoke) -> top-1. It has its own main(): build it in place of
// the SDK example's source/main.cpp, or copy the steps into yours.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/micro/system_setup.h"
#include "tensorflow/lite/schema/schema_generated.h"

#include "labels.h"
#include "model_config.h"
#include "model_data.h"
#include "model_ops.h"

#if defined(MCUXPRESSO_SDK)
#include "board_init.h"  // BOARD_Init(): clocks, pins and the debug console, as the eIQ examples do
#endif

namespace {

// Test image: ${f.image.source}${f.image.label ? ` (true label: ${f.image.label})` : ''}.
// RGB uint8, row-major HWC, ${f.input.size}x${f.input.size}x${f.input.channels}.
// Expected top-1 (cmv3 int8 engine, TFLite Micro reference arithmetic): ${f.expected.label} (index ${f.expected.index}, score ${pct}%)
constexpr int kExpectedIndex = ${f.expected.index};
const uint8_t kTestImage[kInputSize * kInputSize * kInputChannels] = {
${rows.join('\n')}
};

// The arena lives in .bss; 16-byte alignment as TFLite Micro's allocator wants it.
alignas(16) uint8_t g_tensor_arena[kTensorArenaSize];

// uint8 RGB -> the model's int8 input: (p / 255 - mean[c]) / std[c], then quantized with the input
// tensor's scale and zero point, rounded half away from zero (roundf), clamped to int8.
void Preprocess(const uint8_t* rgb, int8_t* out, float scale, int zero_point) {
  for (int i = 0; i < kInputSize * kInputSize * kInputChannels; ++i) {
    const int c = i % kInputChannels;
    const float x = (static_cast<float>(rgb[i]) / 255.0f - kInputMean[c]) / kInputStd[c];
    const int32_t q = static_cast<int32_t>(roundf(x / scale)) + zero_point;
    out[i] = static_cast<int8_t>(q < -128 ? -128 : (q > 127 ? 127 : q));
  }
}

}  // namespace

int main() {
#if defined(MCUXPRESSO_SDK)
  BOARD_Init();
#endif
  tflite::InitializeTarget();

  const tflite::Model* model = tflite::GetModel(model_data);
  if (model->version() != TFLITE_SCHEMA_VERSION) {
    MicroPrintf("Model schema version %d, this TFLite Micro reads %d", static_cast<int>(model->version()), TFLITE_SCHEMA_VERSION);
    return 1;
  }
  tflite::MicroOpResolver& resolver = MODEL_GetOpsResolver();
  tflite::MicroInterpreter interpreter(model, resolver, g_tensor_arena, kTensorArenaSize);
  if (interpreter.AllocateTensors() != kTfLiteOk) {
    MicroPrintf("AllocateTensors() failed: raise kTensorArenaSize (%d bytes) in model_config.h", kTensorArenaSize);
    return 1;
  }
  MicroPrintf("Tensor arena: %d of %d bytes used", static_cast<int>(interpreter.arena_used_bytes()), kTensorArenaSize);

  TfLiteTensor* input = interpreter.input(0);
  if (input->type != kTfLiteInt8 || input->bytes != sizeof(kTestImage)) {
    MicroPrintf("Unexpected input tensor: model_data does not match model_config.h");
    return 1;
  }
  if (input->params.zero_point != kInputZeroPoint) MicroPrintf("Warning: model_config.h is from another export than model_data");
  Preprocess(kTestImage, input->data.int8, input->params.scale, input->params.zero_point);

  if (interpreter.Invoke() != kTfLiteOk) {
    MicroPrintf("Invoke() failed");
    return 1;
  }
  const TfLiteTensor* output = interpreter.output(0);
  int best = 0;
  for (int i = 1; i < kCategoryCount; ++i) {
    if (output->data.int8[i] > output->data.int8[best]) best = i;
  }
  const float score = (output->data.int8[best] - output->params.zero_point) * output->params.scale;
  MicroPrintf("Detected: %s (score %d/100)", kCategoryLabels[best], static_cast<int>(score * 100.0f + 0.5f));
  MicroPrintf("Expected: %s (cmv3 int8 engine)%s", kCategoryLabels[kExpectedIndex], best == kExpectedIndex ? "" : " -- MISMATCH");
  return best == kExpectedIndex ? 0 : 1;
}
`;
}

function readme(f: EiqFacts, i: EiqInput): string {
  const r = f.report, t = i.target;
  return `# ${f.modelName} for the MCUXpresso SDK eIQ TensorFlow Lite Micro examples (${t.name})

Generated by \`cmv3 deploy\`. The folder replaces the model of the SDK's \`tflm_cifar10\` example for
${t.description} (the same steps fit the label-image examples).

| file | what |
|---|---|
| \`model_data.h\`, \`model_data.cc\` | the int8 .tflite (${f.report.flash.modelBytes.toLocaleString('en-US')} bytes) as \`model_data[]\` / \`model_data_len\`, 16-byte aligned, const (stays in flash) |
| \`model_ops.h\` | \`MODEL_GetOpsResolver()\`: a \`MicroMutableOpResolver<${f.ops.length}>\` with exactly the model's ${f.ops.length} builtin ops |
| \`model_config.h\` | \`kTensorArenaSize\`, input size/channels, input scale and zero point, normalisation mean/std, class count, \`MODEL_NAME\` |
| \`labels.h\` | \`kCategoryLabels[kCategoryCount]\`, the class names in output order |
| \`main_example.cc\` | a self-contained check: one embedded test image, preprocess, \`MicroInterpreter\`, top-1, compared with cmv3's answer |

## Dropping it into the SDK example

1. **Model data**: copy \`model_data.h\` and \`model_data.cc\` into \`source/model/\`, replacing the SDK's
   \`model_data.h\`; add \`model_data.cc\` to the build (armgcc: the source list in \`CMakeLists.txt\`;
   MCUXpresso IDE compiles every source in the folder). The SDK's \`model.cpp\` already calls
   \`tflite::GetModel(model_data)\`.
2. **Ops**: replace the contents of \`source/model/model_cifarnet_ops_micro.cpp\` with
   \`#include "model_ops.h"\` (the header defines \`MODEL_GetOpsResolver()\`; include it from one file only).
   Older SDKs declare \`MODEL_GetOpsResolver(tflite::ErrorReporter*)\`: add that parameter there if yours does.
3. **Arena size and input facts**: copy \`model_config.h\` into \`source/model/\` and \`#include "model_config.h"\`
   in \`model.cpp\` after \`model_data.h\`. If your SDK version defines \`kTensorArenaSize\` elsewhere
   (\`demo_config.h\` or its old \`model_data.h\`), delete that definition.
4. **Input conversion**: the SDK's \`MODEL_ConvertInput\` turns int8 input into \`pixel - 127\`; this model
   was trained on per-channel normalised input. Replace its \`kTensorType_INT8\` case with the loop of
   \`Preprocess()\` in \`main_example.cc\` (using \`kInputMean\`, \`kInputStd\`, \`kInputScale\`, \`kInputZeroPoint\`).
5. **Labels**: copy \`labels.h\` into \`source/\`. The SDK's \`output_postproc.cpp\` indexes \`labels[]\`;
   change that to \`kCategoryLabels[]\`.
6. **Optional check**: build \`main_example.cc\` instead of \`source/main.cpp\` (it calls \`BOARD_Init()\` when
   \`MCUXPRESSO_SDK\` is defined, as the SDK projects define it). It prints the arena actually used and
   \`Detected: ...\` / \`Expected: ...\`, and returns non-zero on a mismatch.

## Numbers it was generated with

- model: ${f.report.flash.modelBytes.toLocaleString('en-US')} bytes (exact), ${r.totals.params.toLocaleString('en-US')} parameters, ${r.totals.macs.toLocaleString('en-US')} MACs
- tensor arena: ${f.plannedArena.toLocaleString('en-US')} bytes planned (TFLite Micro's greedy plan, computed on this graph; peak at ${r.sram.peakOp})
  + ${f.runtimeEstimate.toLocaleString('en-US')} bytes estimated for TFLite Micro's own allocations + ${ARENA_MARGIN.toLocaleString('en-US')} bytes of margin (its versions differ) = \`kTensorArenaSize\` ${f.tensorArenaSize.toLocaleString('en-US')} (${kb(f.tensorArenaSize)}, rounded up to 1 KB)
${f.tensorArenaSize > t.sramBytes ? `- **the arena does not fit in the ${kb(t.sramBytes)} of on-chip SRAM**: place \`g_tensor_arena\` / the SDK's \`s_tensorArena\`
  in the EVK's SDRAM (the example's \`flexspi_nor_sdram\` build configuration; in MCUXpresso IDE e.g. \`__BSS(BOARD_SDRAM)\`
  from \`cr_section_macros.h\`; check your linker script). SDRAM is slower than on-chip RAM; the latency below assumes SRAM.
` : ''}- latency: ~${r.latencyMs.toFixed(1)} ms per image at ${t.mhz} MHz. **An estimate**: per-op instruction rates of TFLite Micro
  with CMSIS-NN measured on an emulated Cortex-M7, at one instruction per cycle; not a measurement on a board, so time it there.
- int8 ops (${f.ops.length}): ${f.ops.map((op) => `${op} x${f.opCounts[op]}`).join(', ')}
- input: ${f.input.size}x${f.input.size}x${f.input.channels} int8, scale ${f32(f.input.scale).toPrecision(9)}, zero point ${f.input.zeroPoint}; mean [${f.input.mean.join(', ')}], std [${f.input.std.join(', ')}]
- test image in \`main_example.cc\`: ${f.image.source}${f.image.label ? ` (true label: ${f.image.label})` : ''}; expected top-1 ${f.expected.label} (score ${(f.expected.score * 100).toFixed(1)}%), from cmv3's int8 engine with TFLite Micro's reference arithmetic
  (the eIQ build runs CMSIS-NN kernels, meant to match the reference kernels bit for bit; where one rounds differently the score moves by a quantization step and the top-1 rarely changes)
${i.provenance.map((p) => `- ${p}`).join('\n')}

Estimates: ${r.assumptions.join('; ')}.
`;
}

/** The folder's files. */
export function eiqProject(i: EiqInput): Record<string, string> {
  const f = eiqFacts(i);
  const { header, source } = modelDataSources(i.modelBytes, 'model_data');
  return {
    'model_data.h': header,
    'model_data.cc': source,
    'labels.h': labelsHeader(f.labels),
    'model_ops.h': opsHeader(f),
    'model_config.h': configHeader(f, i.target),
    'main_example.cc': exampleSource(f),
    'README.md': readme(f, i),
  };
}
