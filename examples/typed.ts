// Type-checks the public API from a consumer's side (compiled by the package check as ESM and as
// CommonJS, with no @types/node): typed options, results and callbacks.
import { CIFAR10_CLASSES, evaluate, exportModel, loadModel, type ExportResult, type Progress, type TrainOptions } from 'cmv3';

export async function deploy(name: string): Promise<ExportResult> {
  const model = await loadModel(name);
  const seen: Progress[] = [];
  const e = await evaluate(model, { limit: 100, onProgress: (p) => seen.push(p) });
  const label: string = CIFAR10_CLASSES[e.perClass.findIndex((c) => c.accuracy === Math.max(...e.perClass.map((k) => k.accuracy)))];
  const options: TrainOptions = { model: 'cmv3', width: 0.5, epochs: 1, earlyStopping: { patience: 3 } };
  void options;
  void label;
  return exportModel(model, { format: 'tflite', int8: true, observer: 'percentile' });
}
