// An int8 -> int8 lookup that a graph spells as three builtins: CAST (int8 -> int32), ADD of an
// int32 constant, GATHER from a 1-D int8 table. cmv3 writes Mish that way, since TFLite has no Mish
// op. Input q gives table[q + c] through the three ops, so the native engine runs each such chain
// as one 256-entry lookup and never writes the two int32 tensors (nothing else reads them); the
// TypeScript engine keeps the three ops. A chain with an index outside the table stays as written,
// so the GATHER still reports it.
import type { Graph } from '../ir.js';

export interface LookupChain {
  /** the CAST, ADD and GATHER op indices */
  ops: [number, number, number];
  x: number;
  y: number;
  /** entry (q & 255) is the output for input q */
  table: Int8Array;
}

export function lookupChains(g: Graph): LookupChain[] {
  const readers = new Map<number, number[]>();
  g.ops.forEach((o, i) => o.inputs.forEach((t) => readers.set(t, [...(readers.get(t) ?? []), i])));
  // The one op reading t, when t is not also a graph output.
  const soleReader = (t: number): number | null => {
    const r = readers.get(t) ?? [];
    return r.length === 1 && !g.outputs.includes(t) ? r[0] : null;
  };
  const chains: LookupChain[] = [];
  g.ops.forEach((cast, ci) => {
    if (cast.op !== 'CAST' || g.tensors[cast.inputs[0]].dtype !== 'int8' || g.tensors[cast.outputs[0]].dtype !== 'int32') return;
    const ai = soleReader(cast.outputs[0]), add = ai === null ? null : g.ops[ai];
    if (!add || add.op !== 'ADD' || add.act !== 'NONE' || add.inputs[0] === add.inputs[1]) return;
    const c = g.tensors[add.inputs[0] === cast.outputs[0] ? add.inputs[1] : add.inputs[0]].data;
    if (!(c instanceof Int32Array) || c.length !== 1) return;
    const gi = soleReader(add.outputs[0]), gather = gi === null ? null : g.ops[gi];
    if (!gather || gather.op !== 'GATHER' || gather.axis !== 0 || gather.inputs[1] !== add.outputs[0]) return;
    const values = g.tensors[gather.inputs[0]];
    if (!(values.data instanceof Int8Array) || values.shape.length !== 1) return;
    const table = new Int8Array(256);
    for (let q = -128; q < 128; q++) {
      const i = (q + c[0]) | 0;
      if (i < 0 || i >= values.shape[0]) return;
      table[q & 255] = values.data[i];
    }
    chains.push({ ops: [ci, ai!, gi!], x: cast.inputs[0], y: gather.outputs[0], table });
  });
  return chains;
}
