// A search space is data: a base network and a list of dimensions, each a list of choices; a
// choice sets fields of the spec by path ("width", "blocks.3.kernel", "blocks.*.act") or swaps the
// base model. A candidate is one choice index per dimension (its genes).
import { createHash } from 'node:crypto';
import { referenceBackend } from '../backend/reference.js';
import { buildNetwork } from '../models/build.js';
import { BUILTIN_SPECS } from '../models/builtin.js';
import { SpecError, validateSpec, type NetworkSpec } from '../models/spec.js';

export interface Choice {
  /** short name shown in tables; defaults to the values it sets */
  label?: string;
  /** start from this built-in model instead of the space's base (at most one dimension may do this) */
  model?: string;
  /** spec fields to set: path -> value; '*' in a path means every item of that array */
  set?: Record<string, unknown>;
}

export interface Dim {
  name: string;
  choices: Choice[];
}

/** A design space as data: a base network and dimensions of choices that set spec fields by path. */
export interface Space {
  name: string;
  description?: string;
  /** a built-in model name or a full spec */
  base: string | NetworkSpec;
  dims: Dim[];
  /** published figures for some candidates, keyed by their description (describeGenes) */
  reference?: Record<string, { accuracy?: number; params?: number; sizeMB?: number; note?: string }>;
}

export class SpaceError extends Error {
  readonly code = 'ERR_SPACE';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
function expect(ok: boolean, what: string, name: string, got: unknown): void {
  if (!ok) throw new SpaceError(`Expected ${what} for ${name} but received ${show(got)}`);
}

/** Sets `path` in obj; every segment must already exist, so a typo is an error, not a new field. */
function setPath(obj: unknown, path: string, value: unknown, where: string): void {
  const parts = path.split('.');
  const walk = (node: unknown, i: number): void => {
    const key = parts[i];
    if (key === '*') {
      if (!Array.isArray(node)) throw new SpaceError(`${where}: '*' in ${path} needs an array at that point`);
      node.forEach((item) => (i === parts.length - 1 ? undefined : walk(item, i + 1)));
      if (i === parts.length - 1) node.fill(structuredClone(value));
      return;
    }
    if (!isObject(node) && !Array.isArray(node)) throw new SpaceError(`${where}: ${path} does not name a field of the spec (stopped at '${key}')`);
    const rec = node as Record<string, unknown>;
    if (!(key in rec)) throw new SpaceError(`${where}: ${path} does not name a field of the spec (no '${key}')`);
    if (i === parts.length - 1) rec[key] = structuredClone(value);
    else walk(rec[key], i + 1);
  };
  walk(obj, 0);
}

export function choiceLabel(c: Choice): string {
  if (c.label) return c.label;
  const parts = [...(c.model ? [c.model] : []), ...Object.entries(c.set ?? {}).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)];
  return parts.join(' ') || 'base';
}

function baseSpec(name: string | NetworkSpec, where: string): NetworkSpec {
  if (typeof name !== 'string') return structuredClone(name);
  if (!Object.hasOwn(BUILTIN_SPECS, name)) throw new SpaceError(`${where}: unknown model '${name}'; use one of ${Object.keys(BUILTIN_SPECS).join(', ')}`);
  return structuredClone(BUILTIN_SPECS[name]);
}

/** The network of one candidate. Throws SpaceError/SpecError when the choices make no valid spec. */
export function decode(space: Space, genes: number[]): NetworkSpec {
  const chosen = space.dims.map((d, i) => d.choices[genes[i]]);
  const withModel = chosen.find((c) => c.model);
  const spec = baseSpec(withModel?.model ?? space.base, `space ${space.name}`);
  chosen.forEach((c, i) => {
    for (const [path, value] of Object.entries(c.set ?? {})) setPath(spec, path, value, `space ${space.name}, ${space.dims[i].name}=${choiceLabel(c)}`);
  });
  // A candidate keeps its base's name (exports and reports are named after it), so its description
  // says which candidate it is: a retrained trial's run folder must not read as the base network.
  const label = describeGenes(space, genes);
  if (label !== 'base') spec.description = `candidate ${label} of space ${space.name}, from: ${spec.description ?? spec.name}`;
  return validateSpec(spec);
}

