// Float legalization: the pseudo-ops become TFLite builtins, exactly (no approximation); each
// pseudo-op's replacement is its module's legalize facet (ops/mish.ts, ops/hard-sigmoid.ts).
import { GraphBuilder, type Graph } from './ir.js';
import { opSpec } from './ops/index.js';
import type { LegalizeContext } from './ops/op.js';

export function legalizeFloat(g: Graph): Graph {
  const b = new GraphBuilder();
  g.tensors.forEach((t) => b.tensor(t));
  const scalars = new Map<string, number>();
  for (const o of g.ops) {
    const spec = opSpec(o.op);
    if (!spec.legalize) { b.op(o); continue; }
    const t = g.tensors[o.outputs[0]];
    const l: LegalizeContext = {
      b,
      scalar: (name, v) => {
        let i = scalars.get(name);
        if (i === undefined) scalars.set(name, (i = b.tensor({ name, shape: [1, 1, 1, 1], dtype: 'float32', data: Float32Array.of(v) })));
        return i;
      },
      tmp: (suffix) => b.tensor({ name: `${t.name}/${suffix}`, shape: [...t.shape], dtype: 'float32' }),
    };
    spec.legalize(o, l);
  }
  return b.finish([...g.inputs], [...g.outputs], g.description);
}
