// The study driver: fills the queue generation by generation (the strategy proposes, the cost
// model rejects what breaks a constraint), promotes the best of each rung by successive halving,
// watches the budget and prints progress. Every decision is derived from the study file, so a
// driver started again with --resume picks up exactly where the last one stopped.
import { TARGETS } from '../deploy/report.js';
import { SpecError } from '../models/spec.js';
import { LIMITS, staticCost, violations, type Constraints, type StaticCost } from './cost.js';
import { isAlive, LocalWorkers } from './executor.js';
import type { TrialProgress } from './trial.js';
import { nsgaOrder } from './pareto.js';
import { decode, describeGenes, SpaceError, specKey, type Space } from './space.js';
import { baseGenes, makeStrategy, type Scored } from './strategy.js';
import { StudyError, type StudyStore, type Trial } from './store.js';
import type { StorageRef } from './open-store.js';

import { OBJECTIVES, type ExploreOptions } from './options.js';
export { OBJECTIVES, type CostObjective, type ExploreOptions, type Rung } from './options.js';

/** Objectives to minimise for a trained trial: -accuracy, then the costs. */
export const objectiveVector = (t: Trial, o: Pick<ExploreOptions, 'objectives'>): number[] =>
  [-(t.metrics?.valAcc ?? 0), ...o.objectives.map((k) => (t.cost as StaticCost)[OBJECTIVES[k]])];

