// What eval and predict run: a trained model as trained (float, the training engine), the same
// model quantized to int8 in memory, or an exported .tflite file (float or int8).
import type { Normalization } from '../data/augment.js';
import { loadTrained } from '../train/trained.js';
import { GraphModel, graphInfo, type Predictor } from './graph-model.js';
import { loadTfliteFile } from './tflite-file.js';
import type { Int8Runtime } from './int8/kernels.js';
import { int8Graph, type Int8Options } from './pipeline.js';

export interface LoadOptions {
  int8?: Int8Options;
  runtime?: Int8Runtime;
}

export interface Loaded {
  predictor: Predictor;
  labels: string[];
  normalization: Normalization;
  /** the file evaluated: checkpoint or .tflite */
  source: string;
  runDir: string | null;
}

export async function loadPredictor(arg: string, o: LoadOptions = {}): Promise<Loaded> {
  if (arg.toLowerCase().endsWith('.tflite')) {
    const g = loadTfliteFile(arg), info = graphInfo(g);
    return { predictor: new GraphModel(g, o.runtime), labels: info.labels, normalization: info.normalization, source: arg, runDir: null };
  }
  const t = await loadTrained(arg);
  const predictor = o.int8 ? new GraphModel(int8Graph(t, o.int8), o.runtime) : t.model;
  return { predictor, labels: t.labels, normalization: t.normalization, source: t.checkpoint, runDir: t.runDir };
}
