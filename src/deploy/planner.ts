// Tensor-arena planning as TFLite Micro's GreedyMemoryPlanner does it: every non-constant tensor
// lives from the op that writes it (the graph input from the start) to the last op that reads it
// (graph outputs to the end); buffers are placed largest first at the lowest 16-byte-aligned
// offset that overlaps no placed buffer alive at the same time. The peak is the arena's
// activation part. TFLite Micro never runs an op in place, so that plan is the one a deployment
// needs; `inPlace` plans for runtimes that do (TinyEngine-style): a unary element-wise op or a
// reshape may write over its input when nothing reads the input afterwards.
import { bytesPerElement, consumers, elementCount, type Graph } from './ir.js';
import { opSpec } from './ops/index.js';

const ALIGN = 16;

export interface Allocation {
  tensor: number;
  name: string;
  bytes: number;
  offset: number;
  first: number;
  last: number;
}

export interface Plan {
  /** bytes of the arena holding activations */
  peak: number;
  allocations: Allocation[];
  /** the op with the most bytes alive at once, and those tensors */
  peakOp: number;
  peakTensors: string[];
}

const alignUp = (v: number) => Math.ceil(v / ALIGN) * ALIGN;

export function planArena(g: Graph, o: { inPlace?: boolean } = {}): Plan {
  const users = consumers(g), n = g.ops.length;
  const first = new Map<number, number>(), last = new Map<number, number>();
  for (const t of g.inputs) first.set(t, 0);
  g.ops.forEach((op, i) => {
    if (!first.has(op.outputs[0])) first.set(op.outputs[0], i);
    for (const t of op.inputs) if (!g.tensors[t].data) last.set(t, Math.max(last.get(t) ?? 0, i));
  });
  for (const t of g.outputs) last.set(t, n - 1);
  // In-place: the output takes over its input's buffer (one buffer, the union of both lifetimes).
  const alias = new Map<number, number>();
  if (o.inPlace) {
    g.ops.forEach((op, i) => {
      const x = op.inputs[0], y = op.outputs[0];
      const sameSize = elementCount(g.tensors[x].shape) * bytesPerElement(g.tensors[x].dtype) === elementCount(g.tensors[y].shape) * bytesPerElement(g.tensors[y].dtype);
      if (opSpec(op.op).inPlace && sameSize && last.get(x) === i && users[x].length === 1 && !g.inputs.includes(x)) alias.set(y, x);
    });
  }
  const root = (t: number): number => (alias.has(t) ? root(alias.get(t)!) : t);
  const groups = new Map<number, { first: number; last: number; bytes: number; names: string[] }>();
  for (const [t, f] of first) {
    const r = root(t), bytes = alignUp(elementCount(g.tensors[t].shape) * bytesPerElement(g.tensors[t].dtype));
    const cur = groups.get(r) ?? { first: f, last: last.get(t) ?? f, bytes: 0, names: [] };
    cur.first = Math.min(cur.first, f);
    cur.last = Math.max(cur.last, last.get(t) ?? f);
    cur.bytes = Math.max(cur.bytes, bytes);
    cur.names.push(g.tensors[t].name);
    groups.set(r, cur);
  }
  const order = [...groups.entries()].sort((a, b) => b[1].bytes - a[1].bytes || a[1].first - b[1].first);
  const placed: Allocation[] = [];
  for (const [t, gr] of order) {
    const live = placed.filter((p) => p.first <= gr.last && gr.first <= p.last).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of live) {
      if (offset + gr.bytes <= p.offset) break;
      offset = Math.max(offset, alignUp(p.offset + p.bytes));
    }
    placed.push({ tensor: t, name: gr.names.join(' = '), bytes: gr.bytes, offset, first: gr.first, last: gr.last });
  }
  // The arena is as large as the highest placed byte; the op to blame is the one with the most
  // bytes alive at once (no plan can go below that).
  const peak = placed.reduce((m, p) => Math.max(m, p.offset + p.bytes), 0);
  let peakOp = 0, most = 0;
  for (let i = 0; i < n; i++) {
    const live = placed.filter((p) => p.first <= i && i <= p.last).reduce((a, p) => a + p.bytes, 0);
    if (live > most) { most = live; peakOp = i; }
  }
  const peakTensors = placed.filter((p) => p.first <= peakOp && peakOp <= p.last).map((p) => p.name);
  return { peak, allocations: placed.sort((a, b) => a.offset - b.offset), peakOp, peakTensors };
}
