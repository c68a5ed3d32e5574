// Writing a generated folder (deploy, compile) atomically: every file into DIR.tmp-<pid>, then one
// rename, so DIR is never half written. --force replaces only a folder that holds our marker file,
// never a source tree given by mistake.
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptionError } from '../api/common.js';
import { makeDir } from './make-dir.js';

/** Fails (one line) unless `out` is absent, empty, or (with force) an earlier folder of ours. */
export function checkOut(out: string, force: boolean, marker: string | string[], what: string): void {
  const markers = typeof marker === 'string' ? [marker] : marker;
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new OptionError(`${out} is a file; ${what} writes a folder`);
  const entries = readdirSync(out);
  if (entries.length === 0) return;
  if (!force) throw new OptionError(`${out} exists and is not empty; pass --force to replace it (force: true from the library)`);
  if (!markers.some((m) => entries.includes(m))) throw new OptionError(`${out} is not a cmv3 ${what} folder (no ${markers.join(' or ')}); refusing to replace it even with --force`);
}

export function writeFolder(out: string, files: Record<string, string>, force: boolean, marker: string | string[], what: string): void {
  const tmp = `${out}.tmp-${process.pid}`, old = `${out}.old-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  makeDir(tmp);
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text);
    checkOut(out, force, marker, what); // again: DIR may have appeared meanwhile
    let moved = false;
    if (existsSync(out)) {
      if (readdirSync(out).length) { renameSync(out, old); moved = true; } else rmSync(out, { recursive: true });
    }
    try { renameSync(tmp, out); } catch (e) {
      if (moved) renameSync(old, out);
      throw e;
    }
    if (moved) rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
