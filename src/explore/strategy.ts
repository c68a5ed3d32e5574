// How candidates are proposed: grid (every combination in order), random (seeded sampling) and
// NSGA-II (Deb et al. 2002: binary tournaments on rank and crowding, uniform crossover, per-gene
// mutation, elitist survival). A proposal is only genes; the driver prices and trains it.
import { Rng } from '../nn/random.js';
import { rankAndCrowding, nsgaOrder } from './pareto.js';
import { gridGenes, spaceSize, type Space } from './space.js';

export const STRATEGIES = ['grid', 'random', 'nsga2'] as const;
/** How candidates are proposed: every one in order (grid), at random, or by NSGA-II. */
export type StrategyName = (typeof STRATEGIES)[number];

/**
 * Where random and NSGA-II start: anywhere in the space (`random`), or close to its base (`base`:
 * the base, then mutants with 1 to 3 of its choices changed). In a large space a random candidate
 * changes most of the base's choices at once; a search for a network better than the base at its
 * own cost starts among its neighbours.
 */
export const INITS = ['random', 'base'] as const;
/** Where random and NSGA-II start: anywhere in the space, or the base network and mutants of it. */
export type InitName = (typeof INITS)[number];

export interface Scored {
  genes: number[];
  /** objectives to minimise */
  objectives: number[];
}

/**
 * Candidates for generation `gen`, given the scored candidates of earlier generations, as a lazy
 * sequence: the driver skips the ones the study already holds and stops reading when it has enough.
 * A finite sequence means the strategy has no more (grid exhausted).
 */
export interface Strategy {
  propose(gen: number, history: Scored[][]): Iterable<number[]>;
}

const TRIES = 100000;

export const randomGenes = (s: Space, rng: Rng): number[] => s.dims.map((d) => rng.int(d.choices.length));

/** Every dimension at its first choice (in the presets, the base network unchanged). Random and NSGA-II studies
 * propose it first, so each study measures its starting point at its own fidelity. */
export const baseGenes = (s: Space): number[] => s.dims.map(() => 0);

/** Seeds differ per generation so resuming re-derives the same proposals from the same results. */
const genRng = (seed: number, gen: number) => new Rng((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(gen + 1, 0x85ebca6b)) >>> 0);

/** Every combination in order; the driver skips the ones already in the study. */
export function gridStrategy(space: Space): Strategy {
  return {
    *propose() {
      const total = spaceSize(space);
      for (let i = 0; i < total; i++) yield gridGenes(space, i);
    },
  };
}

/** The base with 1 to 3 of its dimensions (distinct, each with more than one choice) set to another choice. */
export function baseMutant(s: Space, rng: Rng): number[] {
  const genes = baseGenes(s), free = s.dims.map((d, i) => (d.choices.length > 1 ? i : -1)).filter((i) => i >= 0);
  for (let k = 1 + rng.int(3); k > 0 && free.length; k--) {
    const i = free.splice(rng.int(free.length), 1)[0];
    genes[i] = 1 + rng.int(s.dims[i].choices.length - 1);
  }
  return genes;
}

/** Generation 0's proposals: the base first, then random candidates or mutants of the base. */
function* firstGeneration(space: Space, rng: Rng, init: InitName): Iterable<number[]> {
  yield baseGenes(space);
  for (let tries = 0; tries < TRIES; tries++) yield init === 'base' ? baseMutant(space, rng) : randomGenes(space, rng);
}

export function randomStrategy(space: Space, seed: number, init: InitName = 'random'): Strategy {
  return {
    *propose(gen) {
      const rng = genRng(seed, gen);
      if (gen === 0) { yield* firstGeneration(space, rng, init); return; }
      for (let tries = 0; tries < TRIES; tries++) yield init === 'base' ? baseMutant(space, rng) : randomGenes(space, rng);
    },
  };
}

/**
 * NSGA-II. Generation 0 is the base and random candidates (or its mutants, `init` base); each later one breeds offspring from the survivors of all
 * earlier generations (the best `population` by rank and crowding: elitism over parents + children).
 */
export function nsga2Strategy(space: Space, seed: number, population: number, init: InitName = 'random'): Strategy {
  return {
    *propose(gen, history) {
      const rng = genRng(seed, gen);
      if (gen === 0) { yield* firstGeneration(space, rng, init); return; }
      const all = history.flat();
      const order = nsgaOrder(all.map((c) => c.objectives)).slice(0, population);
      const parents = order.map((i) => all[i]);
      if (parents.length === 0) return;
      const { rank, crowd } = rankAndCrowding(parents.map((p) => p.objectives));
      const tournament = (): number[] => {
        const a = rng.int(parents.length), b = rng.int(parents.length);
        const better = rank[a] < rank[b] || (rank[a] === rank[b] && crowd[a] >= crowd[b]) ? a : b;
        return parents[better].genes;
      };
      const pm = 1 / space.dims.length;
      for (let tries = 0; tries < TRIES; tries++) {
        const p1 = tournament(), p2 = tournament();
        const child = p1.map((g, k) => (rng.next() < 0.5 ? g : p2[k]));
        let mutated = false;
        child.forEach((_, k) => {
          if (rng.next() < pm && space.dims[k].choices.length > 1) { child[k] = (child[k] + 1 + rng.int(space.dims[k].choices.length - 1)) % space.dims[k].choices.length; mutated = true; }
        });
        if (!mutated) { // a child equal to a parent teaches nothing: change one gene at least
          const k = rng.int(space.dims.length);
          if (space.dims[k].choices.length > 1) child[k] = (child[k] + 1 + rng.int(space.dims[k].choices.length - 1)) % space.dims[k].choices.length;
        }
        yield child;
      }
    },
  };
}

export function makeStrategy(name: StrategyName, space: Space, seed: number, population: number, init: InitName = 'random'): Strategy {
  if (name === 'grid') return gridStrategy(space);
  if (name === 'random') return randomStrategy(space, seed, init);
  return nsga2Strategy(space, seed, population, init);
}
