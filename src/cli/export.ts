// cmv3 export <run|checkpoint> --format tflite|c|onnx [--int8 ...] -o PATH
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labelsHeader, modelDataSources } from '../deploy/c-source.js';
import { writeOnnx } from '../deploy/onnx.js';
import { floatGraph, int8Graph } from '../deploy/pipeline.js';
import { checkTfliteRules } from '../deploy/tflite/validate.js';
import { writeTflite } from '../deploy/tflite/write.js';
import { writeAtomic } from '../io/write-file.js';
import { loadTrained } from '../train/trained.js';
import { parse, UsageError } from './args.js';
import { int8Options, QUANT_OPTIONS } from './deploy-options.js';
import { makeDir } from '../io/make-dir.js';

export const EXPORT_USAGE = `usage: cmv3 export <run|checkpoint> --format tflite|c|onnx -o PATH [--int8 [--calibration N] [--observer NAME] [--data DIR]] [--json]
  --format tflite        one .tflite file at PATH
  --format c             PATH is a folder: model_data.h, model_data.cc (the .tflite as a C array), labels.h
  --format onnx          one float32 .onnx file at PATH (opset 14, NHWC input as the .tflite)
  --int8                 full-integer int8 (calibrated on the first N training images of --data)`;

const FORMATS = ['tflite', 'c', 'onnx'] as const;

export async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { format: { type: 'string' }, out: { type: 'string', short: 'o' }, data: { type: 'string' }, json: { type: 'boolean' }, ...QUANT_OPTIONS }, EXPORT_USAGE);
  if (values.help) { console.log(EXPORT_USAGE); return; }
  if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}\n${EXPORT_USAGE}`);
  const format = values.format as string | undefined;
  if (!format || !FORMATS.includes(format as typeof FORMATS[number])) throw new UsageError(`Expected one of ${FORMATS.join(', ')} for --format but received ${JSON.stringify(format ?? null)}`);
  const out = values.out as string | undefined;
  if (!out) throw new UsageError(`Expected an output path for -o\n${EXPORT_USAGE}`);
  // Checked before anything loads: ONNX has its own int8 operators, which cmv3 does not write.
  if (format === 'onnx' && values.int8) throw new UsageError('ONNX export is float32; use --format tflite for int8');
  const q = values.int8 ? int8Options(values, positionals[0]) : null;
  const t = await loadTrained(positionals[0]);
  const g = q ? int8Graph(t, q) : floatGraph(t);
  const bytes = format === 'onnx' ? writeOnnx(g) : writeTflite(g);
  if (format !== 'onnx') {
    const problems = checkTfliteRules(bytes);
    if (problems.length) throw new Error(`the written model breaks a TFLite rule (a cmv3 bug): ${problems[0]}`);
  }
  const files: string[] = [];
  if (format === 'tflite' || format === 'onnx') {
    writeAtomic(out, Buffer.from(bytes));
    files.push(out);
  } else {
    if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`${out} is a file; --format c writes a folder`);
    makeDir(out);
    const { header, source } = modelDataSources(bytes);
    for (const [name, text] of [['model_data.h', header], ['model_data.cc', source], ['labels.h', labelsHeader(t.labels)]] as const) {
      writeAtomic(join(out, name), text);
      files.push(join(out, name));
    }
  }
  const summary = { source: t.checkpoint, format, dtype: q ? 'int8' : 'float32', bytes: bytes.length, ops: g.ops.length, files, calibration: q };
  if (values.json) console.log(JSON.stringify(summary));
  else console.log(`${files.join(', ')}: ${summary.dtype} ${format === 'onnx' ? 'ONNX' : 'TFLite'} model, ${bytes.length.toLocaleString('en-US')} bytes, ${g.ops.length} ops${q ? `, calibrated on ${q.calibration} images (${q.observer})` : ''}`);
}
