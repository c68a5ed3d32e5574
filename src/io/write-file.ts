// Output files are written whole or not at all: readers never see half a file, and a refusal
// (a missing folder, no permission, a full disk) is one line naming the fix, with no temp file left.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { fsReason } from './fs-reasons.js';

/** An output file cannot be written. */
export class WriteError extends Error {
  readonly code = 'ERR_WRITE';
}

/** Writes via a temp name and a rename. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    const why = fsReason((err as NodeJS.ErrnoException).code, path);
    throw why ? new WriteError(`cannot write ${path}: ${why}`) : err;
  }
}
