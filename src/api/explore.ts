// Design space exploration as library calls: start a study, resume one, read its Pareto front.
// `cmv3 explore`, `cmv3 explore --resume` and `cmv3 explore show` are thin layers over these.
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { dataDir } from '../data/default-dir.js';
import { OBSERVERS, type Observer } from '../deploy/calibrate.js';
import { TARGETS } from '../deploy/report.js';
import { OBJECTIVES, runStudy, type CostObjective, type ExploreOptions, type Rung } from '../explore/driver.js';
import { isAlive } from '../explore/executor.js';
import { SPACES } from '../explore/presets.js';
import { studyResult, type StudyResult } from '../explore/show.js';
export { studyFile } from '../explore/open-store.js';
import { spaceSize, validateSpace, type Space } from '../explore/space.js';
import { INITS, STRATEGIES, type InitName, type StrategyName } from '../explore/strategy.js';
import { describeRef, openStore, storageRef, studyFile, type StorageRef } from '../explore/open-store.js';
import { PgStudy } from '../explore/pg/store.js';
import { Study, type StudyStore } from '../explore/store.js';
import type { TrialProgress } from '../explore/trial.js';
import { makeDir } from '../io/make-dir.js';
import { oneOf, OptionError, positiveInteger, type AbortSignalLike } from './common.js';

const CIFAR_TRAIN = 50000;

/** What every study call takes besides the study's settings. */
export interface StudyCallOptions {
  /** the driver's lines: trials started and finished, rejections, progress against the budget */
  onLog?: (line: string) => void;
  /** each running trial's epoch, step and time left (about once a second per worker) */
  onTrial?: (p: TrialProgress) => void;
  /** stops the study: running trials save their progress and `resumeStudy` continues them */
  signal?: AbortSignalLike;
}

/** A new study's settings; everything but `space` has a default. */
export interface ExploreSettings extends StudyCallOptions {
  /** a preset name (cmv3 explore spaces) or a space */
  space: string | Space;
  /** the study folder to create; default studies/SPACE-DATE (a SQLite study) */
  out?: string;
  /**
   * where the study lives instead of a folder: `postgresql://USER@HOST:PORT/DB` (with `study`, its
   * name; password from PGPASSWORD or ~/.pgpass) in Optuna's schema, shared by workers on any
   * machine (`cmv3 explore worker`), or `sqlite:PATH`
   */
  storage?: string;
  /** the study's name in a PostgreSQL storage */
  study?: string;
  /** where this process's workers keep trial run folders with a PostgreSQL storage; default cmv3-work/STUDY */
  workDir?: string;
  /** seconds without a heartbeat after which a running trial goes to another worker (PostgreSQL); default 120 */
  heartbeatTimeout?: number;
  strategy?: StrategyName;
  init?: InitName;
  trials?: number;
  population?: number;
  /** successive halving's fidelities, growing; default 2 epochs on 20,000 images, then 8 on all but the validation images */
  rungs?: Rung[];
  eta?: number;
  /** costs traded against validation accuracy; default ['flash'] */
  objectives?: CostObjective[];
  maxFlashBytes?: number;
  /** the planned tensor arena (SRAM) */
  maxArenaBytes?: number;
  maxLatencyMs?: number;
  maxParams?: number;
  target?: string;
  seed?: number;
  /** wall-clock seconds in all; default none */
  budgetSeconds?: number;
  workers?: number;
  threads?: number;
  data?: string;
  validation?: number;
  batchSize?: number;
  limitTest?: number;
  int8Images?: number;
  calibration?: number;
  observer?: Observer;
}

/** A space by preset name or as data, validated. */
export function spaceOf(space: string | Space): Space {
  if (typeof space !== 'string') return validateSpace(structuredClone(space));
  if (!Object.hasOwn(SPACES, space)) throw new OptionError(`unknown space '${space}'; use one of ${Object.keys(SPACES).join(', ')} or pass a space`);
  return validateSpace(structuredClone(SPACES[space]));
}

