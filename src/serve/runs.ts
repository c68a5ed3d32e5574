// Run folders as the dashboard sees them: a list with status, one run's config and metrics, and
// a live feed of its epochs. A half-written or damaged folder becomes an entry with an error.
import { existsSync, statSync } from 'node:fs';
import { plainFolders, runFilesInside } from './paths.js';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { readMetrics, readRunConfig, runPaths, type EpochMetrics, type RunConfig } from '../train/run.js';

export type RunStatus = 'training' | 'done' | 'stopped' | 'error';

export interface RunEntry {
  name: string;
  status: RunStatus;
  error?: string;
  model?: string;
  width?: number;
  epochs?: number;
  epochsDone?: number;
  bestAcc?: number | null;
  lastAcc?: number | null;
  /** the accuracy column is on held-out training images (explore trials), not the test set */
  validation?: boolean;
  updated?: string;
}

export interface RunDetail extends RunEntry {
  config?: RunConfig;
  metrics: EpochMetrics[];
}

const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/**
 * No lock file marks a live run, so: finished when every epoch is in, training when a file
 * changed within three epochs' time (at least two minutes), stopped otherwise.
 */
function status(dir: string, config: RunConfig, metrics: EpochMetrics[]): { status: RunStatus; updated: number } {
  const p = runPaths(dir), updated = Math.max(mtime(p.config), mtime(p.metrics), mtime(p.last));
  if ((metrics.at(-1)?.epoch ?? 0) >= config.epochs) return { status: 'done', updated };
  const window = Math.max(120, 3 * (metrics.at(-1)?.epochSeconds ?? 0)) * 1000;
  return { status: Date.now() - updated < window ? 'training' : 'stopped', updated };
}

export function runDetail(dir: string, name: string): RunDetail {
  try {
    runFilesInside(dir);
    const config = readRunConfig(dir), metrics = readMetrics(dir), s = status(dir, config, metrics);
    const accs = metrics.map((m) => m.testAcc).filter((a) => typeof a === 'number');
    return {
      name, status: s.status, model: config.spec?.name, width: config.spec?.width, epochs: config.epochs, epochsDone: metrics.at(-1)?.epoch ?? 0,
      bestAcc: accs.length ? Math.max(...accs) : null, lastAcc: accs.at(-1) ?? null, validation: Boolean(config.validation),
      updated: new Date(s.updated).toISOString(), config, metrics,
    };
  } catch (err) { // a damaged or half-written folder is an entry with its error; the others still show
    return { name, status: 'error', error: (err as Error).message.split('\n')[0], metrics: [] };
  }
}

/** Every folder under `root` that looks like a run (has config.json, metrics or a checkpoint). */
export function listRuns(root: string): RunEntry[] {
  if (!existsSync(root)) return [];
  return plainFolders(root)
    .filter((n) => ['config.json', 'metrics.jsonl', 'last.ckpt'].some((f) => existsSync(join(root, n, f))))
    .map((n) => {
      const { config: _c, metrics: _m, ...entry } = runDetail(join(root, n), n);
      return entry;
    })
    .sort((a, b) => (b.updated ?? '').localeCompare(a.updated ?? ''));
}

/**
 * Server-sent events for one run: a `run` event with the whole detail at once and whenever it
 * changes, files or status (polled each second: fs.watch misses appends on some file systems, and
 * a run going quiet changes its status without touching a file), and a comment line every 15 s
 * to keep proxies from closing the stream.
 */
export function streamRun(res: ServerResponse, dir: string, name: string, pollMs = 1000): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  let last = '', ticks = 0;
  const send = () => {
    let now: string;
    try {
      now = JSON.stringify(runDetail(dir, name));
    } catch (err) { // e.g. the folder removed between two reads: say so, never crash the server
      now = JSON.stringify({ name, status: 'error', error: (err as Error).message, metrics: [] });
    }
    if (now !== last) {
      last = now;
      res.write(`event: run\ndata: ${now}\n\n`);
    } else if (++ticks % 15 === 0) res.write(': alive\n\n');
  };
  send();
  const timer = setInterval(send, pollMs);
  res.on('close', () => clearInterval(timer));
}
