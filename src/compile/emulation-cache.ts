// What `cmv3 emulate` measured, kept per model so `cmv3 report --runtime cmv3` can print it beside
// its estimates: one JSON file per int8 model under $XDG_CACHE_HOME/cmv3/emulations (default
// ~/.cache), named by the SHA-256 of the model's .tflite bytes and of the kernel sources (mcu/),
// so a report finds exactly the measurement of the same weights and scales run by the same
// kernels, or none.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from '../io/write-file.js';
import { KERNEL_FILES, kernelSource } from './compile.js';
import { makeDir } from '../io/make-dir.js';

export interface EmulationRecord {
  date: string;
  images: number;
  bitExact: number;
  instructionsPerImage: number;
  arenaBytes: number;
  stackBytes: number;
  flashBytes: number;
  layers: { index: number; kind: string; name: string; instructions: number }[];
}

const dir = () => join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cmv3', 'emulations');
export function modelKey(tflite: Uint8Array): string {
  const h = createHash('sha256').update(tflite);
  for (const f of KERNEL_FILES) h.update(f).update(kernelSource(f));
  return h.digest('hex');
}

export function saveEmulation(tflite: Uint8Array, r: EmulationRecord): string | null {
  try {
    makeDir(dir());
    const path = join(dir(), `${modelKey(tflite)}.json`);
    writeAtomic(path, JSON.stringify(r));
    return path;
  } catch {
    return null; // a cache: a read-only home only means the report will not show the measurement
  }
}

export function loadEmulation(tflite: Uint8Array): EmulationRecord | null {
  const path = join(dir(), `${modelKey(tflite)}.json`);
  if (!existsSync(path)) return null;
  try { return JSON.parse(readFileSync(path, 'utf8')) as EmulationRecord; } catch { return null; }
}
