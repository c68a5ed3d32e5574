// Picks the fast oneDNN backend when the addon is built, else the reference with a one-line warning.
// CMV3_THREADS sets the thread count (default 2).
import { referenceBackend } from './reference.js';
import type { Backend } from './types.js';

let chosen: Backend | null = null;

/** Which compute backend to use: 'auto' picks oneDNN when its addon is built, else the reference. */
export type BackendName = 'auto' | 'onednn' | 'reference';

/** The compute backend by name; 'auto' warns once when it falls back to the reference. */
export async function getBackend(name: BackendName = 'auto'): Promise<Backend> {
  if (name === 'reference') return referenceBackend;
  if (chosen && name === 'auto') return chosen;
  let backend: Backend;
  try {
    const { loadOnednnBackend } = await import('./onednn.js');
    backend = loadOnednnBackend();
  } catch (err) {
    if (name === 'onednn') throw err;
    if (!process.env.CMV3_QUIET) {
      process.stderr.write(`cmv3: warning: native oneDNN backend not available (${(err as Error).message.split('\n')[0]}); using the slow reference backend. Build it with: sudo apt-get install -y libdnnl-dev && npm run build:native\n`);
    }
    backend = referenceBackend;
  }
  const threads = process.env.CMV3_THREADS;
  if (threads !== undefined) {
    const n = Number(threads);
    if (!Number.isInteger(n) || n < 1 || n > 1024) throw new RangeError(`Expected a positive integer for CMV3_THREADS but received ${JSON.stringify(threads)}`);
    backend.setThreads(n);
  }
  chosen = backend;
  return backend;
}
