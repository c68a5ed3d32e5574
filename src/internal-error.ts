// Errors cmv3 raised on purpose carry a message meant for the user; anything JavaScript or Node
// raised on its own (a TypeError from reading a malformed value, a stack overflow) is a bug in
// cmv3's checks and is reported as one, not passed off as an explanation.

const V8_RANGE = /Invalid typed array length|Invalid array length|Maximum call stack|out of bounds|Array buffer allocation failed|Invalid string length/;

/** True for an error that no cmv3 check produced (so its message would mean nothing to a user). */
export function isInternalError(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  if (err instanceof TypeError || err instanceof ReferenceError || err instanceof SyntaxError || err instanceof EvalError || err instanceof URIError) return true;
  return err instanceof RangeError && V8_RANGE.test(err.message);
}

/** What an internal error means, in general terms; each front end adds where the details are. */
export const INTERNAL_ERROR = 'cmv3 met an input it does not check yet and stopped (a bug in cmv3)';
/** The CLI's line for an internal error. */
export const INTERNAL_ERROR_LINE = `${INTERNAL_ERROR}; run again with CMV3_DEBUG=1 to see the details and report them`;
