// Small things several commands share.
import { existsSync } from 'node:fs';
import { readRunConfig } from '../train/run.js';

export const DEFAULT_DATA = './data/cifar-10-batches-bin';

/**
 * Ctrl-C as the long-running commands take it: the first asks for a clean stop (`signal.stop`, the
 * work saves its progress), the second quits at once (exit 130). `dispose` removes the handler.
 */
export function stopOnSigint(message: string): { signal: { stop: boolean }; dispose: () => void } {
  const signal = { stop: false };
  const onSigint = () => {
    if (signal.stop) process.exit(130);
    signal.stop = true;
    process.stderr.write(`\ncmv3: ${message}\n`);
  };
  process.on('SIGINT', onSigint);
  return { signal, dispose: () => process.off('SIGINT', onSigint) };
}

/**
 * --data, else CMV3_DATA, else (when `source` is a run folder, such as a study's trial) the data
 * folder the run was trained on if it still exists, else ./data/cifar-10-batches-bin.
 */
export function dataDir(flag: string | undefined, source?: string): string {
  return flag ?? process.env.CMV3_DATA ?? (source === undefined ? undefined : recordedData(source)) ?? DEFAULT_DATA;
}

function recordedData(runDir: string): string | undefined {
  try {
    const { data } = readRunConfig(runDir);
    return typeof data === 'string' && existsSync(data) ? data : undefined;
  } catch {
    return undefined; // not a run folder, or a damaged one: the command reports that itself
  }
}
