// Argument parsing for the CLI: node:util parseArgs (strict) plus small typed readers.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: Options, usage: string): Parsed {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs messages are long and multi-line; keep the first sentence and say where help is.
    let msg = (err as Error).message.split('\n')[0].replace(/\. To specify a positional.*$/, '');
    const ambiguous = /Option '(--[\w-]+)' argument is ambiguous/.exec(msg);
    if (ambiguous) msg = `value for ${ambiguous[1]} starts with '-'; write it as ${ambiguous[1]}=VALUE`;
    throw new UsageError(`${msg}\n${usage}`);
  }
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
