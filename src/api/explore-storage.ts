// Studies that span machines, as library calls: a worker that joins a study on PostgreSQL, a
// trial's run folder fetched from there (to export it anywhere), and a SQLite study copied into
// PostgreSQL. `cmv3 explore worker`, `cmv3 export --storage` and `cmv3 explore migrate` are thin
// layers over these.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { dataDir } from '../data/default-dir.js';
import type { ExploreOptions } from '../explore/driver.js';
import { describeRef, openStore, storageRef, studyFile } from '../explore/open-store.js';
import { PgStudy } from '../explore/pg/store.js';
import type { Space } from '../explore/space.js';
import { Study } from '../explore/store.js';
import { trialDir, type TrialProgress } from '../explore/trial.js';
import { TRIAL_FILES, workLoop } from '../explore/worker.js';
import { makeDir } from '../io/make-dir.js';
import { writeAtomic } from '../io/write-file.js';
import { OptionError, positiveInteger, type AbortSignalLike } from './common.js';

/** A standalone worker's settings. */
export interface WorkerSettings {
  /** the study's PostgreSQL URL and name */
  storage: string;
  study: string;
  /** this machine's CIFAR-10 folder (the study's own path may not exist here) */
  data?: string;
  /** where this worker keeps trial run folders; default cmv3-work/STUDY */
  workDir?: string;
  threads?: number;
  /** the worker's lines: trials started, continued, finished, handed back */
  onLog?: (line: string) => void;
  /** the running trial's epoch, step and time left (after every step) */
  onTrial?: (p: TrialProgress) => void;
  /** stops after the running trial has saved its progress (it goes back to the queue) */
  signal?: AbortSignalLike;
}

/**
 * Joins a study on PostgreSQL from any machine: claims trials one at a time, trains them, hands in
 * their figures and their run folders, until the study is no longer running and nothing is left.
 */
export async function runWorker(s: WorkerSettings): Promise<void> {
  const ref = storageRef(s.storage, s.study);
  if (ref.kind !== 'postgres') throw new OptionError('a standalone worker joins a study on PostgreSQL (--storage postgresql://...); a study folder runs its workers itself (cmv3 explore --workers N)');
  const threads = s.threads === undefined ? undefined : positiveInteger(s.threads, 'threads');
  const data = resolve(dataDir(s.data));
  if (!existsSync(join(data, 'data_batch_1.bin'))) throw new OptionError(`no CIFAR-10 training data in ${data}; pass this machine's data folder (--data or CMV3_DATA), or run: cmv3 data fetch cifar10`);
  const store = await openStore(ref);
  try {
    const o = (await store.meta()).options as ExploreOptions;
    const workDir = s.workDir ?? join('cmv3-work', ref.study);
    makeDir(workDir);
    const signal = { get stop() { return s.signal?.aborted === true; } };
    s.onLog?.(`worker on ${describeRef(ref)}: trial folders in ${workDir}, data ${data}`);
    await workLoop(store, { workDir, threads, topRung: o.rungs.length - 1, settings: { ...o.settings, data }, heartbeatTimeout: o.heartbeatTimeout,
      signal, log: s.onLog, progress: s.onTrial, untilDone: true });
  } finally {
    await store.close();
  }
}

/**
 * Copies a trial's run folder (config, metrics, last.ckpt) out of a study on PostgreSQL into `dir`
 * (created, or a fresh temporary folder), pointed at `data`, so `exportModel` and the other model
 * calls take it as any run folder. Returns the folder.
 */
export async function fetchTrialRun(storage: string, study: string, trial: number, o: { dir?: string; data?: string } = {}): Promise<string> {
  positiveInteger(trial, 'trial');
  const ref = storageRef(storage, study);
  if (ref.kind !== 'postgres') throw new OptionError('fetchTrialRun reads a study on PostgreSQL; a study folder already holds its trial folders (trials/NNNN)');
  const store = await openStore(ref, true);
  try {
    const t = await store.byId(trial);
    if (!t) throw new OptionError(`${describeRef(ref)} has no trial ${trial}; cmv3 explore show --storage URL --study ${study} lists them`);
    const files = await store.getFiles(trial);
    if (!files.some((f) => f.name === 'last.ckpt')) throw new OptionError(`trial ${trial} (${t.label}) of ${describeRef(ref)} has no checkpoint yet (status ${t.status}); export it once it has trained an epoch`);
    const dir = o.dir ?? mkdtempSync(join(tmpdir(), `cmv3-${study}-trial${trial}-`));
    makeDir(dir);
    for (const f of files) {
      const bytes = f.name === 'config.json'
        ? Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(f.data).toString('utf8')), data: resolve(dataDir(o.data)) }, null, 2))
        : f.data;
      writeAtomic(join(dir, f.name), bytes);
    }
    return dir;
  } finally {
    await store.close();
  }
}

/**
 * Copies a SQLite study (its settings, every trial with its figures, and the trial folders' run
 * files) into PostgreSQL, so a study started on one machine continues on many. Refuses a name in use.
 */
export async function migrateStudy(folder: string, to: { storage: string; study?: string; onLog?: (line: string) => void }): Promise<{ trials: number; files: number; study: string }> {
  const file = studyFile(folder);
  const src = Study.open(file, true);
  try {
    const meta = src.meta();
    const name = to.study ?? basename(dirname(resolve(file)));
    const ref = storageRef(to.storage, name);
    if (ref.kind !== 'postgres') throw new OptionError('migrate copies a study into PostgreSQL: pass --storage postgresql://USER@HOST:PORT/DB');
    const o = meta.options as ExploreOptions;
    const dst = await PgStudy.create(ref.url, name, o, meta.space as Space);
    let files = 0;
    const trials = src.trials();
    try {
      for (const t of trials) {
        await dst.importTrial(t);
        const dir = trialDir(dirname(file), t);
        const shared = TRIAL_FILES.filter((n) => existsSync(join(dir, n)));
        if (shared.length) await dst.putFiles(t.id, shared.map((n) => ({ name: n, data: readFileSync(join(dir, n)) })));
        files += shared.length;
      }
      await dst.addSpent(meta.spentSeconds);
      await dst.unlockDriver();
      await dst.setState(meta.state === 'running' ? 'stopped' : meta.state);
      to.onLog?.(`copied ${trials.length} trials and ${files} run files of ${folder} into ${dst.where}`);
    } finally {
      await dst.close();
    }
    return { trials: trials.length, files, study: name };
  } finally {
    src.close();
  }
}