/** Checks the space's shape and that every single choice applies to the base; returns it typed. */
export function validateSpace(space: unknown): Space {
  expect(isObject(space), 'an object', 'space', space);
  const s = space as Record<string, unknown>;
  expect(typeof s.name === 'string' && /^[\w.-]+$/.test(s.name), 'a name of letters, digits, . _ -', 'space.name', s.name);
  expect(typeof s.base === 'string' || isObject(s.base), 'a model name or a spec object', 'space.base', s.base);
  expect(Array.isArray(s.dims) && s.dims.length > 0, 'a non-empty array', 'space.dims', s.dims);
  const names = new Set<string>();
  (s.dims as unknown[]).forEach((d, i) => {
    expect(isObject(d), 'an object', `space.dims[${i}]`, d);
    const o = d as Record<string, unknown>;
    expect(typeof o.name === 'string' && o.name.length > 0 && !names.has(o.name), 'a unique non-empty name', `space.dims[${i}].name`, o.name);
    names.add(o.name as string);
    expect(Array.isArray(o.choices) && o.choices.length > 0, 'a non-empty array', `space.dims[${i}].choices`, o.choices);
    (o.choices as unknown[]).forEach((c, j) => {
      const n = `space.dims[${i}].choices[${j}]`;
      expect(isObject(c), 'an object', n, c);
      const co = c as Record<string, unknown>;
      if (co.set !== undefined) expect(isObject(co.set), 'an object of path: value', `${n}.set`, co.set);
      if (co.model !== undefined) expect(typeof co.model === 'string', 'a built-in model name', `${n}.model`, co.model);
      if (co.label !== undefined) expect(typeof co.label === 'string', 'a string', `${n}.label`, co.label);
    });
  });
  const typed = space as Space;
  if (typeof typed.base !== 'string') validateSpec(typed.base);
  else baseSpec(typed.base, `space ${typed.name}`);
  // Each choice on its own against the base: a typo in a path is found now, not after hours of search.
  typed.dims.forEach((d, i) => d.choices.forEach((_, j) => {
    const genes = typed.dims.map((_, k) => (k === i ? j : 0));
    try {
      decode(typed, genes);
    } catch (err) {
      if (err instanceof SpaceError) throw err;
      if (!(err instanceof SpecError)) throw err;
      // invalid only in combination with the other dims' first choices is fine; a bad path is not
    }
  }));
  if (typed.dims.filter((d) => d.choices.some((c) => c.model)).length > 1) throw new SpaceError(`space ${typed.name}: at most one dimension may choose the base model`);
  return typed;
}

/** Number of candidates (the product of the dimensions' sizes). */
export const spaceSize = (s: Space): number => s.dims.reduce((n, d) => n * d.choices.length, 1);

/** The i-th candidate in grid order (the last dimension varies fastest). */
export function gridGenes(s: Space, index: number): number[] {
  const genes = new Array<number>(s.dims.length);
  for (let k = s.dims.length - 1; k >= 0; k--) {
    genes[k] = index % s.dims[k].choices.length;
    index = Math.floor(index / s.dims[k].choices.length);
  }
  return genes;
}

/** "dim=label, ..." for the dimensions whose choice is not the first, or the first choice's label in one-dim spaces. */
export function describeGenes(s: Space, genes: number[]): string {
  if (s.dims.length === 1) return choiceLabel(s.dims[0].choices[genes[0]]);
  const parts = s.dims.flatMap((d, i) => (genes[i] === 0 ? [] : [`${d.name}=${choiceLabel(d.choices[genes[i]])}`]));
  return parts.join(' ') || 'base';
}

