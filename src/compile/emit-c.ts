// The program and its arena plan as C99: cmv3_model.h (the API and the model's constants) and
// cmv3_model.c (weights and layer parameters as const data, which a linker keeps in flash; the
// static arena; cmv3_invoke calling the kernels of mcu/ in order). Pure: text out.
import { f32 } from '../deploy/int8/fixedpoint.js';
import type { Graph } from '../deploy/ir.js';
import type { ArenaPlan } from './arena.js';
import { blockedWeights, fastTable, isBlocked, padToPairs, pairWeights } from './layout.js';
import type { ConvLayerParams, Layer, Program } from './program.js';

export interface ModelFacts {
  labels: string[];
  mean: number[];
  std: number[];
}

const cFloat = (x: number) => { const s = f32(x).toPrecision(9); return `${s.includes('.') || s.includes('e') ? s : `${s}.0`}f`; };
const cString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const comment = (s: string) => s.replace(/\*\//g, '* /');

/** A const array, 16 values per line. */
function cArray(type: string, name: string, values: ArrayLike<number>, align = false): string {
  const rows: string[] = [];
  for (let i = 0; i < values.length; i += 16) rows.push('  ' + Array.from({ length: Math.min(16, values.length - i) }, (_, j) => String(values[i + j])).join(', ') + ',');
  return `static const ${type} ${name}[${values.length}]${align ? ' CMV3_ALIGN16' : ''} = {\n${rows.join('\n')}\n};\n`;
}

/** bias - in_zp * sum(w) per output channel: a CONV_2D then multiplies raw inputs (padding reads in_zp). */
export function foldedBias(c: ConvLayerParams): Int32Array {
  const { inC, outC, kH, kW } = c.pp.g, n = kH * kW * inC, zp = c.pp.inputZp, out = new Int32Array(outC);
  for (let o = 0; o < outC; o++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += c.weights[o * n + i];
    out[o] = (c.bias[o] - zp * sum) | 0; // wraps like the C int32 sums it stands for
  }
  return out;
}

/** Where a layer's data definitions go; 256-entry tables are written once and shared. */
interface Sink {
  out: string[];
  tables: Map<string, string>;
}

function sharedTable(sink: Sink, name: string, values: Int8Array): string {
  const key = values.join(',');
  const have = sink.tables.get(key);
  if (have) return have;
  sink.out.push(cArray('int8_t', name, values));
  sink.tables.set(key, name);
  return name;
}

/** A convolution's constants and struct. blocked: a depthwise run by the blocked kernel (fused pairs). */
function convStruct(name: string, c: ConvLayerParams, sink: Sink, blocked: boolean): string {
  const g = c.pp.g, out = sink.out, pairs = !c.depthwise;
  const wx = c.depthwise && blocked && isBlocked(c);
  if (wx) out.push(cArray('int16_t', `${name}_wx`, blockedWeights(c), true));
  else out.push(cArray('int8_t', `${name}_w`, pairs ? pairWeights(c) : c.weights, true));
  const pad = <T extends Int32Array | Int8Array>(a: T, fill: number): T => (pairs ? padToPairs(a, fill) : a);
  out.push(cArray('int32_t', `${name}_bias`, pad(c.depthwise ? c.bias : foldedBias(c), 0)));
  out.push(cArray('int32_t', `${name}_mult`, pad(c.pp.mult, 0)));
  out.push(cArray('int8_t', `${name}_shift`, pad(Int8Array.from(c.pp.shift), -1)));
  // with the fast requantization the table holds the activation; the general path's lut is unused
  const fast = fastTable(c), tab = fast ? sharedTable(sink, `${name}_tab`, fast) : '0', lut = c.lut && !fast;
  if (lut) out.push(cArray('int8_t', `${name}_lut`, c.lut!));
  out.push(`static const cmv3_conv_t ${name} = {
  .in_h = ${g.inH}, .in_w = ${g.inW}, .in_c = ${g.inC}, .out_h = ${g.outH}, .out_w = ${g.outW}, .out_c = ${g.outC},
  .k_h = ${g.kH}, .k_w = ${g.kW}, .stride = ${g.stride}, .pad_t = ${g.padT}, .pad_l = ${g.padL}, .ch_mult = ${g.multiplier}, .planar = ${c.planar ? 1 : 0},
  .in_zp = ${c.pp.inputZp}, .out_zp = ${c.pp.outputZp}, .act_min = ${c.pp.actMin}, .act_max = ${c.pp.actMax},
  .w = ${wx ? '0' : `${name}_w`}, .wx = ${wx ? `${name}_wx` : '0'}, .bias = ${name}_bias, .mult = ${name}_mult, .shift = ${name}_shift,
  .lut = ${lut ? `${name}_lut` : '0'}, .tab = ${tab},
};\n`);
  return name;
}

/** One layer's data definitions (into `out`) and its call. */
function layerCode(l: Layer, i: number, plan: ArenaPlan, p: Program, sink: Sink): string {
  const out = sink.out;
  const at = (v: number) => (v === p.input ? 'input' : `a + ${plan.offset.get(v)}`);
  const mem = plan.layers[i], scratch = `a + ${mem.scratchOffset}`, L = `L${i}`;
  switch (l.kind) {
    case 'conv': {
      convStruct(L, l.conv, sink, false);
      const g = l.conv.pp.g;
      if (l.conv.pointwise) return `cmv3_pointwise(&${L}, ${at(l.x)}, ${at(l.y)}, ${g.outH * g.outW}, ${scratch});`;
      if (l.conv.depthwise) return `cmv3_depthwise(&${L}, ${at(l.x)}, ${at(l.y)}, ${mem.scratch ? scratch : '0'}, ${mem.delay ?? 0});`;
      return `cmv3_conv(&${L}, ${at(l.x)}, ${at(l.y)}, ${scratch});`;
    }
    case 'dwpw':
      convStruct(`${L}_dw`, l.dw, sink, true);
      convStruct(`${L}_pw`, l.pw, sink, false);
      return `cmv3_dw_pointwise(&${L}_dw, &${L}_pw, ${at(l.x)}, ${at(l.y)}, ${scratch});`;
    case 'pwdw':
      convStruct(`${L}_pw`, l.pw, sink, false);
      convStruct(`${L}_dw`, l.dw, sink, true);
      return `cmv3_pointwise_dw(&${L}_pw, &${L}_dw, ${at(l.x)}, ${at(l.y)}, ${scratch});`;
    case 'avgpool': {
      const q = l.pp;
      out.push(`static const cmv3_avgpool_t ${L} = { .in_h = ${q.inH}, .in_w = ${q.inW}, .channels = ${q.channels}, .out_h = ${q.outH}, .out_w = ${q.outW}, .filter = ${q.filter}, .stride = ${q.stride}, .pad_t = ${q.padT}, .pad_l = ${q.padL}, .act_min = ${q.actMin}, .act_max = ${q.actMax} };\n`);
      return `cmv3_avgpool(&${L}, ${at(l.x)}, ${at(l.y)});`;
    }
    case 'mul': {
      const q = l.pp;
      out.push(`static const cmv3_mul_t ${L} = { .pixels = ${l.pixels}, .channels = ${l.channels}, .x_zp = ${q.za}, .g_zp = ${q.zb}, .out_zp = ${q.zo}, .act_min = ${q.actMin}, .act_max = ${q.actMax}, .shift = ${q.shift}, .mult = ${q.mult} };\n`);
      return `cmv3_mul(&${L}, ${at(l.x)}, ${at(l.g)}, ${at(l.y)});`;
    }
    case 'add': {
      const q = l.pp;
      out.push(`static const cmv3_add_t ${L} = { .n = ${p.bytes.get(l.y)}, .a_zp = ${q.za}, .b_zp = ${q.zb}, .out_zp = ${q.zo}, .act_min = ${q.actMin}, .act_max = ${q.actMax}, .a_shift = ${q.s1}, .b_shift = ${q.s2}, .out_shift = ${q.so}, .a_mult = ${q.m1}, .b_mult = ${q.m2}, .out_mult = ${q.mo} };\n`);
      return `cmv3_add(&${L}, ${at(l.a)}, ${at(l.b)}, ${at(l.y)}, ${scratch});`;
    }
    case 'lut':
      out.push(cArray('int8_t', `${L}_lut`, l.table));
      return `cmv3_lut(${L}_lut, ${at(l.x)}, ${at(l.y)}, ${p.bytes.get(l.y)});`;
    case 'softmax':
      out.push(`static const cmv3_softmax_t ${L} = { .rows = ${l.rows}, .depth = ${l.depth}, .multiplier = ${l.pm.multiplier}, .left_shift = ${l.pm.leftShift}, .diff_min = ${l.pm.diffMin} };\n`);
      return `cmv3_softmax(&${L}, ${at(l.x)}, ${at(l.y)});`;
  }
}

export function modelHeader(p: Program, plan: ArenaPlan, facts: ModelFacts): string {
  const g = p.graph, inT = g.tensors[p.input], outT = g.tensors[p.output], s = inT.shape;
  return `/* Generated by cmv3 compile: ${comment(modelName(g))}, int8, no interpreter.
 * cmv3_invoke runs the network on one image; the arena is static (CMV3_ARENA_SIZE bytes, .bss),
 * weights are const (flash). Bit-exact with cmv3's int8 engine (TFLite Micro's arithmetic). */
#ifndef CMV3_MODEL_H_
#define CMV3_MODEL_H_

#include <stdint.h>

#define CMV3_INPUT_HEIGHT ${s[1]}
#define CMV3_INPUT_WIDTH ${s[2]}
#define CMV3_INPUT_CHANNELS ${s[3]}
#define CMV3_INPUT_SIZE ${s[1] * s[2] * s[3]}
#define CMV3_INPUT_SCALE ${cFloat(inT.quant!.scale[0])}
#define CMV3_INPUT_ZERO_POINT (${inT.quant!.zeroPoint[0]})
#define CMV3_OUTPUT_SIZE ${outT.shape.at(-1)}
#define CMV3_OUTPUT_SCALE ${cFloat(outT.quant!.scale[0])}
#define CMV3_OUTPUT_ZERO_POINT (${outT.quant!.zeroPoint[0]})
#define CMV3_ARENA_SIZE ${plan.bytes}
#define CMV3_LAYER_COUNT ${p.layers.length}

#ifdef __cplusplus
extern "C" {
#endif

/* class names in output order */
extern const char *const cmv3_labels[CMV3_OUTPUT_SIZE];
/* what each layer runs (for profiles: CMV3_PROFILE calls cmv3_profile_mark(i) before layer i) */
extern const char *const cmv3_layer_names[CMV3_LAYER_COUNT];

/* One image: input (H, W, C) int8 as CMV3_INPUT_SCALE / ZERO_POINT say, output int8 scores.
 * Not reentrant (one static arena). */
void cmv3_invoke(const int8_t *input, int8_t *output);

/* 8-bit pixels (H, W, C) -> the int8 input: (p / 255 - mean) / std, quantized, in float32 as
 * cmv3's exporters compute it. */
void cmv3_preprocess(const uint8_t *pixels, int8_t *input);

#ifdef __cplusplus
}
#endif

#endif /* CMV3_MODEL_H_ */
`;
}

function modelName(g: Graph): string {
  try { return (JSON.parse(g.description) as { model?: string }).model ?? 'model'; } catch { return 'model'; }
}

export function modelSource(p: Program, plan: ArenaPlan, facts: ModelFacts): string {
  const data: string[] = [], calls: string[] = [], sink: Sink = { out: data, tables: new Map() };
  p.layers.forEach((l, i) => calls.push(`  CMV3_MARK(${i}); ${layerCode(l, i, plan, p, sink)} /* ${comment(l.name)} */`));
  const outBytes = p.bytes.get(p.output)!, C = facts.mean.length;
  return `/* Generated by cmv3 compile: ${comment(modelName(p.graph))}. ${p.layers.length} layers, arena ${plan.bytes} bytes. */
#include <math.h>
#include <string.h>
#include "cmv3_model.h"
#include "cmv3_kernels.h"

#if defined(__GNUC__)
#define CMV3_ALIGN16 __attribute__((aligned(16)))
#else
#define CMV3_ALIGN16
#endif
/* e.g. -DCMV3_ARENA_ATTR='__attribute__((section(".dtcm")))' to place the arena */
#ifndef CMV3_ARENA_ATTR
#define CMV3_ARENA_ATTR
#endif
#ifdef CMV3_PROFILE
void cmv3_profile_mark(int layer);
#define CMV3_MARK(i) cmv3_profile_mark(i)
#else
#define CMV3_MARK(i) ((void)0)
#endif

const char *const cmv3_labels[CMV3_OUTPUT_SIZE] = { ${facts.labels.map(cString).join(', ')} };
const char *const cmv3_layer_names[CMV3_LAYER_COUNT] = {
${p.layers.map((l) => `  ${cString(`${l.kind} ${l.name}`)},`).join('\n')}
};

static int8_t cmv3_arena[CMV3_ARENA_SIZE] CMV3_ALIGN16 CMV3_ARENA_ATTR;

${data.join('\n')}
void cmv3_invoke(const int8_t *input, int8_t *output) {
  int8_t *const a = cmv3_arena;
${calls.join('\n')}
  CMV3_MARK(${p.layers.length});
  memcpy(output, a + ${plan.offset.get(p.output)}, ${outBytes});
}

void cmv3_preprocess(const uint8_t *pixels, int8_t *input) {
  static const float mean[${C}] = { ${facts.mean.map(cFloat).join(', ')} };
  static const float stdev[${C}] = { ${facts.std.map(cFloat).join(', ')} };
  for (int i = 0; i < CMV3_INPUT_SIZE; i++) {
    const int c = i % ${C};
    const float x = ((float)pixels[i] / 255.0f - mean[c]) / stdev[c];
    const long q = lroundf(x / CMV3_INPUT_SCALE) + CMV3_INPUT_ZERO_POINT;
    input[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
  }
}
`;
}
