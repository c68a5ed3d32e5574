// A study's options as stored with it: the costs it can trade against accuracy (and the cost field
// each reads), its fidelities, strategy, limits and trial settings. A module of its own so the
// stores (pg/) read them without importing the driver.
import type { Constraints } from './cost.js';
import type { InitName, StrategyName } from './strategy.js';
import type { TrialSettings } from './trial.js';

export const OBJECTIVES = { flash: 'int8Bytes', sram: 'arenaBytes', latency: 'latencyMs', macs: 'macs', params: 'params' } as const;

/** A cost traded against accuracy: int8 flash, arena (SRAM), estimated latency, MACs or parameters. */
export type CostObjective = keyof typeof OBJECTIVES;

/** One fidelity of successive halving: epochs on a number of training images. */
export interface Rung { epochs: number; trainImages: number }

export interface ExploreOptions {
  strategy: StrategyName;
  /** where random and NSGA-II start (absent in studies made before it existed: random) */
  init?: InitName;
  /** candidates trained at the first rung */
  trials: number;
  /** candidates per generation */
  population: number;
  rungs: Rung[];
  /** successive halving keeps the best 1/eta of a rung for the next (and the base, with random and NSGA-II) */
  eta: number;
  /** what is traded against validation accuracy */
  objectives: CostObjective[];
  constraints: Constraints;
  target: string;
  seed: number;
  budgetSeconds: number | null;
  workers: number;
  threads: number;
  settings: TrialSettings;
  /** seconds without a heartbeat after which a running trial goes to another worker (shared stores; absent: 120) */
  heartbeatTimeout?: number;
}
