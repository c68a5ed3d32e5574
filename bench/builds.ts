// What the A/B benches (bench:ab, bench:dw, bench:bn) share: this build of the addon and, with
// --baseline, a copy made before a native change, loaded side by side; and how far two builds'
// outputs are apart.
import { existsSync, realpathSync } from 'node:fs';
import { ADDON_PATH, loadOnednnBackend } from '../src/backend/onednn.js';
import type { Backend } from '../src/backend/types.js';
import type { Fail } from './cli.js';

/** [name, backend] for this build and the --baseline copy if given (names[1]), each on `threads` threads. */
export function addonBuilds(fail: Fail, baseline: string | undefined, threads: number, names: [string, string]): [string, Backend][] {
  if (!existsSync(ADDON_PATH)) fail('needs the native addon (npm run build:native)');
  if (baseline !== undefined) {
    if (!existsSync(baseline)) fail(`--baseline ${baseline} not found (a copy of build/Release/cmv3_native.node)`);
    if (realpathSync(baseline) === realpathSync(ADDON_PATH)) fail('--baseline is the current build itself: pass a copy made before the native change');
  }
  const builds: [string, Backend][] = [[names[0], loadOnednnBackend()], ...(baseline !== undefined ? [[names[1], loadOnednnBackend(baseline)] as [string, Backend]] : [])];
  for (const [, b] of builds) b.setThreads(threads);
  return builds;
}

/** The largest |a - b| over elements that are not the same value (NaN against a number: Infinity); 0 = same bits. */
export function largestDifference(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    d = Math.max(d, Number.isNaN(a[i] - b[i]) ? Infinity : Math.abs(a[i] - b[i]));
  }
  return d;
}