/**
 * The same network always gets the same key, however its genes reached it: the key is the built
 * network's layer graph at its input shape, not the spec's text, so choices the network ignores
 * (SE on a DPD row, whose ops have no SE; an expansion that rounds to the same depthwise
 * multiplier) make no second trial. The root's name is the spec's name, so it is left out.
 */
export function specKey(spec: NetworkSpec): string {
  const canon = (v: unknown): unknown => (isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : Array.isArray(v) ? v.map(canon) : v);
  const graph = buildNetwork(spec, { backend: referenceBackend }).root.graph();
  const net = { input: [spec.inputSize, spec.inputSize, spec.inputChannels], classes: spec.classes, graph: { ...graph, name: '' } };
  return createHash('sha256').update(JSON.stringify(canon(net))).digest('hex').slice(0, 16);
}

/**
 * The genes of a candidate from its label as tables print it (describeGenes): "base",
 * "b0.act=relu6 b2.act=relu6", or in a one-dimension space the choice's own label ("w0.5"). So a
 * candidate seen in a table or in BENCHMARKS.md can be trained without the study that found it.
 */
export function genesOfLabel(s: Space, label: string): number[] {
  const text = label.trim().replace(/ \(rejected: .*\)$/, ''); // a rejected row of bench:explore's table, pasted whole
  const byDim = s.dims.map((d) => d.choices.map(choiceLabel)); // once, not at every step of the parse
  if (s.dims.length === 1) {
    const j = byDim[0].indexOf(text);
    if (j < 0) throw new SpaceError(`space ${s.name} has no candidate '${text}'; use one of: ${byDim[0].join(', ')}`);
    return [j];
  }
  if (text === 'base' || text === '') return s.dims.map(() => 0);
  // "dim=choice" pairs joined by spaces, where a choice's label may itself hold spaces and '=':
  // try every dimension and choice that fits at each point, and keep the parse that uses it all.
  const parse = (at: number, genes: number[]): number[] | null => {
    if (at === text.length) return genes;
    for (const [i, d] of s.dims.entries()) {
      if (genes[i] !== -1 || !text.startsWith(`${d.name}=`, at)) continue;
      const from = at + d.name.length + 1;
      for (const [j, l] of byDim[i].entries()) {
        const end = from + l.length;
        if (j === 0 || !text.startsWith(l, from) || (end < text.length && text[end] !== ' ')) continue;
        const done = parse(end === text.length ? end : end + 1, genes.map((g, k) => (k === i ? j : g)));
        if (done) return done;
      }
    }
    return null;
  };
  const genes = parse(0, s.dims.map(() => -1));
  if (genes) return genes.map((g) => Math.max(g, 0));
  // No parse: name what is wrong, in the user's terms.
  const tokens = text.split(/\s+/);
  const allLabels = byDim.flat();
  for (const [i, d] of s.dims.entries()) {
    const uses = tokens.filter((t) => t.startsWith(`${d.name}=`));
    if (uses.length > 1) throw new SpaceError(`'${text}' sets ${d.name} twice; give each dimension once`);
    const value = uses[0]?.slice(d.name.length + 1);
    if (value !== undefined && !byDim[i].slice(1).some((l) => text.includes(`${d.name}=${l}`))) {
      throw new SpaceError(`space ${s.name}: dimension ${d.name} has no choice '${value}'; use one of: ${byDim[i].join(', ')}`);
    }
  }
  const stray = tokens.find((t) => /^[^=]+=/.test(t) && !s.dims.some((d) => t.startsWith(`${d.name}=`)) && !allLabels.some((l) => l.includes(t)));
  if (stray) throw new SpaceError(`space ${s.name} has no dimension '${stray.slice(0, stray.indexOf('='))}'; dimensions: ${s.dims.map((d) => d.name).join(', ')}`);
  throw new SpaceError(`'${text}' is not a candidate label of space ${s.name}; write dimension=choice pairs, each dimension once (dimensions: ${s.dims.map((d) => d.name).join(', ')})`);
}
