// Argument parsing for the CLI: node:util parseArgs (strict) plus small typed readers.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { nearest } from '../suggest.js';
import { optionHelp } from './option-help.js';

export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

/** A CLI option: parseArgs's settings, or an old spelling kept as an alias of `renamed` for one release. */
export type CliOption =
  | { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
  | { type: 'string' | 'boolean'; renamed: string };
type Options = Record<string, CliOption>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** The generated options list of `cmv3 COMMAND --help`: every option, its value, text and default. */
export function optionsHelp(command: string, options: Options): string {
  const rows: [string, string][] = [];
  for (const [name, o] of [...Object.entries(options), ['help', { type: 'boolean', short: 'h' }] as [string, CliOption]]) {
    if ('renamed' in o) continue;
    const h = optionHelp(command, name);
    const flag = `${'short' in o && o.short ? `-${o.short}, ` : ''}--${name}${h?.value ? ` ${h.value}` : ''}${'multiple' in o && o.multiple ? ' (repeatable)' : ''}`;
    rows.push([flag, `${h?.text ?? ''}${h?.default ? ` (default: ${h.default})` : ''}`]);
  }
  const renamed = Object.entries(options).filter(([, o]) => 'renamed' in o).map(([n, o]) => `--${n} (now --${(o as { renamed: string }).renamed})`);
  const w = Math.min(28, Math.max(...rows.map(([f]) => f.length)) + 2);
  return ['options:', ...rows.map(([f, t]) => `  ${f.padEnd(w)}${f.length >= w ? `\n  ${' '.repeat(w)}` : ''}${t}`),
    ...(renamed.length ? [`old spellings still accepted in this release: ${renamed.join(', ')}`] : [])].join('\n');
}

/**
 * parseArgs (strict) with cmv3's conventions: `--help` prints the usage and every option with its
 * default (the caller then returns on values.help); an unknown option gets the nearest known one
 * suggested; an old spelling is read as its new name with a note on stderr.
 */
export function parse(argv: string[], options: Options, usage: string, command = commandOf(usage)): Parsed {
  const config: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(options)) config[name] = 'renamed' in o ? { type: o.type } : { ...o };
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true }) as Parsed;
  } catch (err) {
    // parseArgs messages are long and multi-line; keep the first sentence and say where help is.
    let msg = (err as Error).message.split('\n')[0].replace(/\. To specify a positional.*$/, '');
    const ambiguous = /Option '(--[\w-]+)' argument is ambiguous/.exec(msg);
    if (ambiguous) msg = `value for ${ambiguous[1]} starts with '-'; write it as ${ambiguous[1]}=VALUE`;
    const unknown = /^Unknown option '(-{1,2})([^']*)'/.exec(msg);
    if (unknown) {
      const near = unknown[1] === '--' ? nearest(unknown[2].split('=')[0], Object.keys(config)) : undefined;
      msg = `unknown option ${unknown[1]}${unknown[2]}${near ? `; did you mean --${near}?` : ''} (cmv3 ${command} --help lists them)`;
      throw new UsageError(msg);
    }
    throw new UsageError(`${msg}\n${usage}`);
  }
  for (const [name, o] of Object.entries(options)) {
    if (!('renamed' in o) || parsed.values[name] === undefined) continue;
    if (parsed.values[o.renamed] !== undefined) throw new UsageError(`--${name} is the old name of --${o.renamed}; give only --${o.renamed}`);
    parsed.values[o.renamed] = parsed.values[name];
    delete parsed.values[name];
    process.stderr.write(`cmv3: --${name} is now --${o.renamed}; the old name still works in this release\n`);
  }
  if (parsed.values.help) console.log(`${usage}\n${optionsHelp(command, options)}`);
  return parsed;
}

/** "usage: cmv3 explore show ..." -> "explore show" (the key of its help lines). */
function commandOf(usage: string): string {
  const words = /^usage: cmv3 ([a-z]+)(?: ([a-z]+))?/.exec(usage);
  if (!words) return '';
  return words[2] && ['show', 'candidate'].includes(words[2]) ? `${words[1]} ${words[2]}` : words[1];
}

export function numberOption(value: string | boolean | undefined, name: string, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || !check(n)) {
    throw new UsageError(`Expected ${what} for --${name} but received ${JSON.stringify(value)}`);
  }
  return n;
}

export const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
export const positive = (n: number) => n > 0;

/** --max-megapixels M as pixels (predict and serve share the option and its default). */
export function maxPixelsOption(v: string | boolean | undefined, defaultPixels: number): number {
  return 1e6 * (numberOption(v, 'max-megapixels', (n) => n > 0 && n <= 1000, 'a number of megapixels from 0 to 1000') ?? defaultPixels / 1e6);
}
