// Accuracy and predictions as library calls. `cmv3 eval` and `cmv3 predict` are thin layers over these.
import { dataDir } from '../data/default-dir.js';
import { readDataset } from '../data/folder.js';
import { DEFAULT_MAX_PIXELS, decodeImage, readImage, type RgbImage } from '../data/image.js';
import { topClasses, type ClassScore } from '../deploy/classify.js';
import { GraphModel } from '../deploy/graph-model.js';
import type { Int8Runtime } from '../deploy/int8/kernels.js';
import { loadPredictor, type Loaded } from '../deploy/load.js';
import { lowerTrained } from '../deploy/from-model.js';
import { int8TensorErrors, type TensorError } from '../deploy/int8-error.js';
import { int8Graph, splitImages } from '../deploy/pipeline.js';
import { evaluateSetAsync, type Evaluation } from '../train/evaluate.js';
import { OptionError, oneOf, positiveInteger, progressTicker, throwIfAborted, type LongCallOptions } from './common.js';
import { calibrationOf, type Calibration, type QuantizeOptions } from './deploy.js';
import { asTrained, type TrainedModel } from './model.js';

/** The int8 arithmetic the engine can mirror: TFLite Micro, TFLite's CPU kernels, TFLite with XNNPACK. */
export const INT8_RUNTIMES: readonly Int8Runtime[] = ['reference', 'builtin', 'xnnpack'];

export interface EvaluateOptions extends LongCallOptions {
  /** the data folder (CIFAR-10 binary or train/ and test/ image folders); default: the run's own, else CMV3_DATA, else ./data/cifar-10-batches-bin */
  data?: string;
  /** evaluate only the first N test images; default all */
  limit?: number;
  /** quantize in memory first (calibrated as in `quantize`) and run the int8 engine */
  int8?: boolean | QuantizeOptions;
  /** the int8 arithmetic to mirror: 'reference' (TFLite Micro, default), 'builtin' (TFLite) or 'xnnpack' */
  runtime?: Int8Runtime;
}

/** `evaluate`'s figures with what was evaluated and on which engine. */
export interface EvaluateResult extends Evaluation {
  /** the checkpoint or .tflite evaluated */
  source: string;
  /** 'onednn', 'reference' or the int8 engine's name */
  engine: string;
  calibration: Calibration | null;
}

/** What eval and predict run on: a loaded model as it is, quantized in memory, or a path loaded as `cmv3 eval` loads it. */
async function predictorOf(model: TrainedModel | string, int8: Calibration | null, runtime: Int8Runtime, o: LongCallOptions): Promise<Loaded> {
  const onImage = progressTicker('calibrate', o);
  if (typeof model === 'string') return loadPredictor(model, { int8: int8 ? { ...int8, onImage } : undefined, runtime });
  const predictor = int8 ? new GraphModel(int8Graph(model, { ...int8, onImage }), runtime) : model.model;
  return { predictor, labels: model.labels, normalization: model.normalization, source: model.checkpoint, runDir: model.runDir };
}

/**
 * Top-1 accuracy, per-class accuracy and the confusion matrix (rows true class, columns
 * predicted) on the test split. `model`: a loaded model, a pretrained name, a run folder, a
 * checkpoint or a .tflite file. Progress: stage 'evaluate' in images (and 'calibrate' first with int8).
 */
export async function evaluate(model: TrainedModel | string, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  const runtime = oneOf(options.runtime ?? 'reference', INT8_RUNTIMES, 'runtime');
  const limit = options.limit === undefined ? Infinity : positiveInteger(options.limit, 'limit');
  const source = typeof model === 'string' ? model : model.runDir ?? undefined;
  const int8 = options.int8 ? calibrationOf({ data: options.data, ...(options.int8 === true ? {} : options.int8) }, source) : null;
  throwIfAborted(options.signal);
  const t = await predictorOf(model, int8, runtime, options);
  const set = readDataset(dataDir(options.data, source), 'test', t.predictor.spec.inputSize, limit);
  const e = await evaluateSetAsync(t.predictor, set, t.normalization, t.labels, 250, progressTicker('evaluate', options));
  return { ...e, source: t.source, engine: t.predictor.backend.name, calibration: int8 };
}

/** Options of `int8Errors`. */
export interface Int8ErrorOptions extends LongCallOptions, QuantizeOptions {
  /** compare on the first N test images; default 20 */
  images?: number;
  /** the int8 arithmetic to mirror; default 'reference' (TFLite Micro) */
  runtime?: Int8Runtime;
}

/**
 * Where the int8 model loses accuracy: each int8 activation tensor against its float32 twin on the
 * first test images (relative RMS error, its own rounding, the error its op added), in graph
 * order. Needs the float model, so a checkpoint, run or pretrained name, not a .tflite file.
 */
export async function int8Errors(model: TrainedModel | string, options: Int8ErrorOptions = {}): Promise<TensorError[]> {
  const runtime = oneOf(options.runtime ?? 'reference', INT8_RUNTIMES, 'runtime');
  const images = options.images === undefined ? 20 : positiveInteger(options.images, 'images');
  if (typeof model === 'string' && model.toLowerCase().endsWith('.tflite')) {
    throw new OptionError(`per-tensor int8 errors compare with the float model, which ${model} does not hold; give the checkpoint, run folder or pretrained name instead`);
  }
  const source = typeof model === 'string' ? model : model.runDir ?? undefined;
  const c = calibrationOf(options, source);
  throwIfAborted(options.signal);
  const t = await asTrained(model);
  const float = lowerTrained(t);
  const int8 = int8Graph(t, { ...c, onImage: progressTicker('calibrate', options) }, float);
  return int8TensorErrors(float, int8, splitImages(t, c.data, 'test', images), runtime);
}

/** An image: decoded RGB pixels, the bytes of a PNG or JPEG file, or a path to one. */
export type ImageInput = RgbImage | Uint8Array | string;

/** Options of `predict` and `predictMany`. */
export interface PredictOptions {
  /** how many classes to return, most probable first; default 3 */
  top?: number;
  /** refuse images with more pixels than this (decoding cost); default 16 million */
  maxPixels?: number;
}

function toRgb(image: ImageInput, maxPixels: number): RgbImage {
  if (typeof image === 'string') return readImage(image, maxPixels);
  if (image instanceof Uint8Array) return decodeImage(image, 'image', maxPixels);
  return image;
}

/** The most probable classes for one image of any size (resized to the model's input). */
export async function predict(model: TrainedModel | string, image: ImageInput, options: PredictOptions = {}): Promise<ClassScore[]> {
  const [r] = await predictMany(model, [image], options);
  return r;
}

/** `predict` for several images, loading the model once. */
export async function predictMany(model: TrainedModel | string, images: readonly ImageInput[], options: PredictOptions = {}): Promise<ClassScore[][]> {
  const k = options.top === undefined ? 3 : positiveInteger(options.top, 'top');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const decoded = images.map((img) => toRgb(img, maxPixels)); // a bad image fails before the model loads
  const t = await predictorOf(model, null, 'reference', {});
  return decoded.map((img) => topClasses(t.predictor, t.labels, t.normalization, img, k));
}
