// mkdir -p without Node's mkdirSync({ recursive: true }), which spins forever at 100% CPU when a
// parent exists but cannot hold children: a dangling symlink, a path under /proc, a stale mount
// (procfs answers ENOENT, which the recursive walk reads as "parent missing" and retries; Node 18-22).
// Here each missing folder is made once, top down, and a refusal is one error naming the fix.
import { mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsReason } from './fs-reasons.js';

export class MakeDirError extends Error {
  readonly code = 'ERR_MKDIR';
}

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new MakeDirError(`cannot look at ${p} (${code})`);
  }
}

/** Makes `path` and any missing parents; an existing folder is fine. */
export function makeDir(path: string): void {
  const missing: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    const st = statOrNull(p);
    if (st) {
      if (!st.isDirectory()) throw new MakeDirError(`cannot create folder ${path}: ${p} is a file, not a folder; choose another path`);
      break;
    }
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST' && statOrNull(d)?.isDirectory()) continue; // made meanwhile by another process
      // The parents exist by now, so ENOENT/ENOTDIR here is not "no such folder" (procfs says ENOENT),
      // and the file table's EISDIR advice ("name a file") is not for a folder.
      const known = ['ENOENT', 'ENOTDIR', 'EISDIR'].includes(code) ? undefined : fsReason(code, d);
      const why = known ?? (code === 'EEXIST'
        ? `${d} exists but is not a folder (a link to nowhere?); choose another path`
        : `the file system refused to make ${d} (${code}); choose another path`);
      throw new MakeDirError(`cannot create folder ${path}: ${why}`);
    }
  }
}
