// Design space exploration as library calls: start a study, resume one, read its Pareto front.
// `cmv3 explore`, `cmv3 explore --resume` and `cmv3 explore show` are thin layers over these.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { dataDir } from '../data/default-dir.js';
import { OBSERVERS, type Observer } from '../deploy/calibrate.js';
import { TARGETS } from '../deploy/report.js';
import { OBJECTIVES, runStudy, type CostObjective, type ExploreOptions, type Rung } from '../explore/driver.js';
import { isAlive } from '../explore/executor.js';
import { SPACES } from '../explore/presets.js';
import { studyResult, type StudyResult } from '../explore/show.js';
import { spaceSize, validateSpace, type Space } from '../explore/space.js';
import { INITS, STRATEGIES, type InitName, type StrategyName } from '../explore/strategy.js';
import { Study, StudyError } from '../explore/store.js';
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
  /** the study folder to create; default studies/SPACE-DATE */
  out?: string;
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
  const workers = int(s.workers, 'workers') ?? 1;
  if (s.int8Images !== undefined && !(Number.isInteger(s.int8Images) && s.int8Images >= 0)) throw new OptionError(`Expected a non-negative integer for int8Images but received ${s.int8Images}`);
  if (s.seed !== undefined && !(Number.isInteger(s.seed) && s.seed >= 0)) throw new OptionError(`Expected a non-negative integer for seed but received ${s.seed}`);
  if (s.budgetSeconds !== undefined && !(s.budgetSeconds > 0)) throw new OptionError(`Expected a positive number of seconds for budgetSeconds but received ${s.budgetSeconds}`);
  return {
    strategy, init, trials, population,
    rungs: checkRungs(s.rungs ?? [{ epochs: 2, trainImages: 20000 }, { epochs: 8, trainImages: CIFAR_TRAIN - validation }], CIFAR_TRAIN - validation),
    eta, objectives: [...new Set(objectives)],
    constraints: { maxFlashBytes: s.maxFlashBytes, maxSramBytes: s.maxArenaBytes, maxLatencyMs: s.maxLatencyMs, maxParams: int(s.maxParams, 'maxParams') },
    target, seed: s.seed ?? 1, budgetSeconds: s.budgetSeconds ?? null, workers,
    threads: int(s.threads, 'threads') ?? Math.max(1, Math.floor(cpus().length / workers)),
    settings: {
      data: resolve(dataDir(s.data)), batchSize: int(s.batchSize, 'batchSize') ?? 128, validation,
      testImages: int(s.limitTest, 'limitTest') ?? null, int8Images: s.int8Images ?? 1000,
      calibration: int(s.calibration, 'calibration') ?? 100, observer: oneOf(s.observer ?? 'minmax', OBSERVERS, 'observer'),
    },
  };
}

/** How a study call ended, with the study's Pareto front at its highest rung. */
export interface StudyRun {
  dir: string;
  state: 'finished' | 'budget' | 'stopped';
  /** the study's wall-clock budget in seconds, or null */
  budgetSeconds: number | null;
  result: StudyResult;
}

/** Runs the study in `study` (open, this process its driver) until it finishes, spends its budget or is stopped. */
async function drive(study: Study, o: ExploreOptions, dir: string, c: StudyCallOptions): Promise<StudyRun> {
  const signal = { get stop() { return c.signal?.aborted === true; } };
  try {
    const state = await runStudy(study, study.meta().space as Space, o, signal, c.onLog ?? (() => {}), c.onTrial);
    return { dir, state, budgetSeconds: o.budgetSeconds, result: studyResult(study) };
  } finally {
    study.close();
  }
}

/**
 * Starts a study: candidates of the space priced (int8 size, arena, MACs, estimated latency) and
 * rejected untrained when over a limit, the rest trained by successive halving on held-out
 * validation images, ranked on accuracy against the chosen costs. Resumable (`resumeStudy`).
 */
export async function explore(s: ExploreSettings): Promise<StudyRun> {
  const space = spaceOf(s?.space);
  const o = exploreOptions(s, space);
  if (!existsSync(join(o.settings.data, 'data_batch_1.bin'))) throw new OptionError(`no CIFAR-10 training data in ${o.settings.data}; pass the data folder (or set CMV3_DATA), or run: cmv3 data fetch cifar10`);
  const dir = s.out ?? `studies/${space.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
  if (existsSync(join(dir, 'study.sqlite'))) throw new OptionError(`${dir} already holds a study; continue it with --resume ${dir} (resumeStudy) or choose another folder`);
  if (existsSync(dir) && readdirSync(dir).length) throw new OptionError(`${dir} exists and is not empty; choose another folder for the study`);
  makeDir(dir);
  const study = Study.create(join(dir, 'study.sqlite'), o, space);
  s.onLog?.(`study ${dir}: space ${space.name} (${spaceSize(space).toLocaleString('en-US')} candidates), ${o.strategy}${o.init === 'base' ? ' from the base' : ''}, ${o.trials} trials at rung 0, rungs ${o.rungs.map((r) => `${r.epochs}x${r.trainImages}`).join(', ')} (eta ${o.eta}), ${o.workers} worker(s) x ${o.threads} thread(s)`);
  return drive(study, o, dir, s);
}

/** A study folder or its study.sqlite -> the .sqlite path (checked to exist). */
export function studyFile(arg: string): string {
  const file = existsSync(arg) && statSync(arg).isDirectory() ? join(arg, 'study.sqlite') : arg;
  if (!existsSync(file)) throw new StudyError(`${arg}: no such study (expected a folder made by cmv3 explore --out, holding study.sqlite)`);
  return file;
}

/** Continues a study with its own settings; only the budget, the workers and the threads may change. */
export async function resumeStudy(dir: string, c: StudyCallOptions & { budgetSeconds?: number; workers?: number; threads?: number } = {}): Promise<StudyRun> {
  const study = Study.open(studyFile(dir));
  study.lockDriver(isAlive); // before touching its options: another driver may be running it
  const o = study.meta().options as ExploreOptions;
  try {
    if (!existsSync(o.settings.data)) throw new OptionError(`the study trains on ${o.settings.data}, which is not there any more; put the data back at that path`);
    if (c.budgetSeconds !== undefined) o.budgetSeconds = c.budgetSeconds;
    if (c.workers !== undefined) { o.workers = positiveInteger(c.workers, 'workers'); o.threads = Math.max(1, Math.floor(cpus().length / o.workers)); }
    if (c.threads !== undefined) o.threads = positiveInteger(c.threads, 'threads');
  } catch (err) {
    study.unlockDriver();
    study.close();
    throw err;
  }
  study.setOptions(o);
  c.onLog?.(`continuing study ${dir}: ${(study.meta().spentSeconds / 3600).toFixed(2)} h spent${o.budgetSeconds ? ` of ${(o.budgetSeconds / 3600).toFixed(2)} h` : ''}`);
  return drive(study, o, dir, c);
}

/** A study's trials and Pareto front at a rung (default: the highest with finished trials), read-only. */
export function studyFront(dir: string, options: { rung?: number } = {}): StudyResult {
  const study = Study.open(studyFile(dir), true);
  try {
    return studyResult(study, options.rung);
  } finally {
    study.close();
  }
}
