// Resolves a model argument (a built-in name or a spec.json path) plus overrides into a valid spec.
import { existsSync, readFileSync } from 'node:fs';
import { BUILTIN_SPECS } from './builtin.js';
import { SpecError, validateSpec, type NetworkSpec } from './spec.js';

export interface SpecOverrides {
  width?: number;
  inputSize?: number;
  classes?: number;
}

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
      base = JSON.parse(text);
    } catch (err) {
      throw new SpecError(`spec file ${model} is not valid JSON (${(err as Error).message})`);
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
