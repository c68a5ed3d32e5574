// What the bench scripts' command lines share: one error format (the script's name, one line, an
// exit code, no stack trace), option parsing that uses it, and the median they report. `fail`
// needs its explicit `Fail` type where it is declared, so that TypeScript narrows after a call as
// it does for a `never` function.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Fail = (message: string) => never;

export function failer(script: string, code = 2): Fail {
  return (message) => {
    console.error(`${script}: ${message}`);
    process.exit(code);
  };
}

/** node:util's parseArgs (strict), with an unknown option or a missing value as one line and exit 2. */
export function parseOptions<T extends ParseArgsConfig>(script: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    // Node's message, up to its advice about positionals that start with '-'.
    return failer(script)(`${(err as Error).message.split('. To specify')[0]} (the options are listed at the top of the script)`);
  }
}

/** The middle value of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (!values.length) throw new RangeError('median of an empty list');
  const s = [...values].sort((a, b) => a - b), mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
