// What every function of the public API shares: its error class, progress events and the abort
// check. The library never imports node-only types into these signatures, so a consumer's
// TypeScript needs no @types/node to read them.

/** Thrown for an option the API cannot use; `code` is stable for programs, the message is for people. */
export class OptionError extends Error {
  readonly code = 'ERR_CMV3_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'OptionError';
  }
}

/** Thrown when an `AbortSignal` stops a call; `name` is 'AbortError' as for fetch(). */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'the operation was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

/** A long step's progress: `done` of `total` units (images, batches or epochs), with an estimate of the time left. */
export interface Progress {
  /** what is running: 'calibrate', 'evaluate', 'train', 'epoch' */
  stage: string;
  done: number;
  total: number;
  /** seconds left at the rate so far; undefined until there is a rate */
  etaSeconds?: number;
}

/** Receives a long call's progress events. */
export type ProgressCallback = (p: Progress) => void;

/**
 * The part of an AbortSignal cmv3 reads (a DOM or Node `AbortSignal` fits): `aborted` is checked
 * between steps (batches, images, training steps), so an abort takes effect at the next step.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

/** Options every long call takes. */
export interface LongCallOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignalLike;
}

export function throwIfAborted(signal: AbortSignalLike | undefined): void {
  if (!signal?.aborted) return;
  const r = signal.reason;
  throw r instanceof Error ? r : new AbortError(typeof r === 'string' ? r : undefined);
}

/** A progress reporter for one stage: adds the ETA from the elapsed time, checks the signal on every tick. */
export function progressTicker(stage: string, o: LongCallOptions): (done: number, total: number) => void {
  const t0 = performance.now();
  return (done, total) => {
    throwIfAborted(o.signal);
    if (!o.onProgress) return;
    const elapsed = (performance.now() - t0) / 1000;
    o.onProgress({ stage, done, total, etaSeconds: done > 0 && done < total ? (elapsed / done) * (total - done) : done >= total ? 0 : undefined });
  };
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new OptionError(`Expected one of ${allowed.join(', ')} for ${name} but received ${JSON.stringify(value ?? null)}`);
  }
  return value as T;
}

export function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new OptionError(`Expected a positive integer for ${name} but received ${JSON.stringify(value ?? null)}`);
  }
  return value;
}
