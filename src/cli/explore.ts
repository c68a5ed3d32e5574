// cmv3 explore: design space exploration into a study folder (study.sqlite + trials/), resumable;
// cmv3 explore show: its Pareto front as a table, JSON and SVG.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { OBSERVERS, type Observer } from '../deploy/calibrate.js';
import { TARGETS } from '../deploy/report.js';
import { runStudy, type ExploreOptions } from '../explore/driver.js';
import type { TrialProgress } from '../explore/trial.js';
import { formatDuration } from '../train/time-to.js';
import { isAlive } from '../explore/executor.js';
import { SPACES } from '../explore/presets.js';
import { frontSvg, formatFront, studyResult } from '../explore/show.js';
import { decode, genesOfLabel, spaceSize, validateSpace, type Space } from '../explore/space.js';
import { INITS, STRATEGIES, type InitName, type StrategyName } from '../explore/strategy.js';
import { Study, StudyError } from '../explore/store.js';
import { writeAtomic } from '../io/write-file.js';
import { numberOption, parse, positiveInt, UsageError } from './args.js';
import { dataDir, stopOnSigint } from './common.js';
import { loadSpace, parseBytes, parseDuration, parseLatency, parseObjectives, parseRungs } from './explore-options.js';
import { makeDir } from '../io/make-dir.js';

export const EXPLORE_USAGE = `usage: cmv3 explore --space NAME|space.json --out studies/NAME [--strategy grid|random|nsga2] [--init random|base] [--trials N] [--population P]
                    [--rungs 2x20000,8x45000] [--eta 3] [--objectives accuracy,flash,latency]
                    [--max-flash 256KB] [--max-arena 160KB] [--max-latency 100ms] [--max-params N] [--target imxrt1060|stm32h7]
                    [--budget 2h] [--workers N] [--threads T] [--seed S] [--data DIR] [--validation 5000]
                    [--limit-test N] [--int8-images 1000] [--calibration 100] [--observer minmax|percentile|mse] [--batch-size 128]
       cmv3 explore --resume studies/NAME [--budget 3h] [--workers N] [--threads T]
       cmv3 explore show studies/NAME [--rung R] [--all] [--json] [--svg FILE]
       cmv3 explore spaces | --dump-space NAME
       cmv3 explore candidate NAME|space.json "LABEL" [-o spec.json]   (a candidate's network spec, to train with cmv3 train --model)
  spaces: ${Object.keys(SPACES).join(', ')}; --max-flash limits the int8 .tflite, --max-arena the planned tensor arena (SRAM),
  --max-latency the estimated latency on --target (cmv3 report's cost model). Over-limit candidates are rejected untrained.
  Rungs are successive halving's fidelities (epochs x training images); the best 1/eta of each rung go on to the next.
  --init base starts random and NSGA-II from the base network and mutants of it (1-3 choices changed) instead of anywhere.`;

const OPTIONS = {
  space: { type: 'string' }, out: { type: 'string' }, strategy: { type: 'string' }, init: { type: 'string' }, trials: { type: 'string' }, population: { type: 'string' },
  rungs: { type: 'string' }, eta: { type: 'string' }, objectives: { type: 'string' }, 'max-flash': { type: 'string' }, 'max-arena': { type: 'string' }, 'max-sram': { type: 'string', renamed: 'max-arena' },
  'max-latency': { type: 'string' }, 'max-params': { type: 'string' }, target: { type: 'string' }, budget: { type: 'string' },
  workers: { type: 'string' }, threads: { type: 'string' }, seed: { type: 'string' }, data: { type: 'string' }, validation: { type: 'string' },
  'int8-images': { type: 'string' }, calibration: { type: 'string' }, observer: { type: 'string' }, 'batch-size': { type: 'string' },
  'limit-test': { type: 'string' }, 'test-images': { type: 'string', renamed: 'limit-test' }, resume: { type: 'string' }, 'dump-space': { type: 'string' },
} as const;