/** Rungs must fit the training images left after the hold-out and cost more each (epochs x images). */
export function checkRungs(rungs: Rung[], maxImages: number): Rung[] {
  if (!Array.isArray(rungs) || !rungs.length) throw new OptionError('Expected at least one rung');
  rungs.forEach((r, i) => {
    positiveInteger(r.epochs, `rungs[${i}].epochs`);
    positiveInteger(r.trainImages, `rungs[${i}].trainImages`);
    if (r.trainImages > maxImages) throw new OptionError(`rung ${i} trains on ${r.trainImages} images but only ${maxImages} remain after the validation hold-out; use at most ${maxImages}`);
    if (i > 0 && r.epochs * r.trainImages <= rungs[i - 1].epochs * rungs[i - 1].trainImages) throw new OptionError(`rung ${i}: each rung must cost more than the one before (epochs x images)`);
  });
  return rungs;
}

/** The study's full options from the settings given: every default in one place. */
export function exploreOptions(s: ExploreSettings, space: Space): ExploreOptions {
  const size = spaceSize(space);
  const strategy = oneOf(s.strategy ?? (size <= 64 ? 'grid' : 'nsga2'), STRATEGIES, 'strategy');
  const init = oneOf(s.init ?? 'random', INITS, 'init');
  if (init === 'base' && strategy === 'grid') throw new OptionError('init base is for strategy random or nsga2 (grid visits every candidate in order)');
  const int = (v: number | undefined, name: string) => (v === undefined ? undefined : positiveInteger(v, name));
  const trials = int(s.trials, 'trials') ?? (strategy === 'grid' ? Math.min(size, 64) : 24);
  const population = int(s.population, 'population') ?? (strategy === 'nsga2' ? Math.min(trials, 8) : trials);
  const validation = s.validation ?? 5000;
  if (!(Number.isInteger(validation) && validation >= 100 && validation < CIFAR_TRAIN / 2)) throw new OptionError(`Expected an integer from 100 to 24999 for validation but received ${validation}`);
  const target = s.target ?? 'imxrt1060';
  if (!Object.hasOwn(TARGETS, target)) throw new OptionError(`Expected one of ${Object.keys(TARGETS).join(', ')} for target but received ${JSON.stringify(target)}`);
  const eta = s.eta ?? 3;
  if (!(eta > 1)) throw new OptionError(`Expected a number above 1 for eta but received ${eta}`);
  const objectives = s.objectives ?? ['flash'];
  for (const o of objectives) if (!Object.hasOwn(OBJECTIVES, o)) throw new OptionError(`Expected objectives from ${Object.keys(OBJECTIVES).join(', ')} but received ${JSON.stringify(o)}`);
  const shared = s.storage !== undefined && !s.storage.startsWith('sqlite:');
  // With a shared store the driver may run alone, the workers being elsewhere.
  const workers = s.workers === 0 && shared ? 0 : int(s.workers, 'workers') ?? 1;
  if (s.heartbeatTimeout !== undefined && !(s.heartbeatTimeout >= 2)) throw new OptionError(`Expected at least 2 seconds for heartbeatTimeout but received ${s.heartbeatTimeout}`);
  if (s.int8Images !== undefined && !(Number.isInteger(s.int8Images) && s.int8Images >= 0)) throw new OptionError(`Expected a non-negative integer for int8Images but received ${s.int8Images}`);
  if (s.seed !== undefined && !(Number.isInteger(s.seed) && s.seed >= 0)) throw new OptionError(`Expected a non-negative integer for seed but received ${s.seed}`);
  if (s.budgetSeconds !== undefined && !(s.budgetSeconds > 0)) throw new OptionError(`Expected a positive number of seconds for budgetSeconds but received ${s.budgetSeconds}`);
  return {
    strategy, init, trials, population,
    rungs: checkRungs(s.rungs ?? [{ epochs: 2, trainImages: 20000 }, { epochs: 8, trainImages: CIFAR_TRAIN - validation }], CIFAR_TRAIN - validation),
    eta, objectives: [...new Set(objectives)],
    constraints: { maxFlashBytes: s.maxFlashBytes, maxSramBytes: s.maxArenaBytes, maxLatencyMs: s.maxLatencyMs, maxParams: int(s.maxParams, 'maxParams') },
    target, seed: s.seed ?? 1, budgetSeconds: s.budgetSeconds ?? null, workers,
    threads: int(s.threads, 'threads') ?? Math.max(1, Math.floor(cpus().length / Math.max(1, workers))),
    ...(s.heartbeatTimeout === undefined ? {} : { heartbeatTimeout: s.heartbeatTimeout }),
    settings: {
      data: resolve(dataDir(s.data)), batchSize: int(s.batchSize, 'batchSize') ?? 128, validation,
      testImages: int(s.limitTest, 'limitTest') ?? null, int8Images: s.int8Images ?? 1000,
      calibration: int(s.calibration, 'calibration') ?? 100, observer: oneOf(s.observer ?? 'minmax', OBSERVERS, 'observer'),
    },
  };
}