const finished = (t: Trial) => t.status === 'done' || t.status === 'failed' || t.status === 'rejected';
const fmtTime = (s: number) => `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;

/**
 * A study whose first this-many candidates all break the limits stops with the smallest costs it
 * saw: an impossible --max-flash 1KB otherwise priced 1,317 candidates (4 minutes) one line each.
 */
export const MAX_REJECTIONS_IN_A_ROW = 40;

/** Keeps, per limited cost, the smallest value seen and the candidate that had it. */
function noteSmallest(into: Map<string, { value: number; text: string; label: string }>, c: StaticCost, k: Constraints, label: string): void {
  for (const l of LIMITS) {
    if (k[l.limit] === undefined) continue;
    const value = c[l.cost];
    if (!into.has(l.cost) || value < into.get(l.cost)!.value) into.set(l.cost, { value, text: l.what(value), label });
  }
}

export class Driver {
  private readonly strategy;
  private readonly exhausted = new Set<number>();
  private readonly costs = new Map<string, StaticCost>();

  constructor(private readonly study: StudyStore, private readonly space: Space, private readonly o: ExploreOptions, private readonly log: (l: string) => void) {
    this.strategy = makeStrategy(o.strategy, space, o.seed, o.population, o.init ?? 'random');
  }

  private get generations(): number { return Math.ceil(this.o.trials / this.o.population); }

  /** Adds what can be added now; true when the whole study is finished. */
  async schedule(stop: () => boolean = () => false): Promise<boolean> {
    let trials = await this.study.trials();
    const rung0 = trials.filter((t) => t.rung === 0);
    for (let g = 0; g < this.generations; g++) {
      const quota = Math.min(this.o.population, this.o.trials - g * this.o.population);
      const mine = rung0.filter((t) => t.generation === g && t.status !== 'rejected');
      if (mine.length >= quota || this.exhausted.has(g)) continue;
      const earlier = rung0.filter((t) => t.generation < g);
      if (this.o.strategy === 'nsga2' && !earlier.every(finished)) return false; // breeding needs the parents' results
      if (this.o.strategy !== 'nsga2' && rung0.some((t) => t.status === 'pending') && g > 0) return false; // keep the queue short
      await this.fill(g, quota - mine.length, earlier, stop);
      return false;
    }
    if (!rung0.every(finished)) return false;
    for (let r = 1; r < this.o.rungs.length; r++) {
      trials = await this.study.trials();
      const prev = trials.filter((t) => t.rung === r - 1);
      if (!prev.every(finished)) return false;
      const done = prev.filter((t) => t.status === 'done');
      const keep = nsgaOrder(done.map((t) => objectiveVector(t, this.o))).slice(0, Math.ceil(done.length / this.o.eta)).map((i) => done[i]);
      // Random and NSGA-II train the base as the reference point; it goes on to every rung, so each
      // rung answers "better than the base?" at equal fidelity (grid's first candidate is no base).
      const zero = baseGenes(this.space);
      const base = this.o.strategy === 'grid' ? undefined : done.find((t) => t.genes.every((g, i) => g === zero[i]));
      if (base && !keep.includes(base)) keep.push(base);
      for (const t of keep) await this.study.add({ ...t, rung: r, epochs: this.o.rungs[r].epochs, trainImages: this.o.rungs[r].trainImages, status: 'pending' });
      if (!(await this.study.trials()).filter((t) => t.rung === r).every(finished)) return false;
    }
    return true;
  }

  /** Prices proposals until `want` fit; one turn of the event loop per candidate keeps Ctrl-C and the budget live. */
  private async fill(gen: number, want: number, earlier: Trial[], stop: () => boolean): Promise<void> {
    const history: Scored[][] = [];
    for (const t of earlier) if (t.status === 'done') (history[t.generation] ??= []).push({ genes: t.genes, objectives: objectiveVector(t, this.o) });
    let added = 0, seen = 0, rejectedInARow = 0;
    const smallest = new Map<string, { value: number; text: string; label: string }>();
    const anyFits = async () => (await this.study.trials()).some((t) => t.rung === 0 && t.status !== 'rejected');
    // Genes already in the study, or already looked at here, are skipped before their network is
    // built for its key (tens of ms): late generations propose many repeats.
    const looked = new Set((await this.study.trials()).filter((t) => t.rung === 0).map((t) => t.genes.join(',')));
    for (const genes of this.strategy.propose(gen, history.filter(Boolean))) {
      if (added >= want) return;
      if (++seen > 20000) break;
      await new Promise((r) => setImmediate(r));
      if (stop()) return; // not exhausted: a resumed driver continues this generation
      if (looked.has(genes.join(','))) continue;
      looked.add(genes.join(','));
      let spec, key;
      try {
        spec = decode(this.space, genes);
        key = specKey(spec); // builds the network, which checks what the spec's fields cannot alone
      } catch (err) {
        // choices that make no valid network together (SpecError), or a path only another base has (SpaceError)
        if (err instanceof SpecError || err instanceof SpaceError) continue;
        throw err;
      }
      if (await this.study.get(key, 0)) continue;
      const label = describeGenes(this.space, genes);
      let cost: StaticCost | null = this.costs.get(key) ?? null, why: string[];
      try {
        cost ??= await staticCost(spec, TARGETS[this.o.target]);
        this.costs.set(key, cost);
        why = violations(cost, this.o.constraints);
      } catch (err) {
        why = [`cannot be built for the MCU (${(err as Error).message})`];
      }
      // Inserted with its final status, so no worker can claim a rejected candidate in between.
      const t = await this.study.add({ key, rung: 0, generation: gen, genes, label, spec, epochs: this.o.rungs[0].epochs, trainImages: this.o.rungs[0].trainImages, seed: this.o.seed, status: why.length ? 'rejected' : 'pending', cost });
      if (why.length) {
        await this.study.reject(t.id, why);
        this.log(`rejected ${label}: ${why.join('; ')}`);
        if (cost) noteSmallest(smallest, cost, this.o.constraints, label);
        if (++rejectedInARow >= MAX_REJECTIONS_IN_A_ROW && !(await anyFits())) {
          const seenLine = [...smallest.values()].map((m) => `${m.text} (${m.label})`).join('; ');
          throw new StudyError(`the first ${rejectedInARow} candidates all break the limits and none has fit so far, so likely nothing in space ${this.space.name} can; ` +
            `the smallest seen: ${seenLine || 'none could be priced'}. Relax the limit or use a smaller space`);
        }
      } else { added++; rejectedInARow = 0; }
    }
    this.exhausted.add(gen);
    if (added < want) this.log(`generation ${gen}: the strategy found ${added} of ${want} new candidates that fit the constraints`);
  }

  async progress(spent: number): Promise<string> {
    const all = await this.study.trials(), c = await this.study.counts();
    const top = Math.max(0, ...all.filter((t) => t.status === 'done').map((t) => t.rung));
    const best = all.filter((t) => t.status === 'done' && t.rung === top).sort((a, b) => b.metrics!.valAcc - a.metrics!.valAcc)[0];
    const budget = this.o.budgetSeconds === null ? `${fmtTime(spent)} spent` : `${fmtTime(Math.max(0, this.o.budgetSeconds - spent))} of ${fmtTime(this.o.budgetSeconds)} left`;
    return `explore: ${c.done} done, ${c.running} running, ${c.pending} queued, ${c.rejected} rejected, ${c.failed} failed` +
      (best ? ` | best at rung ${top}: ${(100 * best.metrics!.valAcc).toFixed(2)}% validation, #${best.id} ${best.label}` : '') + ` | ${budget}`;
  }
}

