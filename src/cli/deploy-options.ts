// Options shared by the commands that quantize (eval --int8, export --int8, report, deploy).
import { OBSERVERS, type Observer } from '../deploy/calibrate.js';
import type { Int8Runtime } from '../deploy/int8/kernels.js';
import { numberOption, positiveInt, UsageError } from './args.js';
import { dataDir } from './common.js';

export const QUANT_OPTIONS = {
  int8: { type: 'boolean' },
  calibration: { type: 'string' },
  observer: { type: 'string' },
  runtime: { type: 'string' },
} as const;

const RUNTIMES: readonly Int8Runtime[] = ['reference', 'builtin', 'xnnpack'];

/** `source` is the model argument: a run folder's own data folder is the default for calibration. */
export function int8Options(values: Record<string, string | boolean | undefined>, source?: string): { data: string; calibration: number; observer: Observer } {
  const observer = (values.observer as string | undefined) ?? 'minmax';
  if (!OBSERVERS.includes(observer as Observer)) throw new UsageError(`Expected one of ${OBSERVERS.join(', ')} for --observer but received ${JSON.stringify(observer)}`);
  const calibration = numberOption(values.calibration, 'calibration', positiveInt, 'a positive integer') ?? 500;
  return { data: dataDir(values.data as string | undefined, source), calibration, observer: observer as Observer };
}

export function runtimeOption(values: Record<string, string | boolean | undefined>): Int8Runtime {
  const r = (values.runtime as string | undefined) ?? 'reference';
  if (!RUNTIMES.includes(r as Int8Runtime)) throw new UsageError(`Expected one of ${RUNTIMES.join(', ')} for --runtime but received ${JSON.stringify(r)}`);
  return r as Int8Runtime;
}