/** How a study call ended, with the study's Pareto front at its highest rung. */
export interface StudyRun {
  /** the study folder (SQLite) or this process's work folder (PostgreSQL): front.svg goes here */
  dir: string;
  /** the study on PostgreSQL, when it is there */
  storage?: { url: string; study: string };
  state: 'finished' | 'budget' | 'stopped';
  /** the study's wall-clock budget in seconds, or null */
  budgetSeconds: number | null;
  result: StudyResult;
}

/** Runs the study in `study` (open, this process its driver) until it finishes, spends its budget or is stopped. */
async function drive(study: StudyStore, ref: StorageRef, o: ExploreOptions, dir: string, c: StudyCallOptions): Promise<StudyRun> {
  const signal = { get stop() { return c.signal?.aborted === true; } };
  try {
    const state = await runStudy(study, ref, (await study.meta()).space as Space, o, signal, c.onLog ?? (() => {}), c.onTrial, dir);
    return { dir, state, budgetSeconds: o.budgetSeconds, result: await studyResult(study), ...(ref.kind === 'postgres' ? { storage: { url: ref.url, study: ref.study } } : {}) };
  } finally {
    await study.close();
  }
}

const workDirOf = (ref: StorageRef, given?: string) => (ref.kind === 'postgres' ? given ?? join('cmv3-work', ref.study) : dirname(ref.path));

/**
 * Starts a study: candidates of the space priced (int8 size, arena, MACs, estimated latency) and
 * rejected untrained when over a limit, the rest trained by successive halving on held-out
 * validation images, ranked on accuracy against the chosen costs. Resumable (`resumeStudy`).
 * With `storage` a PostgreSQL URL, the study lives there in Optuna's schema and workers on other
 * machines join it (`cmv3 explore worker`).
 */