/** Runs a study until it finishes, its budget is spent, or `signal.stop`. Returns the final state. */
export async function runStudy(study: StudyStore, storage: StorageRef, space: Space, o: ExploreOptions, signal: { stop: boolean }, log: (l: string) => void,
  onTrial?: (p: TrialProgress) => void, workDir = '.'): Promise<'finished' | 'budget' | 'stopped'> {
  await study.lockDriver(isAlive);
  await study.setState('running');
  const requeued = await study.requeueOrphans(isAlive);
  if (requeued) log(`${requeued} trial(s) left running by a stopped study go back to the queue (their run folders resume)`);
  const driver = new Driver(study, space, o, log);
  const workers = new LocalWorkers(storage, o.workers, {
    threads: o.threads, topRung: o.rungs.length - 1, settings: o.settings, workDir, log, progress: onTrial,
    onCrash: async (pid, why) => {
      for (const t of await study.trials()) if (t.status === 'running' && t.worker?.endsWith(`:${pid}`)) await study.fail(t.id, t.worker, `worker died (${why})`);
      log(`a worker died (${why}); its trial is marked failed`);
    },
  });
  let last = performance.now(), lastLine = '', lastPrint = 0;
  const tick = async () => { const now = performance.now(); await study.addSpent((now - last) / 1000); last = now; return (await study.meta()).spentSeconds; };
  let state: 'finished' | 'budget' | 'stopped' = 'stopped', ticks = 0;
  try {
    for (;;) {
      const spent = await tick();
      if (signal.stop) break;
      if (o.budgetSeconds !== null && spent >= o.budgetSeconds) { state = 'budget'; break; }
      if (++ticks % 30 === 0) { const n = await study.requeueOrphans(isAlive); if (n) log(`${n} trial(s) of a vanished worker go back to the queue`); }
      // Checked between candidates while pricing: the spent time read at this tick plus the time since.
      const over = () => signal.stop || (o.budgetSeconds !== null && spent + (performance.now() - last) / 1000 >= o.budgetSeconds);
      if (await driver.schedule(over)) { state = 'finished'; break; }
      if (o.workers > 0 && workers.alive() === 0) throw new StudyError('every worker has stopped; see the errors above');
      // A line when something happens (the budget part aside), else one every 5 minutes.
      const line = await driver.progress(spent), what = line.slice(0, line.lastIndexOf(' | '));
      if (what !== lastLine || performance.now() - lastPrint > 300000) { log(line); lastLine = what; lastPrint = performance.now(); }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await workers.stop();
    await study.setState(state);
    log(await driver.progress(await tick()));
    await study.unlockDriver();
  }
  return state;
}
