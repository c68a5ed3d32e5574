// What the bench scripts' command lines share: one error format (the script's name, one line, an
// exit code, no stack trace) and the median they report. `fail` needs its explicit `Fail` type
// where it is declared, so that TypeScript narrows after a call as it does for a `never` function.
export type Fail = (message: string) => never;

export function failer(script: string, code = 2): Fail {
  return (message) => {
    console.error(`${script}: ${message}`);
    process.exit(code);
  };
}

/** The middle value of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (!values.length) throw new RangeError('median of an empty list');
  const s = [...values].sort((a, b) => a - b), mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
