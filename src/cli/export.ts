// cmv3 export <run|checkpoint> --format tflite|c|onnx [--int8 ...] -o PATH: a thin layer over exportModel().
import { exportModel, EXPORT_FORMATS, type ExportFormat } from '../api/deploy.js';
import { fetchTrialRun } from '../api/explore-storage.js';
import { dataDir } from './common.js';
import { parse, UsageError } from './args.js';
import { int8Options, QUANT_OPTIONS } from './deploy-options.js';
import { progressBar } from './progress.js';

export const EXPORT_USAGE = `usage: cmv3 export <run|checkpoint> --format tflite|c|onnx -o PATH [--int8 [--calibration N] [--observer NAME] [--data DIR]] [--json]
       cmv3 export --storage postgresql://USER@HOST:PORT/DB --study NAME --trial N --format ... (a trial of a study on PostgreSQL)
  a .tflite (float32, or full-integer int8), C sources for TFLite Micro, or a float32 ONNX file`;

export async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { format: { type: 'string' }, out: { type: 'string', short: 'o' }, data: { type: 'string' }, json: { type: 'boolean' }, storage: { type: 'string' }, study: { type: 'string' }, trial: { type: 'string' }, ...QUANT_OPTIONS }, EXPORT_USAGE);
  if (values.help) return; // parse() printed the help
  const fromStudy = values.storage !== undefined || values.study !== undefined || values.trial !== undefined;
  if (fromStudy) {
    if (positionals.length) throw new UsageError(`--storage, --study and --trial name the model; drop ${positionals[0]}\n${EXPORT_USAGE}`);
    if (values.storage === undefined || values.study === undefined || values.trial === undefined) throw new UsageError(`a trial of a study on PostgreSQL needs all of --storage, --study and --trial\n${EXPORT_USAGE}`);
    if (!/^[1-9]\d*$/.test(values.trial as string)) throw new UsageError(`Expected a trial id (a positive integer) for --trial but received ${JSON.stringify(values.trial)}`);
  } else if (positionals.length !== 1) throw new UsageError(`Expected one run folder or checkpoint but received ${positionals.length}\n${EXPORT_USAGE}`);
  const format = values.format as string | undefined;
  if (!format || !EXPORT_FORMATS.includes(format as ExportFormat)) throw new UsageError(`Expected one of ${EXPORT_FORMATS.join(', ')} for --format but received ${JSON.stringify(format ?? null)}`);
  const out = values.out as string | undefined;
  if (!out) throw new UsageError(`Expected an output path for -o\n${EXPORT_USAGE}`);
  if (format === 'onnx' && values.int8) throw new UsageError('ONNX export is float32; use --format tflite for int8');
  const source = fromStudy
    ? await fetchTrialRun(values.storage as string, values.study as string, Number(values.trial), { data: dataDir(values.data as string | undefined) })
    : positionals[0];
  const q = values.int8 ? int8Options(values, source) : null;
  const bar = progressBar();
  const r = await exportModel(source, { format: format as ExportFormat, out, int8: q !== null, ...(q ?? {}), onProgress: bar.update }).finally(bar.done);
  const summary = { source: r.source, format, dtype: r.dtype, bytes: r.bytes.length, ops: r.ops, files: r.files, calibration: r.calibration };
  if (values.json) console.log(JSON.stringify(summary));
  else console.log(`${r.files.join(', ')}: ${r.dtype} ${format === 'onnx' ? 'ONNX' : 'TFLite'} model, ${r.bytes.length.toLocaleString('en-US')} bytes, ${r.ops} ops${q ? `, calibrated on ${q.calibration} images (${q.observer})` : ''}`);
}
