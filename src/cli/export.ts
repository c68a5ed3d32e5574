// cmv3 export <run|checkpoint> --format tflite|c|onnx [--int8 ...] -o PATH: a thin layer over exportModel().
import { exportModel, EXPORT_FORMATS, type ExportFormat } from '../api/deploy.js';
import { parse, UsageError } from './args.js';
import { int8Options, QUANT_OPTIONS } from './deploy-options.js';
import { progressBar } from './progress.js';

export const EXPORT_USAGE = `usage: cmv3 export <run|checkpoint> --format tflite|c|onnx -o PATH [--int8 [--calibration N] [--observer NAME] [--data DIR]] [--json]
  a .tflite (float32, or full-integer int8), C sources for TFLite Micro, or a float32 ONNX file`;

export async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { format: { type: 'string' }, out: { type: 'string', short: 'o' }, data: { type: 'string' }, json: { type: 'boolean' }, ...QUANT_OPTIONS }, EXPORT_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}\n${EXPORT_USAGE}`);
  const format = values.format as string | undefined;
  if (!format || !EXPORT_FORMATS.includes(format as ExportFormat)) throw new UsageError(`Expected one of ${EXPORT_FORMATS.join(', ')} for --format but received ${JSON.stringify(format ?? null)}`);
  const out = values.out as string | undefined;
  if (!out) throw new UsageError(`Expected an output path for -o\n${EXPORT_USAGE}`);
  if (format === 'onnx' && values.int8) throw new UsageError('ONNX export is float32; use --format tflite for int8');
  const q = values.int8 ? int8Options(values, positionals[0]) : null;
  const bar = progressBar();
  const r = await exportModel(positionals[0], { format: format as ExportFormat, out, int8: q !== null, ...(q ?? {}), onProgress: bar.update }).finally(bar.done);
  const summary = { source: r.source, format, dtype: r.dtype, bytes: r.bytes.length, ops: r.ops, files: r.files, calibration: r.calibration };
  if (values.json) console.log(JSON.stringify(summary));
  else console.log(`${r.files.join(', ')}: ${r.dtype} ${format === 'onnx' ? 'ONNX' : 'TFLite'} model, ${r.bytes.length.toLocaleString('en-US')} bytes, ${r.ops} ops${q ? `, calibrated on ${q.calibration} images (${q.observer})` : ''}`);
}
