// The float32 inference engine over the deployment graph: plain loops, float64 accumulation, one
// image per call. It runs the lowered graph (pseudo-ops included, for calibration) and legalized
// files alike; it is the oracle for float .tflite and ONNX exports.
import { elementCount, type Graph, type OpDef } from './ir.js';
import { broadcastIndexes } from './int8/elementwise.js';
import { ExportError } from './lower.js';

const mish = (x: number) => x * Math.tanh(x > 20 ? x : Math.log1p(Math.exp(x)));
const hsigmoid = (x: number) => Math.min(Math.max(x + 3, 0), 6) / 6;

function fused(v: number, act: 'NONE' | 'RELU' | 'RELU6'): number {
  return act === 'RELU' ? Math.max(v, 0) : act === 'RELU6' ? Math.min(Math.max(v, 0), 6) : v;
}

/** TF 'SAME' padding: the odd pixel goes to the bottom/right. */
export function padBefore(size: number, kernel: number, stride: number, padding: 'SAME' | 'VALID'): number {
  if (padding === 'VALID') return 0;
  const out = Math.ceil(size / stride);
  return Math.floor(Math.max((out - 1) * stride + kernel - size, 0) / 2);
}

// x (1,H,W,Cin), w (Cout,KH,KW,Cin), b (Cout) -> y (1,OH,OW,Cout)
function conv2d(x: Float32Array, xs: number[], w: Float32Array, ws: number[], b: Float32Array, y: Float32Array, ys: number[], stride: number, padding: 'SAME' | 'VALID', act: 'NONE' | 'RELU' | 'RELU6'): void {
  const [, h, wd, cin] = xs, [cout, kh, kw] = ws, [, oh, ow] = ys;
  const pt = padBefore(h, kh, stride, padding), pl = padBefore(wd, kw, stride, padding);
  for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const yo = (oy * ow + ox) * cout;
    for (let o = 0; o < cout; o++) {
      let acc = b[o];
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * stride - pt + ky;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * stride - pl + kx;
          if (ix < 0 || ix >= wd) continue;
          const xo = (iy * wd + ix) * cin, wo = ((o * kh + ky) * kw + kx) * cin;
          for (let i = 0; i < cin; i++) acc += x[xo + i] * w[wo + i];
        }
      }
      y[yo + o] = fused(acc, act);
    }
  }
}

// x (1,H,W,Cin), w (1,KH,KW,Cin*m), b (Cin*m) -> y (1,OH,OW,Cin*m); channel c*m+j reads c
function depthwise(x: Float32Array, xs: number[], w: Float32Array, ws: number[], b: Float32Array, y: Float32Array, ys: number[], stride: number, padding: 'SAME' | 'VALID', m: number, act: 'NONE' | 'RELU' | 'RELU6'): void {
  const [, h, wd, cin] = xs, [, kh, kw, cout] = ws, [, oh, ow] = ys;
  const pt = padBefore(h, kh, stride, padding), pl = padBefore(wd, kw, stride, padding);
  for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    for (let o = 0; o < cout; o++) {
      const c = Math.floor(o / m);
      let acc = b[o];
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * stride - pt + ky;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * stride - pl + kx;
          if (ix < 0 || ix >= wd) continue;
          acc += x[(iy * wd + ix) * cin + c] * w[(ky * kw + kx) * cout + o];
        }
      }
      y[(oy * ow + ox) * cout + o] = fused(acc, act);
    }
  }
}

function unary(o: OpDef, x: Float32Array, y: Float32Array): void {
  const f: (v: number) => number = {
    HARD_SWISH: (v: number) => v * hsigmoid(v), LOGISTIC: (v: number) => 1 / (1 + Math.exp(-v)), TANH: Math.tanh, EXP: Math.exp, LOG: Math.log,
    RELU: (v: number) => Math.max(v, 0), RELU6: (v: number) => Math.min(Math.max(v, 0), 6), MISH: mish, HARD_SIGMOID: hsigmoid,
  }[o.op as 'EXP'];
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
}

