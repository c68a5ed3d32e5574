// What a candidate costs on the MCU, known before any training: the network is built with its
// initial weights, lowered, quantized on two synthetic images and written as the int8 .tflite a
// trained one would be (sizes and shapes do not depend on the weights' values), then reported.
import { getBackend } from '../backend/select.js';
import { CIFAR_LABELS, CIFAR_MEAN, CIFAR_STD } from '../data/cifar.js';
import { calibrate } from '../deploy/calibrate.js';
import { lowerTrained } from '../deploy/from-model.js';
import { legalizeFloat } from '../deploy/legalize.js';
import { quantizeGraph } from '../deploy/quantize.js';
import { mcuReport, type Target } from '../deploy/report.js';
import { writeTflite } from '../deploy/tflite/write.js';
import { Model } from '../model.js';
import { buildNetwork } from '../models/build.js';
import type { NetworkSpec } from '../models/spec.js';
import { Rng } from '../nn/random.js';
import type { Graph } from '../deploy/ir.js';
import type { Trained } from '../train/trained.js';
import { summarize } from '../summary.js';

export interface StaticCost {
  /** as Keras counts them (BN statistics included), the paper's convention */
  params: number;
  macs: number;
  /** bytes of the int8 and float32 .tflite files */
  int8Bytes: number;
  float32Bytes: number;
  /** TFLite Micro-style planned arena of the int8 model */
  arenaBytes: number;
  /** estimated on the study's target from the cost model of cmv3 report */
  latencyMs: number;
  target: string;
}

/**
 * The int8 graph of a trained (or freshly initialised) model, calibrated on two synthetic images:
 * its sizes, shapes, arena and op costs are those of the real export; only its ranges are not.
 */
export function structuralInt8Graph(t: Trained): Graph {
  const s = t.model.spec, per = s.inputSize * s.inputSize * s.inputChannels, rng = new Rng(7);
  const images = [0, 1].map(() => Float32Array.from({ length: per }, () => rng.normal()));
  const g = lowerTrained(t);
  return quantizeGraph(g, calibrate(g, images, 'minmax'));
}

export async function staticCost(spec: NetworkSpec, target: Target): Promise<StaticCost> {
  const backend = await getBackend('reference');
  const net = buildNetwork(spec, { backend }, 1);
  const labels = spec.classes === 10 ? CIFAR_LABELS : Array.from({ length: spec.classes }, (_, i) => `class ${i}`);
  const trained = { model: new Model(net, backend), normalization: { mean: CIFAR_MEAN, std: CIFAR_STD }, labels, checkpoint: '', runDir: null };
  const q = structuralInt8Graph(trained);
  const int8 = writeTflite(q);
  const float32Bytes = writeTflite(legalizeFloat(lowerTrained(trained))).length;
  const rep = mcuReport(q, int8.length, target);
  return {
    params: summarize(net).params.total, macs: rep.totals.macs, int8Bytes: int8.length, float32Bytes,
    arenaBytes: rep.sram.arenaBytes, latencyMs: rep.latencyMs, target: target.name,
  };
}

/** Hard limits a user sets; a candidate over any of them is rejected before training. */
export interface Constraints {
  maxFlashBytes?: number;
  maxSramBytes?: number;
  maxLatencyMs?: number;
  maxParams?: number;
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

/** Each limit: the cost it bounds, how that cost reads, and how the limit reads. */
export const LIMITS: { limit: keyof Constraints; cost: 'int8Bytes' | 'arenaBytes' | 'latencyMs' | 'params'; what: (v: number) => string; bound: (v: number) => string }[] = [
  { limit: 'maxFlashBytes', cost: 'int8Bytes', what: (v) => `int8 model ${kb(v)}`, bound: (v) => `--max-flash ${kb(v)}` },
  { limit: 'maxSramBytes', cost: 'arenaBytes', what: (v) => `arena ${kb(v)}`, bound: (v) => `--max-arena ${kb(v)}` },
  { limit: 'maxLatencyMs', cost: 'latencyMs', what: (v) => `est. latency ${v.toFixed(1)} ms`, bound: (v) => `--max-latency ${v} ms` },
  { limit: 'maxParams', cost: 'params', what: (v) => `${v} parameters`, bound: (v) => `--max-params ${v}` },
];

/** The reasons a candidate breaks the constraints (empty when it fits). */
export function violations(c: StaticCost, k: Constraints): string[] {
  return LIMITS.filter((l) => k[l.limit] !== undefined && c[l.cost] > k[l.limit]!).map((l) => `${l.what(c[l.cost])} > ${l.bound(k[l.limit]!)}`);
}
