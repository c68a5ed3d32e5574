// Reading a .tflite file from disk into a checked Graph (Node only; graph-model.ts stays browser-safe).
import { readFileSync } from 'node:fs';
import type { Graph } from './ir.js';
import { readTflite, TfliteError } from './tflite/read.js';

/** Reads and checks a .tflite file; every failure is one line with a code. */
export function loadTfliteFile(path: string): Graph {
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch {
    throw new TfliteError(`${path}: cannot read the file; check the path`, 'ERR_TFLITE_MISSING');
  }
  try { return readTflite(bytes); } catch (e) {
    if (e instanceof TfliteError) throw new TfliteError(`${path}: ${e.message}`, e.code);
    throw e;
  }
}
