// Model summary: per-layer rows and totals (parameters, MACs, bytes, peak activation memory).
import type { LayerInfo } from './nn/layer.js';
import { formatShape, sizeOf, type Shape } from './nn/tensor.js';
import type { Network } from './models/build.js';

export interface SummaryRow extends LayerInfo {
  /** elements of input + output of this layer for one image */
  activationElements: number;
}

/** Per-layer rows and totals: parameters (as Keras counts them), MACs, bytes, peak activations. */
export interface Summary {
  model: string;
  width: number;
  input: Shape;
  classes: number;
  params: { total: number; trainable: number; nonTrainable: number };
  macs: number;
  /** float32 as trained (all parameters and BN statistics); deployed with BN folded into the convs, float32 and int8 (int32 biases) */
  weightBytes: { float32: number; float32Folded: number; int8: number };
  peakActivationBytes: { float32: number; int8: number; layer: string };
  layers: SummaryRow[];
}

/** Deployed weight counts: BN folds into its conv, which then needs a bias if it had none. */
function deployedWeights(net: Network): { weights: number; biases: number } {
  const params = new Map(net.root.params().map((p) => [p.name, p]));
  let weights = 0, biases = 0;
  for (const p of params.values()) {
    if (!p.name.endsWith('.weight')) continue;
    const base = p.name.slice(0, -'.weight'.length);
    weights += p.data.length;
    if (params.has(`${base}.bias`) || params.has(`${base.replace(/\.conv$/, '.bn')}.gamma`)) biases += p.shape[p.shape.length - 1];
  }
  return { weights, biases };
}

/** The summary of a built network. */
export function summarize(net: Network): Summary {
  const s = net.spec;
  const input: Shape = [1, s.inputSize, s.inputSize, s.inputChannels];
  const layers = net.root.describe(input).map((r) => ({ ...r, activationElements: sizeOf(r.inShape) + sizeOf(r.outShape) }));
  const trainable = layers.reduce((a, r) => a + r.params, 0);
  const nonTrainable = layers.reduce((a, r) => a + r.nonTrainable, 0);
  const peak = layers.reduce((best, r) => (r.activationElements > best.activationElements ? r : best), layers[0]);
  const deployed = deployedWeights(net);
  return {
    model: s.name, width: s.width, input, classes: s.classes,
    params: { total: trainable + nonTrainable, trainable, nonTrainable },
    macs: layers.reduce((a, r) => a + r.macs, 0),
    weightBytes: { float32: 4 * (trainable + nonTrainable), float32Folded: 4 * (deployed.weights + deployed.biases), int8: deployed.weights + 4 * deployed.biases },
    peakActivationBytes: { float32: 4 * peak.activationElements, int8: peak.activationElements, layer: peak.name },
    layers,
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** The summary as the text table `cmv3 summary` prints. */
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
    `Weights as trained:   float32 ${kb(sum.weightBytes.float32)}`,
    `Weights deployed:     float32 ${kb(sum.weightBytes.float32Folded)}, int8 ${kb(sum.weightBytes.int8)} (BN folded, int32 biases)`,
    `Peak activations:     float32 ${kb(sum.peakActivationBytes.float32)}, int8 ${kb(sum.peakActivationBytes.int8)} (input+output of ${sum.peakActivationBytes.layer})`,
  ].join('\n');
}
