// cmv3 explore: design space exploration into a study folder (study.sqlite + trials/), resumable;
// cmv3 explore show: its Pareto front as a table, JSON and SVG.
import { dirname, join } from 'node:path';
import { migrateStudy, runWorker } from '../api/explore-storage.js';
import { safeUrl } from '../explore/pg/connect.js';
import { explore, resumeStudy, studyFile, studyFront, type ExploreSettings, type StudyCallOptions, type StudyRun } from '../api/explore.js';
import type { Observer } from '../deploy/calibrate.js';
import { SPACES } from '../explore/presets.js';
import { frontSvg, formatFront } from '../explore/show.js';
import { decode, genesOfLabel, spaceSize, validateSpace, type Space } from '../explore/space.js';
import { INITS, STRATEGIES, type InitName, type StrategyName } from '../explore/strategy.js';
import type { TrialProgress } from '../explore/trial.js';
import { writeAtomic } from '../io/write-file.js';
import { formatDuration } from '../train/time-to.js';
import { numberOption, parse, positiveInt, UsageError } from './args.js';
import { dataDir, stopOnSigint } from './common.js';
import { loadSpace, parseBytes, parseDuration, parseLatency, parseObjectives, parseRungs } from './explore-options.js';

export const EXPLORE_USAGE = `usage: cmv3 explore --space NAME|space.json --out studies/NAME [--strategy grid|random|nsga2] [--init random|base] [--trials N] [--population P]
                    [--rungs 2x20000,8x45000] [--eta 3] [--objectives accuracy,flash,latency]
                    [--max-flash 256KB] [--max-arena 160KB] [--max-latency 100ms] [--max-params N] [--target imxrt1060|stm32h7]
                    [--budget 2h] [--workers N] [--threads T] [--seed S] [--data DIR] [--validation 5000]
                    [--limit-test N] [--int8-images 1000] [--calibration 100] [--observer minmax|percentile|mse] [--batch-size 128]
       cmv3 explore --resume studies/NAME [--budget 3h] [--workers N] [--threads T]
       cmv3 explore show studies/NAME [--rung R] [--all] [--json] [--svg FILE]
  across machines (PostgreSQL, Optuna's schema; password from PGPASSWORD or ~/.pgpass):
       cmv3 explore --space NAME --storage postgresql://USER@HOST:PORT/DB --study NAME [--workers N (0: driver only)] [...as above]
       cmv3 explore worker --storage URL --study NAME [--threads T] [--data DIR] [--work-dir DIR]   (on any machine)
       cmv3 explore --resume URL --study NAME | show --storage URL --study NAME | migrate studies/NAME --storage URL [--study NAME]
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
  storage: { type: 'string' }, study: { type: 'string' }, 'work-dir': { type: 'string' }, 'heartbeat-timeout': { type: 'string' },
} as const;

/** The flags as the library's study settings (sizes, durations and lists parsed here, with --flag messages). */
function settingsOf(v: Record<string, string | boolean | undefined>, space: Space): ExploreSettings {
  const str = (k: string) => v[k] as string | undefined;
  const int = (k: string) => numberOption(v[k], k, positiveInt, 'a positive integer');
  const choice = (k: string, allowed: readonly string[]) => {
    if (v[k] !== undefined && !allowed.includes(v[k] as string)) throw new UsageError(`Expected ${allowed.join('|')} for --${k} but received ${JSON.stringify(v[k])}`);
  };
  choice('strategy', STRATEGIES);
  choice('init', INITS);
  if (v.init === 'base' && v.strategy === 'grid') throw new UsageError('--init base is for --strategy random or nsga2 (grid visits every candidate in order)');
  return {
    space, out: str('out'), storage: str('storage'), study: str('study'), workDir: str('work-dir'),
    heartbeatTimeout: numberOption(v['heartbeat-timeout'], 'heartbeat-timeout', (n) => n >= 2, 'at least 2 seconds'), strategy: str('strategy') as StrategyName | undefined, init: str('init') as InitName | undefined,
    trials: int('trials'), population: int('population'), rungs: str('rungs') === undefined ? undefined : parseRungs(str('rungs')!),
    eta: numberOption(v.eta, 'eta', (n) => n > 1, 'a number above 1'),
    objectives: str('objectives') === undefined ? undefined : parseObjectives(str('objectives')!),
    maxFlashBytes: str('max-flash') === undefined ? undefined : parseBytes(str('max-flash')!, 'max-flash'),
    maxArenaBytes: str('max-arena') === undefined ? undefined : parseBytes(str('max-arena')!, 'max-arena'),
    maxLatencyMs: str('max-latency') === undefined ? undefined : parseLatency(str('max-latency')!, 'max-latency'),
    maxParams: int('max-params'), target: str('target'),
    seed: numberOption(v.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'),
    budgetSeconds: str('budget') === undefined ? undefined : parseDuration(str('budget')!, 'budget'),
    workers: v.workers === '0' && str('storage')?.startsWith('postgres') ? 0 : int('workers'), threads: int('threads'), data: dataDir(str('data')),
    validation: numberOption(v.validation, 'validation', (n) => Number.isInteger(n) && n >= 100 && n < 25000, 'an integer from 100 to 24999'),
    batchSize: int('batch-size'), limitTest: int('limit-test'),
    int8Images: numberOption(v['int8-images'], 'int8-images', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'),
    calibration: int('calibration'), observer: str('observer') as Observer | undefined,
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

/** A study call with Ctrl-C, the status line and the closing table, front plot and hints. */
async function run(call: (c: StudyCallOptions) => Promise<StudyRun>): Promise<void> {
  const { signal, dispose } = stopOnSigint('stopping the study; running trials save their progress (continue with --resume)');
  const status = trialStatusLine();
  try {
    const { dir, state, budgetSeconds, result: res, storage } = await call({ onLog: status.log, onTrial: status.update, signal: { get aborted() { return signal.stop; } } }).finally(status.clear);
    const svg = join(dir, 'front.svg');
    if (res.trials.some((t) => t.status === 'done')) { writeAtomic(svg, frontSvg(res)); console.log(`\n${formatFront(res, false, storage ?? dir)}\nfront plot: ${svg}`); }
    const again = storage ? `cmv3 explore --resume ${safeUrl(storage.url)} --study ${storage.study}` : `cmv3 explore --resume ${dir}`;
    if (state === 'budget') { const b = budgetSeconds ?? 0; console.log(`budget spent (${(b / 3600).toFixed(2)} h); continue with: ${again} --budget <a total above ${(b / 3600).toFixed(2)}h>`); process.exitCode = 3; }
    if (state === 'stopped') { console.log(`stopped; continue with: ${again}`); process.exitCode = 130; }
  } finally {
    dispose();
  }
}

export async function exploreCommand(argv: string[]): Promise<void> {
  if (argv[0] === 'show') return showCommand(argv.slice(1));
  if (argv[0] === 'candidate') return candidateCommand(argv.slice(1));
  if (argv[0] === 'worker') return workerCommand(argv.slice(1));
  if (argv[0] === 'migrate') return migrateCommand(argv.slice(1));
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
    const extra = Object.keys(v).filter((k) => !['resume', 'budget', 'workers', 'threads', 'study', 'work-dir'].includes(k));
    if (extra.length) throw new UsageError(`--resume continues a study with its own settings; only --budget, --workers and --threads may change (drop --${extra.join(', --')})`);
    const budgetSeconds = v.budget === undefined ? undefined : parseDuration(v.budget as string, 'budget');
    const shared = /^postgres(ql)?:/i.test(v.resume as string);
    const workers = v.workers === '0' && shared ? 0 : numberOption(v.workers, 'workers', positiveInt, 'a positive integer');
    const threads = numberOption(v.threads, 'threads', positiveInt, 'a positive integer');
    return run((c) => resumeStudy(v.resume as string, { ...c, study: v.study as string | undefined, workDir: v['work-dir'] as string | undefined, budgetSeconds, workers, threads }));
  }
  if (v.space === undefined) throw new UsageError(`--space is required (one of ${Object.keys(SPACES).join(', ')} or a space .json)\n${EXPLORE_USAGE}`);
  const space = validateSpace(loadSpace(v.space as string));
  const settings = settingsOf(v, space);
  return run((c) => explore({ ...settings, ...c }));
}

export const SHOW_USAGE = 'usage: cmv3 explore show studies/NAME | --storage postgresql://USER@HOST:PORT/DB --study NAME [--rung R] [--all] [--json] [--svg FILE]';

async function showCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(argv, { rung: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' }, svg: { type: 'string' }, storage: { type: 'string' }, study: { type: 'string' } }, SHOW_USAGE);
  if (v.help) return; // parse() printed the help
  const rung = numberOption(v.rung, 'rung', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
  let res, place: string | { url: string; study: string };
  if (v.storage !== undefined) {
    if (positionals.length) throw new UsageError(`--storage names the study; drop the folder ${positionals[0]}\n${SHOW_USAGE}`);
    if (v.study === undefined && !(v.storage as string).startsWith('sqlite:')) throw new UsageError(`--storage postgresql://... needs --study NAME\n${SHOW_USAGE}`);
    res = await studyFront(v.storage as string, { rung, study: v.study as string });
    const st = v.storage as string;
    place = st.startsWith('sqlite:') ? dirname(st.slice('sqlite:'.length)) : { url: st, study: v.study as string };
  } else {
    if (positionals.length !== 1) throw new UsageError(`Expected one study folder but received ${positionals.length}\n${SHOW_USAGE}`);
    const file = studyFile(positionals[0]);
    res = await studyFront(file, { rung });
    place = dirname(file);
  }
  if (v.svg !== undefined) writeAtomic(v.svg as string, frontSvg(res));
  if (v.json) console.log(JSON.stringify(res));
  else console.log(formatFront(res, Boolean(v.all), place));
}