/** A study folder or its study.sqlite -> the .sqlite path (checked to exist). */
export function studyFile(arg: string): string {
  const file = existsSync(arg) && statSync(arg).isDirectory() ? join(arg, 'study.sqlite') : arg;
  if (!existsSync(file)) throw new StudyError(`${arg}: no such study (expected a folder made by cmv3 explore --out, holding study.sqlite)`);
  return file;
}

const CIFAR_TRAIN = 50000;

function newOptions(v: Record<string, string | boolean | undefined>, space: Space): ExploreOptions {
  const str = (k: string) => v[k] as string | undefined;
  const size = spaceSize(space);
  const strategy = (str('strategy') ?? (size <= 64 ? 'grid' : 'nsga2')) as StrategyName;
  if (!STRATEGIES.includes(strategy)) throw new UsageError(`Expected ${STRATEGIES.join('|')} for --strategy but received ${JSON.stringify(strategy)}`);
  const init = (str('init') ?? 'random') as InitName;
  if (!INITS.includes(init)) throw new UsageError(`Expected ${INITS.join('|')} for --init but received ${JSON.stringify(init)}`);
  if (init === 'base' && strategy === 'grid') throw new UsageError('--init base is for --strategy random or nsga2 (grid visits every candidate in order)');
  const trials = numberOption(v.trials, 'trials', positiveInt, 'a positive integer') ?? (strategy === 'grid' ? Math.min(size, 64) : 24);
  const population = numberOption(v.population, 'population', positiveInt, 'a positive integer') ?? (strategy === 'nsga2' ? Math.min(trials, 8) : trials);
  const validation = numberOption(v.validation, 'validation', (n) => Number.isInteger(n) && n >= 100 && n < CIFAR_TRAIN / 2, 'an integer from 100 to 24999') ?? 5000;
  const target = str('target') ?? 'imxrt1060';
  if (!Object.hasOwn(TARGETS, target)) throw new UsageError(`Expected one of ${Object.keys(TARGETS).join(', ')} for --target but received ${JSON.stringify(target)}`);
  const observer = (str('observer') ?? 'minmax') as Observer;
  if (!OBSERVERS.includes(observer)) throw new UsageError(`Expected one of ${OBSERVERS.join(', ')} for --observer but received ${JSON.stringify(observer)}`);
  const workers = numberOption(v.workers, 'workers', positiveInt, 'a positive integer') ?? 1;
  return {
    strategy, init, trials, population,
    rungs: parseRungs(str('rungs') ?? `2x20000,8x${CIFAR_TRAIN - validation}`, CIFAR_TRAIN - validation),
    eta: numberOption(v.eta, 'eta', (n) => n > 1, 'a number above 1') ?? 3,
    objectives: parseObjectives(str('objectives') ?? 'accuracy,flash'),
    constraints: {
      maxFlashBytes: str('max-flash') === undefined ? undefined : parseBytes(str('max-flash')!, 'max-flash'),
      maxSramBytes: str('max-arena') === undefined ? undefined : parseBytes(str('max-arena')!, 'max-arena'),
      maxLatencyMs: str('max-latency') === undefined ? undefined : parseLatency(str('max-latency')!, 'max-latency'),
      maxParams: numberOption(v['max-params'], 'max-params', positiveInt, 'a positive integer'),
    },
    target,
    seed: numberOption(v.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer') ?? 1,
    budgetSeconds: str('budget') === undefined ? null : parseDuration(str('budget')!, 'budget'),
    workers,
    threads: numberOption(v.threads, 'threads', positiveInt, 'a positive integer') ?? Math.max(1, Math.floor(cpus().length / workers)),
    settings: {
      data: resolve(dataDir(str('data'))), batchSize: numberOption(v['batch-size'], 'batch-size', positiveInt, 'a positive integer') ?? 128,
      validation, testImages: numberOption(v['limit-test'], 'limit-test', positiveInt, 'a positive integer') ?? null,
      int8Images: numberOption(v['int8-images'], 'int8-images', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer') ?? 1000,
      calibration: numberOption(v.calibration, 'calibration', positiveInt, 'a positive integer') ?? 100, observer,
    },
  };
}

/**
 * On a terminal, one status line under the log: each running trial's epoch, step and time left
 * (from its worker, once a second); log lines print above it. Piped output gets the log alone.
 */
function trialStatusLine(): { log: (l: string) => void; update?: (p: TrialProgress) => void; clear: () => void } {
  const clear = () => { if (drawn) process.stderr.write('\r\x1b[K'); drawn = false; };
  const log = (l: string) => { clear(); console.log(l); };
  let drawn = false;
  if (!process.stderr.isTTY || process.env.CMV3_QUIET === '1') return { log, clear };
  const running = new Map<number, TrialProgress & { at: number }>();
  const update = (p: TrialProgress) => {
    const now = performance.now();
    running.set(p.trial, { ...p, at: now });
    for (const [id, r] of running) if (now - r.at > 10000) running.delete(id); // finished or stopped
    const parts = [...running.values()].map((r) => `#${r.trial} epoch ${r.epoch + 1}/${r.epochs} step ${r.batch + 1}/${r.batches}, ~${formatDuration(r.etaSeconds)} left`);
    process.stderr.write(`\r\x1b[K${parts.join(' | ')}`);
    drawn = true;
  };
  return { log, update, clear };
}

async function run(study: Study, o: ExploreOptions, dir: string): Promise<void> {
  const { signal, dispose } = stopOnSigint('stopping the study; running trials save their progress (continue with --resume)');
  try {
    const status = trialStatusLine();
    const state = await runStudy(study, study.meta().space as Space, o, signal, status.log, status.update).finally(status.clear);
    const res = studyResult(study);
    const svg = join(dir, 'front.svg');
    if (res.trials.some((t) => t.status === 'done')) { writeAtomic(svg, frontSvg(res)); console.log(`\n${formatFront(res, false, dir)}\nfront plot: ${svg}`); }
    if (state === 'budget') { console.log(`budget spent (${(o.budgetSeconds! / 3600).toFixed(2)} h); continue with: cmv3 explore --resume ${dir} --budget <a total above ${(o.budgetSeconds! / 3600).toFixed(2)}h>`); process.exitCode = 3; }
    if (state === 'stopped') { console.log(`stopped; continue with: cmv3 explore --resume ${dir}`); process.exitCode = 130; }
  } finally {
    dispose();
    study.close();
  }
}

export async function exploreCommand(argv: string[]): Promise<void> {
  if (argv[0] === 'show') return showCommand(argv.slice(1));
  if (argv[0] === 'candidate') return candidateCommand(argv.slice(1));
  if (argv[0] === 'spaces') {
    const count = (n: number) => (n < 1e6 ? n.toLocaleString('en-US') : n.toExponential(1));
    for (const s of Object.values(SPACES)) console.log(`${s.name.padEnd(20)} ${count(spaceSize(s)).padStart(8)} candidates  ${s.description ?? ''}`);
    return;
  }
  const { values: v, positionals } = parse(argv, OPTIONS, EXPLORE_USAGE);
  if (v.help) return; // parse() printed the help
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'\n${EXPLORE_USAGE}`);
  if (v['dump-space'] !== undefined) { console.log(JSON.stringify(validateSpace(loadSpace(v['dump-space'] as string)), null, 2)); return; }
  if (v.resume !== undefined) {
    const extra = Object.keys(v).filter((k) => !['resume', 'budget', 'workers', 'threads'].includes(k));
    if (extra.length) throw new UsageError(`--resume continues a study with its own settings; only --budget, --workers and --threads may change (drop --${extra.join(', --')})`);
    const budget = v.budget === undefined ? undefined : parseDuration(v.budget as string, 'budget');
    const workers = numberOption(v.workers, 'workers', positiveInt, 'a positive integer');
    const threads = numberOption(v.threads, 'threads', positiveInt, 'a positive integer');
    const dir = v.resume as string, study = Study.open(studyFile(dir));
    study.lockDriver(isAlive); // before touching its options: another driver may be running it
    const o = study.meta().options as ExploreOptions;
    if (!existsSync(o.settings.data)) { study.unlockDriver(); study.close(); throw new UsageError(`the study trains on ${o.settings.data}, which is not there any more; put the data back at that path`); }
    if (budget !== undefined) o.budgetSeconds = budget;
    if (workers !== undefined) { o.workers = workers; o.threads = Math.max(1, Math.floor(cpus().length / workers)); }
    if (threads !== undefined) o.threads = threads;
    study.setOptions(o);
    console.log(`continuing study ${dir}: ${(study.meta().spentSeconds / 3600).toFixed(2)} h spent${o.budgetSeconds ? ` of ${(o.budgetSeconds / 3600).toFixed(2)} h` : ''}`);
    return run(study, o, dir);
  }
  if (v.space === undefined) throw new UsageError(`--space is required (one of ${Object.keys(SPACES).join(', ')} or a space .json)\n${EXPLORE_USAGE}`);
  const space = validateSpace(loadSpace(v.space as string));
  const o = newOptions(v, space);
  if (!existsSync(join(o.settings.data, 'data_batch_1.bin'))) throw new UsageError(`no CIFAR-10 training data in ${o.settings.data}; pass --data DIR (or set CMV3_DATA), or run: cmv3 data fetch cifar10`);
  const dir = (v.out as string | undefined) ?? `studies/${space.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
  if (existsSync(join(dir, 'study.sqlite'))) throw new UsageError(`${dir} already holds a study; continue it with --resume ${dir} or choose another --out`);
  if (existsSync(dir) && readdirSync(dir).length) throw new UsageError(`--out ${dir} exists and is not empty; choose another --out`);
  makeDir(dir);
  const study = Study.create(join(dir, 'study.sqlite'), o, space);
  console.log(`study ${dir}: space ${space.name} (${spaceSize(space).toLocaleString('en-US')} candidates), ${o.strategy}${o.init === 'base' ? ' from the base' : ''}, ${o.trials} trials at rung 0, rungs ${o.rungs.map((r) => `${r.epochs}x${r.trainImages}`).join(', ')} (eta ${o.eta}), ${o.workers} worker(s) x ${o.threads} thread(s)`);
  return run(study, o, dir);
}

export const SHOW_USAGE = 'usage: cmv3 explore show studies/NAME [--rung R] [--all] [--json] [--svg FILE]';

async function showCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(argv, { rung: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' }, svg: { type: 'string' } }, SHOW_USAGE);
  if (v.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one study folder but received ${positionals.length}\n${SHOW_USAGE}`);
  const file = studyFile(positionals[0]);
  const study = Study.open(file);
  try {
    const res = studyResult(study, numberOption(v.rung, 'rung', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'));
    if (v.svg !== undefined) writeAtomic(v.svg as string, frontSvg(res));
    if (v.json) console.log(JSON.stringify(res));
    else console.log(formatFront(res, Boolean(v.all), dirname(file)));
  } finally {
    study.close();
  }
}

export const CANDIDATE_USAGE = 'usage: cmv3 explore candidate NAME|space.json "LABEL" [-o spec.json]   (LABEL as the study tables print it, e.g. "b0.act=relu6 b2.act=relu6", or base)';

/** A candidate's spec from its space and label, so it can be retrained without its study. */
async function candidateCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(argv, { output: { type: 'string', short: 'o' } }, CANDIDATE_USAGE);
  if (v.help) return; // parse() printed the help
  if (positionals.length !== 2) throw new UsageError(`Expected a space and a candidate label but received ${positionals.length} argument(s)\n${CANDIDATE_USAGE}`);
  const space = validateSpace(loadSpace(positionals[0]));
  const json = JSON.stringify(decode(space, genesOfLabel(space, positionals[1])), null, 2) + '\n';
  if (v.output === undefined) { process.stdout.write(json); return; }
  writeAtomic(v.output as string, json);
  console.log(`wrote ${v.output}; train it with: cmv3 train --model ${v.output}`);
}
