// Readers for cmv3 explore's values: sizes (256KB), durations (2h30m), latencies (100ms), fidelity
// rungs (3x20000,9x45000), objective lists, and the space argument (a preset name or a JSON file).
import { existsSync, readFileSync } from 'node:fs';
import { parseJson } from '../json.js';
import { OBJECTIVES, type CostObjective, type Rung } from '../explore/driver.js';
import { SPACES } from '../explore/presets.js';
import { SpaceError, validateSpace, type Space } from '../explore/space.js';
import { UsageError } from './args.js';

const fail = (what: string, name: string, got: string): never => { throw new UsageError(`Expected ${what} for --${name} but received ${JSON.stringify(got)}`); };

/** "256KB", "1.5MB", "200K", "262144" -> bytes (KB = 1024 bytes). */
export function parseBytes(v: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|K|KB|KiB|M|MB|MiB)?$/i.exec(v.trim());
  if (!m) return fail('a size such as 256KB or 1MB', name, v);
  const unit = (m[2] ?? 'B').toUpperCase()[0];
  return Math.round(Number(m[1]) * (unit === 'K' ? 1024 : unit === 'M' ? 1024 * 1024 : 1));
}

/** "2h", "90m", "1h30m", "45s", "3600" (seconds) -> seconds. */
export function parseDuration(v: string, name: string): number {
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(s);
  if (!m || s === '' || !(m[1] || m[2] || m[3])) return fail('a duration such as 2h, 90m or 1h30m', name, v);
  const secs = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return secs > 0 ? secs : fail('a positive duration', name, v);
}

/** "100ms", "0.5s", "100" (ms) -> milliseconds. */
export function parseLatency(v: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(v.trim());
  if (!m || Number(m[1]) <= 0) return fail('a latency such as 100ms', name, v);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

/** "3x20000,9x45000": epochs x training images per rung (the API checks that they fit and grow). */
export function parseRungs(v: string): Rung[] {
  return v.split(',').map((part) => {
    const m = /^(\d+)x(\d+)$/.exec(part.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) return fail('EPOCHSxIMAGES[,EPOCHSxIMAGES...] such as 3x20000,9x45000', 'rungs', v);
    return { epochs: Number(m[1]), trainImages: Number(m[2]) };
  });
}

export function parseObjectives(v: string): CostObjective[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== 'accuracy');
  for (const o of list) if (!Object.hasOwn(OBJECTIVES, o)) fail(`accuracy plus any of ${Object.keys(OBJECTIVES).join(', ')}`, 'objectives', v);
  if (!list.length) fail(`at least one cost (${Object.keys(OBJECTIVES).join(', ')}) to trade accuracy against`, 'objectives', v);
  return [...new Set(list)] as CostObjective[];
}

/** A preset name or a path to a space .json. */
export function loadSpace(arg: string): Space {
  if (Object.hasOwn(SPACES, arg)) return structuredClone(SPACES[arg]);
  if (!existsSync(arg)) throw new UsageError(`unknown space '${arg}'; use one of ${Object.keys(SPACES).join(', ')} or a path to a space .json (cmv3 explore --dump-space cmv3-neighbourhood > my-space.json)`);
  let json: unknown;
  try {
    json = parseJson(readFileSync(arg, 'utf8'), `space file ${arg}`);
  } catch (err) {
    throw new SpaceError((err as Error).message);
  }
  return validateSpace(json);
}
