// Resolves a model argument (a built-in name or a spec.json path) plus overrides into a valid spec.
import { existsSync, readFileSync } from 'node:fs';
import { parseJson } from '../json.js';
import { ACTIVATIONS, type Activation } from '../backend/types.js';
import { BUILTIN_SPECS } from './builtin.js';
import { SpecError, validateSpec, type NetworkSpec } from './spec.js';

/** Spec fields a caller may override when resolving a network. */
export interface SpecOverrides {
  width?: number;
  inputSize?: number;
  classes?: number;
}

/** A network spec from a built-in name or a spec JSON path, with overrides applied and validated. */
export function resolveSpec(model: string, overrides: SpecOverrides = {}): NetworkSpec {
  let base: unknown;
  if (Object.hasOwn(BUILTIN_SPECS, model)) {
    base = structuredClone(BUILTIN_SPECS[model]);
  } else if (model.endsWith('.json') || existsSync(model)) {
    let text: string;
    try {
      text = readFileSync(model, 'utf8');
    } catch (err) {
      throw new SpecError(`cannot read spec file ${model} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path or use a built-in model: ${Object.keys(BUILTIN_SPECS).join(', ')}`);
    }
    try {
      base = parseJson(text, `spec file ${model}`);
    } catch (err) {
      throw new SpecError((err as Error).message);
    }
  } else {
    throw new SpecError(`unknown model '${model}'; use one of ${Object.keys(BUILTIN_SPECS).join(', ')} or a path to a spec .json file`);
  }
  const spec = { ...(base as NetworkSpec) };
  if (overrides.width !== undefined) spec.width = overrides.width;
  if (overrides.inputSize !== undefined) spec.inputSize = overrides.inputSize;
  if (overrides.classes !== undefined) spec.classes = overrides.classes;
  return validateSpec(spec);
}

/**
 * The same network with one activation swapped for another everywhere it appears (stem, blocks,
 * block op tables, head, squeeze-and-excite). Parameters are unchanged, so trained weights load.
 */
export function replaceActivation(spec: NetworkSpec, from: Activation, to: Activation): NetworkSpec {
  const s = structuredClone(spec);
  const swap = (a: Activation) => (a === from ? to : a);
  let count = 0;
  const visit = <T extends { act: Activation | 'block' }>(o: T) => { if (o.act === from) { o.act = to; count++; } };
  visit(s.stem);
  s.blocks.forEach(visit);
  Object.values(s.blockTypes).forEach((ops) => ops.forEach(visit));
  s.headBeforePool.forEach(visit);
  s.headAfterPool.forEach(visit);
  if (s.se.inner === from || s.se.gate === from) count++;
  s.se = { ...s.se, inner: swap(s.se.inner), gate: swap(s.se.gate) };
  if (!count) throw new SpecError(`${spec.name} uses no ${from} activation to replace`);
  return validateSpec(s);
}

/** Parses --act FROM=TO. */
export function parseActSwap(v: string): { from: Activation; to: Activation } {
  const [from, to, extra] = v.split('=');
  const ok = (a: string | undefined): a is Activation => a !== undefined && (ACTIVATIONS as readonly string[]).includes(a);
  if (extra !== undefined || !ok(from) || !ok(to)) throw new SpecError(`Expected FROM=TO with activations from ${ACTIVATIONS.join(', ')} for --act but received ${JSON.stringify(v)}`);
  return { from, to };
}
