// A tiny network spec that exercises every layer kind: stem, bneck with SE and residual,
// DPD with a channel multiplier and a stride, head conv with SE, pool, dense head, classifier.
import { CMV3 } from '../src/models/builtin.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkSpec } from '../src/models/spec.js';

export function tinySpec(o: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    ...structuredClone(CMV3),
    name: 'tiny', inputSize: 8, width: 1, classes: 4, divisor: 4, dropout: 0,
    stem: { ...CMV3.stem, out: 8 },
    blocks: [
      { type: 'bneck', kernel: 3, exp: 16, out: 8, se: true, act: 'hswish', stride: 1 },
      { type: 'dpd', kernel: 3, exp: 16, out: 12, se: false, act: 'mish', stride: 2 },
      { type: 'dpd', kernel: 5, exp: 24, out: 12, se: false, act: 'relu6', stride: 1 },
    ],
    headBeforePool: [{ ...CMV3.headBeforePool[0], out: 16 }],
    headAfterPool: [{ ...CMV3.headAfterPool[0], out: 24 }],
    ...o,
  };
}

/** tinySpec() at CIFAR-10's input and classes, written to DIR/tiny.json for the CLI; returns the path. */
export function tinyCifarSpecFile(dir: string): string {
  const path = join(dir, 'tiny.json');
  writeFileSync(path, JSON.stringify({ ...tinySpec(), inputSize: 32, classes: 10 }));
  return path;
}

/** A small CIFAR classifier that can memorise 256 images quickly, even on the reference backend. */
export function overfitSpec(): NetworkSpec {
  return {
    ...structuredClone(CMV3),
    name: 'overfit-small', width: 1, dropout: 0, bnMomentum: 0.9,
    stem: { ...CMV3.stem, out: 16, stride: 2 },
    blocks: [
      { type: 'bneck', kernel: 3, exp: 32, out: 16, se: true, act: 'hswish', stride: 1 },
      { type: 'dpd', kernel: 3, exp: 48, out: 24, se: false, act: 'mish', stride: 2 },
    ],
    headBeforePool: [{ ...CMV3.headBeforePool[0], out: 64, se: false }],
    headAfterPool: [],
  };
}
