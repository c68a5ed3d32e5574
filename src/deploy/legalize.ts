// Float legalization: the pseudo-ops become TFLite builtins, exactly (no approximation):
//   mish(x)      = x * tanh(log(1 + exp(x)))          EXP, ADD 1, LOG, TANH, MUL
//   hsigmoid(x)  = relu6(x + 3) * (1/6)               ADD 3 with fused RELU6, MUL
// float32 exp overflows to +inf only above x = 88, where log(inf) = inf and tanh(inf) = 1 keep
// mish(x) = x, so the chain is exact over the whole float range.
import { GraphBuilder, type Graph } from './ir.js';

export function legalizeFloat(g: Graph): Graph {
  const b = new GraphBuilder();
  g.tensors.forEach((t) => b.tensor(t));
  const scalar = (name: string, v: number) => b.tensor({ name, shape: [1, 1, 1, 1], dtype: 'float32', data: Float32Array.of(v) });
  let one = -1, three = -1, sixth = -1;
  for (const o of g.ops) {
    if (o.op !== 'MISH' && o.op !== 'HARD_SIGMOID') { b.op(o); continue; }
    const x = o.inputs[0], y = o.outputs[0], t = g.tensors[y];
    const tmp = (suffix: string) => b.tensor({ name: `${t.name}/${suffix}`, shape: [...t.shape], dtype: 'float32' });
    if (o.op === 'MISH') {
      if (one < 0) one = scalar('const/one', 1);
      const e = tmp('exp'), p = tmp('one_plus_exp'), sp = tmp('softplus'), th = tmp('tanh');
      b.op({ op: 'EXP', inputs: [x], outputs: [e] });
      b.op({ op: 'ADD', inputs: [e, one], outputs: [p], act: 'NONE' });
      b.op({ op: 'LOG', inputs: [p], outputs: [sp] });
      b.op({ op: 'TANH', inputs: [sp], outputs: [th] });
      b.op({ op: 'MUL', inputs: [x, th], outputs: [y], act: 'NONE' });
    } else {
      if (three < 0) { three = scalar('const/three', 3); sixth = scalar('const/one_sixth', 1 / 6); }
      const r = tmp('relu6_x_plus_3');
      b.op({ op: 'ADD', inputs: [x, three], outputs: [r], act: 'RELU6' });
      b.op({ op: 'MUL', inputs: [r, sixth], outputs: [y], act: 'NONE' });
    }
  }
  return b.finish([...g.inputs], [...g.outputs], g.description);
}
