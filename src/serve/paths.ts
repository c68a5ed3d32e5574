// The only way a name from a URL becomes a path: one path segment, joined to one of the roots
// the server was given, and checked (after symlinks) to still be inside it. Files read below a
// checked folder (a checkpoint, a study file) are checked again the same way.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { HttpError } from './http.js';
import { runPaths } from '../train/run.js';

/** One path segment: no separators or NUL, not "." or "..", not hidden. */
export const isPlainName = (name: string): boolean => name.length > 0 && name.length <= 255 && !/[/\\\0]/.test(name) && !name.startsWith('.');

/** `path` (which exists) resolved through symlinks, or a 403 when that leaves `root`. */
export function insideRoot(root: string, path: string, what: string): string {
  const real = realpathSync(path), rel = relative(realpathSync(root), real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new HttpError(403, `${what} ${path} points outside ${root}`);
  return real;
}

/** A child of `root` named `name`, or a 400/404/403; never anything outside `root`. */
export function childOf(root: string, name: string, what: string): string {
  if (!isPlainName(name)) throw new HttpError(400, `Expected a ${what} name (one folder name, not hidden) but received ${JSON.stringify(name)}`);
  const path = join(root, name);
  if (!existsSync(path)) throw new HttpError(404, `no ${what} named ${name} in ${root}`);
  return insideRoot(root, path, what);
}

/** The folders under `root` a URL can name (plain names; symlinked folders included, checked when opened), sorted. */
export function plainFolders(root: string): string[] {
  let names: string[];
  try { names = readdirSync(root); } catch { return []; }
  return names.filter((n) => {
    if (!isPlainName(n)) return false;
    try { return statSync(join(root, n)).isDirectory(); } catch { return false; }
  }).sort();
}

/** A run folder's own files (config, metrics, checkpoints, plots) must resolve inside it: a link out is a 403. */
export function runFilesInside(dir: string): void {
  for (const file of Object.values(runPaths(dir))) if (existsSync(file)) insideRoot(dir, file, 'run file');
}