/**
 * Runs the graph on one input. `observe` sees every tensor an op writes (calibration).
 * Returns the graph's outputs.
 */
export function runFloat(g: Graph, input: Float32Array, observe?: (tensor: number, data: Float32Array) => void): Float32Array[] {
  const vals: (Float32Array | undefined)[] = g.tensors.map((t) => (t.data instanceof Float32Array ? t.data : undefined));
  const inT = g.tensors[g.inputs[0]];
  if (input.length !== elementCount(inT.shape)) throw new ExportError(`Expected ${elementCount(inT.shape)} input values for shape (${inT.shape.join(', ')}) but received ${input.length}`, 'ERR_SHAPE');
  vals[g.inputs[0]] = input;
  for (const o of g.ops) {
    const out = g.tensors[o.outputs[0]];
    if (out.dtype !== 'float32') throw new ExportError(`the float engine cannot run ${o.op} with ${out.dtype} output (${out.name}); run the int8 engine`, 'ERR_EXPORT');
    const y = new Float32Array(elementCount(out.shape));
    const arg = (k: number) => {
      const v = vals[o.inputs[k]];
      if (!v) throw new ExportError(`tensor ${g.tensors[o.inputs[k]].name} is read before it is written`, 'ERR_EXPORT');
      return v;
    };
    const shapeOf = (k: number) => g.tensors[o.inputs[k]].shape;
    switch (o.op) {
      case 'CONV_2D': conv2d(arg(0), shapeOf(0), arg(1), shapeOf(1), arg(2), y, out.shape, o.stride, o.padding, o.act); break;
      case 'DEPTHWISE_CONV_2D': depthwise(arg(0), shapeOf(0), arg(1), shapeOf(1), arg(2), y, out.shape, o.stride, o.padding, o.multiplier, o.act); break;
      case 'ADD': case 'MUL': {
        const a = arg(0), b = arg(1), { outShape, idxA, idxB } = broadcastIndexes(shapeOf(0), shapeOf(1));
        if (elementCount(outShape) !== y.length) throw new ExportError(`${o.op} ${out.name}: inputs broadcast to (${outShape.join(', ')}), not (${out.shape.join(', ')})`, 'ERR_SHAPE');
        for (let i = 0; i < y.length; i++) {
          const u = a[idxA ? idxA[i] : i], v = b[idxB ? idxB[i] : i];
          y[i] = fused(o.op === 'ADD' ? u + v : u * v, o.act);
        }
        break;
      }
      case 'AVERAGE_POOL_2D': {
        const x = arg(0), [, h, w, c] = shapeOf(0);
        if (o.padding !== 'VALID' || o.filter !== h || o.filter !== w) throw new ExportError(`AVERAGE_POOL_2D other than global pooling is not supported (${out.name})`, 'ERR_EXPORT');
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let p = 0; p < h * w; p++) s += x[p * c + ch];
          y[ch] = fused(s / (h * w), o.act);
        }
        break;
      }
      case 'RESHAPE': y.set(arg(0)); break;
      case 'SOFTMAX': {
        const x = arg(0), n = out.shape[out.shape.length - 1];
        for (let r = 0; r < y.length; r += n) {
          let m = -Infinity, s = 0;
          for (let j = 0; j < n; j++) m = Math.max(m, x[r + j]);
          for (let j = 0; j < n; j++) s += (y[r + j] = Math.exp(o.beta * (x[r + j] - m)));
          for (let j = 0; j < n; j++) y[r + j] /= s;
        }
        break;
      }
      case 'GATHER': case 'CAST': throw new ExportError(`the float engine does not run ${o.op} (${out.name})`, 'ERR_EXPORT');
      default: unary(o, arg(0), y);
    }
    vals[o.outputs[0]] = y;
    observe?.(o.outputs[0], y);
  }
  return g.outputs.map((t) => vals[t]!);
}
