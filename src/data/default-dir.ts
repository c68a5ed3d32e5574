// Which data folder a command or library call uses when none is given.
import { existsSync } from 'node:fs';
import { readRunConfig } from '../train/run.js';

export const DEFAULT_DATA = './data/cifar-10-batches-bin';

/**
 * The given folder, else CMV3_DATA, else (when `source` is a run folder, such as a study's trial)
 * the data folder the run was trained on if it still exists, else ./data/cifar-10-batches-bin.
 */
export function dataDir(given: string | undefined, source?: string): string {
  return given ?? process.env.CMV3_DATA ?? (source === undefined ? undefined : recordedData(source)) ?? DEFAULT_DATA;
}

function recordedData(runDir: string): string | undefined {
  try {
    const { data } = readRunConfig(runDir);
    return typeof data === 'string' && existsSync(data) ? data : undefined;
  } catch {
    return undefined; // not a run folder, or a damaged one: the command reports that itself
  }
}
