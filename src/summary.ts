// Model summary: per-layer rows and totals (parameters, MACs, bytes, peak activation memory).
import type { LayerInfo } from './nn/layer.js';
import { formatShape, sizeOf, type Shape } from './nn/tensor.js';
import type { Network } from './models/build.js';

export interface SummaryRow extends LayerInfo {
  /** elements of input + output of this layer for one image */
  activationElements: number;
}

export interface Summary {
  model: string;
  width: number;
  input: Shape;
  classes: number;
  params: { total: number; trainable: number; nonTrainable: number };
  macs: number;
  weightBytes: { float32: number; int8: number };
  peakActivationBytes: { float32: number; int8: number; layer: string };
  layers: SummaryRow[];
}

export function summarize(net: Network): Summary {
  const s = net.spec;
  const input: Shape = [1, s.inputSize, s.inputSize, s.inputChannels];
  const layers = net.root.describe(input).map((r) => ({ ...r, activationElements: sizeOf(r.inShape) + sizeOf(r.outShape) }));
  const trainable = layers.reduce((a, r) => a + r.params, 0);
  const nonTrainable = layers.reduce((a, r) => a + r.nonTrainable, 0);
  const peak = layers.reduce((best, r) => (r.activationElements > best.activationElements ? r : best), layers[0]);
  // int8 deployment: BN folds into the convs; conv weights 1 byte, biases int32 (4 bytes) per output channel.
  let int8 = 0;
  for (const p of net.root.params()) {
    if (p.name.endsWith('.weight')) int8 += p.data.length;
  }
  for (const r of layers) if (/conv|classifier/.test(r.kind) || r.name === 'classifier') int8 += 4 * r.outShape[3];
  for (const r of layers) if (r.kind.startsWith('se(')) int8 += 0;
  return {
    model: s.name, width: s.width, input, classes: s.classes,
    params: { total: trainable + nonTrainable, trainable, nonTrainable },
    macs: layers.reduce((a, r) => a + r.macs, 0),
    weightBytes: { float32: 4 * (trainable + nonTrainable), int8 },
    peakActivationBytes: { float32: 4 * peak.activationElements, int8: peak.activationElements, layer: peak.name },
    layers,
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function formatSummary(sum: Summary): string {
  const head = ['layer', 'kind', 'output shape', 'params', 'MACs', 'act. bytes (f32)'];
  const rows = sum.layers.map((r) => [r.name, r.kind, formatShape(r.outShape), fmt(r.params + r.nonTrainable), fmt(r.macs), fmt(4 * r.activationElements)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const kb = (b: number) => `${fmt(b)} B (${(b / 1024).toFixed(1)} KiB)`;
  return [
    `${sum.model}  width ${sum.width}  input ${formatShape(sum.input)}  classes ${sum.classes}`,
    line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '',
    `Total params:         ${fmt(sum.params.total)}`,
    `Trainable params:     ${fmt(sum.params.trainable)}`,
    `Non-trainable params: ${fmt(sum.params.nonTrainable)} (BN moving statistics)`,
    `MACs per image:       ${fmt(sum.macs)}`,
    `Weights:              float32 ${kb(sum.weightBytes.float32)}, int8 ${kb(sum.weightBytes.int8)} (BN folded, int32 biases)`,
    `Peak activations:     float32 ${kb(sum.peakActivationBytes.float32)}, int8 ${kb(sum.peakActivationBytes.int8)} (input+output of ${sum.peakActivationBytes.layer})`,
  ].join('\n');
}
