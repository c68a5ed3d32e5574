// MISH, a pseudo-op: lowering emits it, calibration runs it; legalize (float: EXP, ADD, LOG, TANH,
// MUL) and quantize (int8: CAST, ADD, GATHER over a 256-entry table) replace it before writing.
import { roundAway } from '../quant-rules.js';
import { floatUnary, lookupCost } from './common.js';
import type { OpSpec } from './op.js';

const mish = (x: number) => x * Math.tanh(x > 20 ? x : Math.log1p(Math.exp(x)));

export const MISH: OpSpec<'MISH'> = {
  name: 'MISH',
  float: floatUnary((x) => mish(x)),
  // mish(x) = x * tanh(log(1 + exp(x))) as EXP, ADD 1, LOG, TANH, MUL. float32 exp overflows to
  // +inf only above x = 88, where log(inf) = inf and tanh(inf) = 1 keep mish(x) = x, so the chain
  // is exact over the whole float range.
  legalize: (o, l) => {
    const x = o.inputs[0], one = l.scalar('const/one', 1);
    const e = l.tmp('exp'), p = l.tmp('one_plus_exp'), sp = l.tmp('softplus'), th = l.tmp('tanh');
    l.b.op({ op: 'EXP', inputs: [x], outputs: [e] });
    l.b.op({ op: 'ADD', inputs: [e, one], outputs: [p], act: 'NONE' });
    l.b.op({ op: 'LOG', inputs: [p], outputs: [sp] });
    l.b.op({ op: 'TANH', inputs: [sp], outputs: [th] });
    l.b.op({ op: 'MUL', inputs: [x, th], outputs: [o.outputs[0]], act: 'NONE' });
  },
  // A 256-entry table through builtins: CAST (int8 -> int32), ADD 128, GATHER. The table holds mish
  // at each of the 256 input levels, rounded once: as exact as an int8 Mish can be, at the cost of
  // an int32 index tensor (4 bytes per element).
  quantize: (o, c) => {
    const { g, b } = c, x = c.int8(o.inputs[0]), y = o.outputs[0];
    const qi = c.q(o.inputs[0]), qo = c.calibrated(y), name = g.tensors[y].name, shape = g.tensors[y].shape;
    const table = new Int8Array(256);
    for (let k = 0; k < 256; k++) {
      const v = qi.scale[0] * (k - 128 - qi.zeroPoint[0]);
      table[k] = Math.max(-128, Math.min(127, roundAway(mish(v) / qo.scale[0]) + qo.zeroPoint[0]));
    }
    const t = b.tensor({ name: `${name}/table`, shape: [256], dtype: 'int8', data: table, quant: qo });
    const i32 = b.tensor({ name: `${name}/index`, shape: [...shape], dtype: 'int32' });
    const idx = b.tensor({ name: `${name}/index_plus_128`, shape: [...shape], dtype: 'int32' });
    const c128 = b.tensor({ name: `${name}/128`, shape: [1], dtype: 'int32', data: Int32Array.of(128) });
    b.op({ op: 'CAST', inputs: [x], outputs: [i32] });
    b.op({ op: 'ADD', inputs: [i32, c128], outputs: [idx], act: 'NONE' });
    b.op({ op: 'GATHER', inputs: [t, idx], outputs: [c.act(y, qo)], axis: 0 });
  },
  cost: lookupCost,
};
