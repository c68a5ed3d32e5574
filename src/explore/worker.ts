// A worker: claims trials from a study's queue and trains them until told to stop. Run as a child
// process of `cmv3 explore` (one per --workers); stops cleanly (trial released, run folder saved)
// on a 'stop' message, SIGINT/SIGTERM, or when its parent goes away.
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Study, workerId, type TrialQueue } from './store.js';
import { runTrial, trialDir, type TrialProgress, type TrialSettings } from './trial.js';
import { count } from '../plural.js';

export interface WorkerOptions {
  studyPath: string;
  threads?: number;
  /** the highest rung: trials there also get their int8 accuracy measured */
  topRung: number;
  settings: TrialSettings;
  signal: { stop: boolean };
  log?: (line: string) => void;
  /** where the running trial is, after each training step */
  progress?: (p: TrialProgress) => void;
  /** poll interval while the queue is empty */
  idleMs?: number;
}

export async function workLoop(queue: TrialQueue, o: WorkerOptions): Promise<void> {
  const me = workerId(), studyDir = dirname(o.studyPath);
  while (!o.signal.stop) {
    const t = queue.claim(me);
    if (!t) { await new Promise((r) => setTimeout(r, o.idleMs ?? 1000)); continue; }
    o.log?.(`trial ${t.id} (${t.label}, rung ${t.rung}: ${count(t.epochs, 'epoch')} on ${count(t.trainImages, 'image')}) started by ${me}`);
    const beat = setInterval(() => queue.heartbeat(t.id, me), 15000);
    const t0 = performance.now();
    try {
      const m = await runTrial(t, trialDir(studyDir, t), o.settings, { threads: o.threads, signal: o.signal, int8: t.rung === o.topRung, log: o.log, progress: o.progress });
      if (m) queue.complete(t.id, me, m, (performance.now() - t0) / 1000);
      else queue.release(t.id, me);
    } catch (err) {
      queue.fail(t.id, me, (err as Error).message);
      o.log?.(`trial ${t.id} failed: ${(err as Error).message}`);
    } finally {
      clearInterval(beat);
    }
  }
}

// As a child process: node worker.js STUDY THREADS TOPRUNG SETTINGS_JSON
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [studyPath, threads, topRung, settings] = process.argv.slice(2);
  const signal = { stop: false };
  const stop = () => { signal.stop = true; };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('message', (m) => { if (m === 'stop') stop(); });
  process.on('disconnect', stop);
  const study = Study.open(studyPath);
  const log = (line: string) => { if (process.send && process.connected) process.send({ log: line }); else if (!process.send) console.log(line); };
  let lastSent = 0; // at most one progress message a second: the parent redraws one status line
  const progress = (p: TrialProgress) => {
    const now = performance.now();
    if (now - lastSent < 1000 || !process.send || !process.connected) return;
    lastSent = now;
    process.send({ progress: p });
  };
  workLoop(study, { studyPath, threads: Number(threads) || undefined, topRung: Number(topRung), settings: JSON.parse(settings), signal, log, progress })
    .catch((err) => { log(`worker error: ${(err as Error).message}`); process.exitCode = 1; })
    .finally(() => { study.close(); if (process.connected) process.disconnect(); }); // the IPC channel would keep this process alive
}