export const WORKER_USAGE = 'usage: cmv3 explore worker --storage postgresql://USER@HOST:PORT/DB --study NAME [--threads T] [--data DIR] [--work-dir DIR]';

/** A worker on this machine for a study on PostgreSQL; Ctrl-C hands its trial back with its progress. */
async function workerCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(argv, { storage: { type: 'string' }, study: { type: 'string' }, threads: { type: 'string' }, data: { type: 'string' }, 'work-dir': { type: 'string' } }, WORKER_USAGE);
  if (v.help) return; // parse() printed the help
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'\n${WORKER_USAGE}`);
  if (v.storage === undefined || v.study === undefined) throw new UsageError(`a worker needs --storage and --study\n${WORKER_USAGE}`);
  const { signal, dispose } = stopOnSigint('stopping the worker; its trial goes back to the queue with its progress');
  const status = trialStatusLine();
  try {
    await runWorker({ storage: v.storage as string, study: v.study as string, data: v.data as string | undefined, workDir: v['work-dir'] as string | undefined,
      threads: numberOption(v.threads, 'threads', positiveInt, 'a positive integer'), onLog: status.log, onTrial: status.update,
      signal: { get aborted() { return signal.stop; } } }).finally(status.clear);
    if (signal.stop) process.exitCode = 130;
  } finally {
    dispose();
  }
}

export const MIGRATE_USAGE = 'usage: cmv3 explore migrate studies/NAME --storage postgresql://USER@HOST:PORT/DB [--study NAME]';

async function migrateCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(argv, { storage: { type: 'string' }, study: { type: 'string' } }, MIGRATE_USAGE);
  if (v.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one study folder but received ${positionals.length}\n${MIGRATE_USAGE}`);
  if (v.storage === undefined) throw new UsageError(`migrate needs --storage postgresql://...\n${MIGRATE_USAGE}`);
  const r = await migrateStudy(positionals[0], { storage: v.storage as string, study: v.study as string | undefined, onLog: (l) => console.log(l) });
  console.log(`continue it with: cmv3 explore --resume ${safeUrl(v.storage as string)} --study ${r.study} (and cmv3 explore worker on other machines)`);
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