export async function explore(s: ExploreSettings): Promise<StudyRun> {
  const space = spaceOf(s?.space);
  const o = exploreOptions(s, space);
  if (!existsSync(join(o.settings.data, 'data_batch_1.bin'))) throw new OptionError(`no CIFAR-10 training data in ${o.settings.data}; pass the data folder (or set CMV3_DATA), or run: cmv3 data fetch cifar10`);
  const line = (where: string) => `study ${where}: space ${space.name} (${spaceSize(space).toLocaleString('en-US')} candidates), ${o.strategy}${o.init === 'base' ? ' from the base' : ''}, ${o.trials} trials at rung 0, rungs ${o.rungs.map((r) => `${r.epochs}x${r.trainImages}`).join(', ')} (eta ${o.eta}), ${o.workers} worker(s) x ${o.threads} thread(s)`;
  if (s.storage !== undefined && !s.storage.startsWith('sqlite:')) {
    if (s.out !== undefined) throw new OptionError('out is for a study folder; a study on PostgreSQL is named by study (drop out)');
    const ref = storageRef(s.storage, s.study);
    if (ref.kind !== 'postgres') throw new OptionError(`storage ${s.storage}: expected postgresql://... or sqlite:PATH`);
    const study = await PgStudy.create(ref.url, ref.study, o, space);
    const dir = workDirOf(ref, s.workDir);
    makeDir(dir);
    s.onLog?.(line(study.where));
    return drive(study, ref, o, dir, s);
  }
  const sqlitePath = s.storage?.slice('sqlite:'.length);
  const dir = sqlitePath !== undefined ? dirname(sqlitePath) : s.out ?? `studies/${space.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
  const file = sqlitePath ?? join(dir, 'study.sqlite');
  if (existsSync(file)) throw new OptionError(`${dir} already holds a study; continue it with --resume ${dir} (resumeStudy) or choose another folder`);
  if (sqlitePath === undefined && existsSync(dir) && readdirSync(dir).length) throw new OptionError(`${dir} exists and is not empty; choose another folder for the study`);
  makeDir(dir);
  const study = Study.create(file, o, space);
  s.onLog?.(line(dir));
  return drive(study, { kind: 'sqlite', path: file }, o, dir, s);
}

/** Where a study is: a folder, a study.sqlite, `sqlite:PATH`, or a PostgreSQL URL with `study`. */
export function studyRef(where: string, study?: string): StorageRef {
  if (where.startsWith('sqlite:') || /^postgres(ql)?:\/\//i.test(where)) return storageRef(where, study);
  if (study !== undefined) throw new OptionError('study names a study in a PostgreSQL storage; a study folder needs no name (drop study)');
  return { kind: 'sqlite', path: studyFile(where) };
}

/**
 * Continues a study with its own settings; only the budget, the workers and the threads may change.
 * `where` is the study folder, or a PostgreSQL URL with `study` naming the study there.
 */
export async function resumeStudy(where: string, c: StudyCallOptions & { study?: string; workDir?: string; budgetSeconds?: number; workers?: number; threads?: number } = {}): Promise<StudyRun> {
  const ref = studyRef(where, c.study);
  const study = await openStore(ref);
  let o: ExploreOptions;
  try {
    await study.lockDriver(isAlive); // before touching its options: another driver may be running it
    o = (await study.meta()).options as ExploreOptions;
    try {
      if (o.workers > 0 && !existsSync(o.settings.data)) throw new OptionError(`the study trains on ${o.settings.data}, which is not there any more; put the data back at that path`);
      if (c.budgetSeconds !== undefined) o.budgetSeconds = c.budgetSeconds;
      if (c.workers !== undefined) {
        o.workers = c.workers === 0 && ref.kind === 'postgres' ? 0 : positiveInteger(c.workers, 'workers');
        o.threads = Math.max(1, Math.floor(cpus().length / Math.max(1, o.workers)));
      }
      if (c.threads !== undefined) o.threads = positiveInteger(c.threads, 'threads');
    } catch (err) {
      await study.unlockDriver();
      throw err;
    }
    await study.setOptions(o);
  } catch (err) {
    await study.close();
    throw err;
  }
  c.onLog?.(`continuing study ${describeRef(ref)}: ${((await study.meta()).spentSeconds / 3600).toFixed(2)} h spent${o.budgetSeconds ? ` of ${(o.budgetSeconds / 3600).toFixed(2)} h` : ''}`);
  const dir = workDirOf(ref, c.workDir);
  makeDir(dir);
  return drive(study, ref, o, dir, c);
}

/**
 * A study's trials and Pareto front at a rung (default: the highest with finished trials), read-only.
 * `where` is the study folder, or a PostgreSQL URL with `study`.
 */
export async function studyFront(where: string, options: { rung?: number; study?: string } = {}): Promise<StudyResult> {
  const study = await openStore(studyRef(where, options.study), true);
  try {
    return await studyResult(study, options.rung);
  } finally {
    await study.close();
  }
}

