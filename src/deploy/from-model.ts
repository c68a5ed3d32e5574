// The bridge from a trained model (as `loadTrained` gives it) to the deployment graph.
import type { Trained } from '../train/trained.js';
import type { Graph } from './ir.js';
import { lowerNetwork } from './lower.js';

export function lowerTrained(t: Trained): Graph {
  const root = t.model.net.root, tensors = new Map<string, Float32Array>();
  for (const p of root.params()) tensors.set(p.name, p.data);
  for (const b of root.buffers()) tensors.set(b.name, b.data);
  return lowerNetwork({
    spec: t.model.spec, graph: root.graph(), tensors, labels: t.labels,
    normalization: { mean: [...t.normalization.mean], std: [...t.normalization.std] },
  });
}
