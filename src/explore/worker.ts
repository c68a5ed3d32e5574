// A worker: claims trials from a study's queue and trains them until told to stop. Run as a child
// process of `cmv3 explore` (one per --workers) or on its own by `cmv3 explore worker` on any
// machine that reaches the study's PostgreSQL server. Stops cleanly (trial released, run folder
// saved) on a 'stop' message, SIGINT/SIGTERM, or when its parent goes away. With a shared store,
// a trial's run folder (config, metrics, last.ckpt) goes to the store after every epoch, so a
// trial whose worker is lost continues from its last epoch on another machine.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeDir } from '../io/make-dir.js';
import { writeAtomic } from '../io/write-file.js';
import { openStore, refFromEnv } from './open-store.js';
import { HEARTBEAT_TIMEOUT_S } from './pg/store.js';
import { TrialLostError, workerId, type StudyStore, type Trial } from './store.js';
import { runTrial, trialDir, type TrialProgress, type TrialSettings } from './trial.js';
import { count } from '../plural.js';

export interface WorkerOptions {
  /** where trial run folders go: the study folder (SQLite) or this worker's own folder (shared stores) */
  workDir: string;
  threads?: number;
  /** the highest rung: trials there also get their int8 accuracy measured */
  topRung: number;
  settings: TrialSettings;
  /** seconds without a beat before the store gives a running trial to another worker */
  heartbeatTimeout?: number;
  signal: { stop: boolean };
  log?: (line: string) => void;
  /** where the running trial is, after each training step */
  progress?: (p: TrialProgress) => void;
  /** poll interval while the queue is empty */
  idleMs?: number;
  /** stop when the queue stays empty and the study is no longer running (a standalone worker) */
  untilDone?: boolean;
}

/** The files of a run folder a worker elsewhere needs to continue the trial or export it as its own folder would (best.ckpt). */
export const TRIAL_FILES = ['config.json', 'metrics.jsonl', 'last.ckpt', 'best.ckpt', 'spec.json'];

function readShared(dir: string): { name: string; data: Uint8Array }[] {
  return TRIAL_FILES.filter((n) => existsSync(join(dir, n))).map((name) => ({ name, data: readFileSync(join(dir, name)) }));
}

/** Puts the stored run folder of a trial here (the store's copy is the trial's true state), pointed at this machine's data. */
async function fetchTrial(queue: StudyStore, t: Trial, dir: string, data: string): Promise<boolean> {
  const files = await queue.getFiles(t.id);
  if (!files.length) return false;
  makeDir(dir);
  for (const f of files) {
    if (f.name === 'config.json') {
      const config = JSON.parse(Buffer.from(f.data).toString('utf8'));
      writeAtomic(join(dir, f.name), JSON.stringify({ ...config, data }, null, 2));
    } else writeAtomic(join(dir, f.name), f.data);
  }
  return files.some((f) => f.name === 'last.ckpt');
}

/** Heartbeats from a timer on this thread: enough where liveness is judged by the process (SQLite). */
function timerBeat(beat: () => unknown, everyMs: number, onError: (m: string) => void): { stop(): Promise<void> } {
  const id = setInterval(() => { Promise.resolve().then(beat).catch((err) => onError((err as Error).message)); }, everyMs);
  return { stop: async () => clearInterval(id) };
}

export async function workLoop(queue: StudyStore, o: WorkerOptions): Promise<void> {
  const me = workerId();
  const beatMs = 1000 * Math.min(15, (o.heartbeatTimeout ?? HEARTBEAT_TIMEOUT_S) / 4);
  while (!o.signal.stop) {
    // A standalone worker ends with its study: finished, stopped or out of budget.
    if (o.untilDone && (await queue.meta()).state !== 'running') return;
    const t = await queue.claim(me);
    if (!t) {
      await new Promise((r) => setTimeout(r, o.idleMs ?? 1000));
      continue;
    }
    const dir = trialDir(o.workDir, t);
    const resumed = queue.sharesFiles && await fetchTrial(queue, t, dir, o.settings.data);
    o.log?.(`trial ${t.id} (${t.label}, rung ${t.rung}: ${count(t.epochs, 'epoch')} on ${count(t.trainImages, 'image')}) ${resumed ? 'continued from its last checkpoint' : 'started'} by ${me}`);
    // A trial passed to another worker (this one was silent past the timeout) stops here, unrecorded.
    let lost = false, studyStopped = false;
    const trialSignal = { get stop() { return o.signal.stop || lost || studyStopped; } };
    let uploads = Promise.resolve();
    const upload = () => { if (queue.sharesFiles && !lost) { const files = readShared(dir); uploads = uploads.then(() => queue.putFiles(t.id, files)); } };
    const beatError = (m: string) => o.log?.(`trial ${t.id}: heartbeat failed (${m})`);
    const beat = queue.keepAlive
      ? queue.keepAlive(t.id, me, beatMs, {
        lost: () => { lost = true; o.log?.(`trial ${t.id} has passed to another worker; ${me} drops it`); },
        stopped: () => { if (o.untilDone) { studyStopped = true; o.log?.(`the study was stopped; trial ${t.id} goes back to the queue with its progress`); } },
        error: beatError,
      })
      : timerBeat(() => queue.heartbeat(t.id, me), beatMs, beatError);
    const t0 = performance.now();
    try {
      const m = await runTrial(t, dir, o.settings, { threads: o.threads, signal: trialSignal, int8: t.rung === o.topRung, log: o.log, progress: o.progress, onEpoch: upload });
      if (lost) continue;
      upload();
      await uploads;
      if (m) await queue.complete(t.id, me, m, (performance.now() - t0) / 1000);
      else await queue.release(t.id, me);
    } catch (err) {
      await uploads.catch(() => {});
      if (lost || err instanceof TrialLostError) { o.log?.(`trial ${t.id}: ${(err as Error).message}`); continue; }
      await queue.fail(t.id, me, (err as Error).message);
      o.log?.(`trial ${t.id} failed: ${(err as Error).message}`);
    } finally {
      await beat.stop();
    }
    if (studyStopped) return;
  }
}

// As a child process: node worker.js WORKDIR THREADS TOPRUNG SETTINGS_JSON, the study in CMV3_STORAGE
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [workDir, threads, topRung, settings] = process.argv.slice(2);
  const signal = { stop: false };
  const stop = () => { signal.stop = true; };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('message', (m) => { if (m === 'stop') stop(); });
  process.on('disconnect', stop);
  const log = (line: string) => { if (process.send && process.connected) process.send({ log: line }); else if (!process.send) console.log(line); };
  let lastSent = 0; // at most one progress message a second: the parent redraws one status line
  const progress = (p: TrialProgress) => {
    const now = performance.now();
    if (now - lastSent < 1000 || !process.send || !process.connected) return;
    lastSent = now;
    process.send({ progress: p });
  };
  let store: StudyStore | undefined;
  (async () => {
    store = await openStore(refFromEnv());
    const o = (await store.meta()).options as { heartbeatTimeout?: number };
    await workLoop(store, { workDir, threads: Number(threads) || undefined, topRung: Number(topRung), settings: JSON.parse(settings), heartbeatTimeout: o.heartbeatTimeout, signal, log, progress });
  })()
    .catch((err) => { log(`worker error: ${(err as Error).message}`); process.exitCode = 1; })
    .finally(async () => { await store?.close(); if (process.connected) process.disconnect(); }); // the IPC channel would keep this process alive
}
