// The only way a name from a URL becomes a path: a plain folder name, joined to one of the roots
// the server was given, and checked (after symlinks) to still be inside it.
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { HttpError } from './http.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

/** A child of `root` named `name`, or a 400/404; never anything outside `root`. */
export function childOf(root: string, name: string, what: string): string {
  if (!NAME.test(name) || name.includes('..')) throw new HttpError(400, `Expected a ${what} name (letters, digits, . _ -) but received ${JSON.stringify(name)}`);
  const path = join(root, name);
  if (!existsSync(path)) throw new HttpError(404, `no ${what} named ${name} in ${root}`);
  const real = realpathSync(path), rel = relative(realpathSync(root), real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new HttpError(403, `${what} ${name} points outside ${root}`);
  return real;
}
