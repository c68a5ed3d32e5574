// The deployment path as library calls: quantize, export (TFLite, C arrays, ONNX) and the MCU
// report. `cmv3 export` and `cmv3 report` are thin layers over these.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../data/default-dir.js';
import { OBSERVERS, type Observer } from '../deploy/calibrate.js';
import { labelsHeader, modelDataSources } from '../deploy/c-source.js';
import type { Graph } from '../deploy/ir.js';
import { writeOnnx } from '../deploy/onnx.js';
import { floatGraph, int8Graph, type Int8Options } from '../deploy/pipeline.js';
import { mcuReport, TARGETS, type Report } from '../deploy/report.js';
import { loadTfliteFile } from '../deploy/tflite-file.js';
import { checkTfliteRules } from '../deploy/tflite/validate.js';
import { writeTflite } from '../deploy/tflite/write.js';
import { makeDir } from '../io/make-dir.js';
import { writeAtomic } from '../io/write-file.js';
import { oneOf, OptionError, positiveInteger, progressTicker, throwIfAborted, type LongCallOptions } from './common.js';
import { asTrained, type TrainedModel } from './model.js';

export interface QuantizeOptions extends LongCallOptions {
  /** the data folder calibration images come from (the first `calibration` training images); default: the run's own data, else CMV3_DATA, else ./data/cifar-10-batches-bin */
  data?: string;
  /** number of calibration images; default 500 */
  calibration?: number;
  /** how activation ranges are chosen: 'minmax' (default), 'percentile' or 'mse' */
  observer?: Observer;
}

/** The calibration actually used: folder, image count and observer. */
export type Calibration = Pick<Int8Options, 'data' | 'calibration' | 'observer'>;

/** Resolves quantization options to what the pipeline takes; `source` is the model's path, whose run folder may name its data. */
export function calibrationOf(o: QuantizeOptions, source?: string): Calibration {
  return {
    data: dataDir(o.data, source),
    calibration: o.calibration === undefined ? 500 : positiveInteger(o.calibration, 'calibration'),
    observer: oneOf(o.observer ?? 'minmax', OBSERVERS, 'observer'),
  };
}

/**
 * Quantizes a trained model to full-integer int8 (TFLite's scheme: per-channel weights, int8
 * activations calibrated on training images). Returns the int8 graph that `exportModel`,
 * `report` and the int8 engine take. Progress: stage 'calibrate', one unit per image run.
 * Calibration runs synchronously; `signal` is checked before it and between images.
 */
export async function quantize(model: TrainedModel | string, options: QuantizeOptions = {}): Promise<Graph> {
  const c = calibrationOf(options, typeof model === 'string' ? model : model.runDir ?? undefined);
  throwIfAborted(options.signal);
  const t = await asTrained(model);
  return int8Graph(t, { ...c, onImage: progressTicker('calibrate', options) });
}

/** The file kinds `exportModel` writes. */
export type ExportFormat = 'tflite' | 'c' | 'onnx';
/** Every `ExportFormat`, for option checks and help. */
export const EXPORT_FORMATS: readonly ExportFormat[] = ['tflite', 'c', 'onnx'];

export interface ExportOptions extends QuantizeOptions {
  format: ExportFormat;
  /** full-integer int8 (TFLite only; calibrated as in `quantize`); default float32 */
  int8?: boolean;
  /** where to write: a file for 'tflite' and 'onnx', a folder for 'c' (model_data.h, model_data.cc, labels.h); omit to only get the bytes */
  out?: string;
}

/** What `exportModel` produced: the bytes, the files written and how the model was quantized. */
export interface ExportResult {
  format: ExportFormat;
  dtype: 'int8' | 'float32';
  /** the .tflite or .onnx file's bytes (for 'c', the .tflite the C array holds) */
  bytes: Uint8Array;
  ops: number;
  /** files written (empty without `out`) */
  files: string[];
  /** the checkpoint exported */
  source: string;
  calibration: Calibration | null;
  /** for 'c': the three files' text */
  sources?: { 'model_data.h': string; 'model_data.cc': string; 'labels.h': string };
}

