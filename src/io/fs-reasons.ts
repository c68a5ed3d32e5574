// Why the file system refused, as the second half of a one-line error: what happened and the fix.
// One table for folders (makeDir) and files (writeAtomic), so the same errno reads the same way.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

const REASONS: Record<string, (path: string) => string> = {
  // The folder may exist and still refuse new files (/proc, /sys): say which case it is.
  ENOENT: (p) => (existsSync(dirname(p)) ? `folder ${dirname(p)} does not take new files (a system folder such as /proc); choose another path`
    : `folder ${dirname(p)} does not exist; create it or choose another path`),
  ENOTDIR: (p) => `${dirname(p)} is not a folder; choose another path`,
  EISDIR: () => 'it is a folder; name a file',
  EACCES: () => 'permission denied; choose a path you can write',
  EPERM: () => 'permission denied; choose a path you can write',
  EROFS: () => 'the file system is read-only; choose another path',
  ENOSPC: () => 'the disk is full; free space and run again',
  EDQUOT: () => 'the disk quota is used up; free space and run again',
};

/** The reason for errno `code` at `path`, or undefined for a code without a known fix. */
export function fsReason(code: string | undefined, path: string): string | undefined {
  return code && Object.hasOwn(REASONS, code) ? REASONS[code](path) : undefined;
}
