// Where an int8 model loses accuracy: every int8 activation tensor against the float tensor of the
// same name (the quantized graph keeps the lowered graph's names), over the same images. For each
// tensor: the error it carries (relative RMS of its dequantized values against float32), what its
// own rounding and clipping alone would cost, and how much error its op added beyond the worst of
// its inputs. A layer whose added error is far above its own rounding computes wrongly (an
// overflowing bias, a saturating multiplier), not just coarsely.
import { runFloat } from './engine-float.js';
import { Int8Engine } from './engine-int8.js';
import { quantizeInt8, type Int8Runtime } from './int8/kernels.js';
import { elementCount, type Graph } from './ir.js';

/** One int8 activation tensor's error over the images, in graph order. */
export interface TensorError {
  tensor: string;
  /** the int8 op that writes it (TFLite builtin name) */
  op: string;
  scale: number;
  zeroPoint: number;
  /** sqrt(sum (dequantized - float)^2 / sum float^2) over all images */
  error: number;
  /** the same for the float tensor quantized with this tensor's scale and zero point: its own rounding and clipping */
  rounding: number;
  /** error minus the largest error among the op's int8 inputs that have a float counterpart (0 for the first) */
  added: number;
  /** share of float values outside the representable range */
  clipped: number;
}

interface Sums { se: number; sf: number; sr: number; clip: number; n: number }

/** Per-tensor int8 error of `int8` (quantized from `float`) on `images` (normalised float inputs). */
export function int8TensorErrors(float: Graph, int8: Graph, images: readonly Float32Array[], runtime: Int8Runtime = 'reference'): TensorError[] {
  const engine = new Int8Engine(int8, runtime);
  const floatIndex = new Map(float.tensors.map((t, i) => [t.name, i] as const));
  // int8 activations with a float twin of the same size: the ones to compare.
  const compared = int8.tensors.flatMap((t, i) => {
    const f = floatIndex.get(t.name);
    const q = t.quant;
    if (t.data || t.dtype !== 'int8' || !q || q.scale.length !== 1 || f === undefined) return [];
    if (elementCount(float.tensors[f].shape) !== elementCount(t.shape)) return [];
    return [{ i, f, scale: q.scale[0], zeroPoint: q.zeroPoint[0] }];
  });
  const sums = compared.map((): Sums => ({ se: 0, sf: 0, sr: 0, clip: 0, n: 0 }));
  let own = new Int8Array(0);
  for (const image of images) {
    const seen = new Map<number, Float32Array>();
    runFloat(float, image, (t, data) => seen.set(t, data));
    seen.set(float.inputs[0], image);
    engine.runFloat(image);
    compared.forEach((c, k) => {
      const want = seen.get(c.f), got = engine.values(c.i);
      if (!want || !got) return;
      const s = sums[k];
      // The float tensor through the runtime's own QUANTIZE: what this tensor's scale alone costs.
      if (own.length < want.length) own = new Int8Array(want.length);
      quantizeInt8(want, { scale: c.scale, zeroPoint: c.zeroPoint }, own, runtime);
      for (let j = 0; j < want.length; j++) {
        const f = want[j], ownError = (own[j] - c.zeroPoint) * c.scale - f;
        s.se += ((got[j] - c.zeroPoint) * c.scale - f) ** 2;
        s.sr += ownError ** 2;
        s.sf += f * f;
        // Rounding misses by at most half a step; more than that means the value was clipped.
        if (Math.abs(ownError) > 0.5001 * c.scale) s.clip++;
      }
      s.n += want.length;
    });
  }
  const rel = (e: number, f: number) => (f > 0 ? Math.sqrt(e / f) : e > 0 ? Infinity : 0);
  const errorOf = new Map(compared.map((c, k) => [c.i, rel(sums[k].se, sums[k].sf)] as const));
  const writer = new Map(int8.ops.map((o) => [o.outputs[0], o] as const));
  // The compared tensors an op reads, looking through uncompared ones (a Mish's CAST / ADD int32 chain).
  const upstream = (t: number, depth = 0): number[] => {
    const e = errorOf.get(t);
    if (e !== undefined && depth > 0) return [e];
    if (depth > 8) return [];
    return (writer.get(t)?.inputs ?? []).flatMap((i) => upstream(i, depth + 1));
  };
  return compared.map((c, k) => {
    const o = writer.get(c.i), s = sums[k], error = errorOf.get(c.i)!;
    const inputs = upstream(c.i);
    return {
      tensor: int8.tensors[c.i].name, op: o?.op ?? 'input', scale: c.scale, zeroPoint: c.zeroPoint,
      error, rounding: rel(s.sr, s.sf), added: inputs.length ? error - Math.max(...inputs) : 0, clipped: s.n ? s.clip / s.n : 0,
    };
  });
}