/** Exports a trained model as a .tflite (float32 or int8), C sources for TFLite Micro, or a float32 ONNX file. */
export async function exportModel(model: TrainedModel | string, options: ExportOptions): Promise<ExportResult> {
  const format = oneOf(options?.format, EXPORT_FORMATS, 'format');
  // Checked before anything loads: ONNX has its own int8 operators, which cmv3 does not write.
  if (format === 'onnx' && options.int8) throw new OptionError('ONNX export is float32; use format tflite for int8');
  if (options.out !== undefined && format === 'c' && existsSync(options.out) && !statSync(options.out).isDirectory()) {
    throw new OptionError(`${options.out} is a file; format c writes a folder`);
  }
  const t = await asTrained(model);
  const calibration = options.int8 ? calibrationOf(options, t.runDir ?? undefined) : null;
  const g = calibration ? await quantize(t, { ...options, ...calibration }) : floatGraph(t);
  throwIfAborted(options.signal);
  const bytes = format === 'onnx' ? writeOnnx(g) : writeTflite(g);
  if (format !== 'onnx') {
    const problems = checkTfliteRules(bytes);
    if (problems.length) throw new Error(`the written model breaks a TFLite rule (a cmv3 bug): ${problems[0]}`);
  }
  const result: ExportResult = { format, dtype: calibration ? 'int8' : 'float32', bytes, ops: g.ops.length, files: [], source: t.checkpoint, calibration };
  if (format === 'c') {
    const { header, source } = modelDataSources(bytes);
    result.sources = { 'model_data.h': header, 'model_data.cc': source, 'labels.h': labelsHeader(t.labels) };
  }
  if (options.out === undefined) return result;
  if (result.sources) {
    makeDir(options.out);
    for (const [name, text] of Object.entries(result.sources)) {
      writeAtomic(join(options.out, name), text);
      result.files.push(join(options.out, name));
    }
  } else {
    writeAtomic(options.out, bytes);
    result.files.push(options.out);
  }
  return result;
}

export interface ReportOptions extends QuantizeOptions {
  /** 'imxrt1060' (default) or 'stm32h7' */
  target?: string;
}

/**
 * The MCU report of an int8 model for TFLite Micro: per-op MACs, weights and activations, flash,
 * the planned tensor arena and an estimated latency (a cost model, not a measurement).
 * `model`: an int8 .tflite path, an int8 graph from `quantize`, or a trained model (quantized first).
 */
export async function report(model: TrainedModel | Graph | string, options: ReportOptions = {}): Promise<Report> {
  const targetName = options.target ?? 'imxrt1060';
  if (!Object.hasOwn(TARGETS, targetName)) throw new OptionError(`Expected one of ${Object.keys(TARGETS).join(', ')} for target but received ${JSON.stringify(targetName)}`);
  const file = typeof model === 'string' && model.toLowerCase().endsWith('.tflite') ? model : null;
  const g = file ? loadTfliteFile(file) : isGraph(model) ? model : await quantize(model as TrainedModel | string, options);
  if (g.tensors[g.inputs[0]].dtype !== 'int8') throw new OptionError(`${file ?? 'this model'} is a float32 model; the MCU report is for int8 models (export with int8)`);
  // A .tflite's flash size is the file's own: re-encoding a file cmv3 did not write could trip the
  // writer's rules and report "cannot write" for what the user only asked to read.
  const flashBytes = file ? statSync(file).size : writeTflite(g).length;
  return mcuReport(g, flashBytes, TARGETS[targetName]);
}

function isGraph(m: unknown): m is Graph {
  return typeof m === 'object' && m !== null && Array.isArray((m as Graph).ops) && Array.isArray((m as Graph).tensors);
}
