// The cmv3 explore arguments that reproduce a study's settings (for the command line in BENCHMARKS.md).
import type { ExploreOptions } from '../src/explore/driver.js';
import type { Space } from '../src/explore/space.js';

export function exploreArgs(space: Space, o: ExploreOptions): string {
  const k = o.constraints, a = [`--space ${space.name}`, `--strategy ${o.strategy}`, ...(o.init && o.init !== 'random' ? [`--init ${o.init}`] : []), `--trials ${o.trials}`, `--population ${o.population}`,
    `--rungs ${o.rungs.map((r) => `${r.epochs}x${r.trainImages}`).join(',')}`, `--eta ${o.eta}`, `--objectives accuracy,${o.objectives.join(',')}`,
    `--target ${o.target}`, `--seed ${o.seed}`, `--validation ${o.settings.validation}`, `--batch-size ${o.settings.batchSize}`,
    `--int8-images ${o.settings.int8Images}`, `--calibration ${o.settings.calibration}`, `--observer ${o.settings.observer}`];
  if (k.maxFlashBytes !== undefined) a.push(`--max-flash ${k.maxFlashBytes}B`);
  if (k.maxSramBytes !== undefined) a.push(`--max-arena ${k.maxSramBytes}B`);
  if (k.maxLatencyMs !== undefined) a.push(`--max-latency ${k.maxLatencyMs}ms`);
  if (k.maxParams !== undefined) a.push(`--max-params ${k.maxParams}`);
  if (o.budgetSeconds !== null) a.push(`--budget ${o.budgetSeconds}s`);
  return a.join(' ');
}
