// Lowers a trained network (its GraphNode tree and weights) to the float deployment graph:
// batch 1, BN folded into the convolution before it, activations fused where TFLite can fuse them
// (RELU, RELU6), the rest as ops. Mish and hard-sigmoid stay pseudo-ops here; legalize.ts (float)
// and quantize.ts (int8) give them builtin form, each in the way that suits its number format.
import { LEAKY_RELU_ALPHA, type Activation } from '../backend/types.js';
import type { GraphNode } from '../nn/layer.js';
import type { NetworkSpec } from '../models/spec.js';
import { GraphBuilder, type FusedAct, type Graph } from './ir.js';

export class ExportError extends Error {
  constructor(message: string, readonly code = 'ERR_EXPORT') {
    super(message);
    this.name = 'ExportError';
  }
}

export interface LowerInput {
  spec: NetworkSpec;
  graph: GraphNode;
  /** every parameter and BN statistic by name (`stem.conv.weight`, `stem.bn.moving_mean`, ...) */
  tensors: Map<string, Float32Array>;
  labels: string[];
  normalization: { mean: number[]; std: number[] };
}

type Shape4 = [number, number, number, number];

class Lowering {
  readonly b = new GraphBuilder();
  constructor(private readonly src: LowerInput) {}

  get(name: string): Float32Array {
    const t = this.src.tensors.get(name);
    if (!t) throw new ExportError(`the checkpoint has no tensor ${name}; it does not match its spec`, 'ERR_EXPORT_WEIGHTS');
    return t;
  }

  activation(name: string, shape: Shape4): number {
    return this.b.tensor({ name, shape: [...shape], dtype: 'float32' });
  }

  constant(name: string, shape: number[], data: Float32Array): number {
    return this.b.tensor({ name, shape, dtype: 'float32', data });
  }

  /** conv (+ folded BN) (+ activation): the unit every block is made of. */
  conv(x: number, node: Extract<GraphNode, { op: 'conv' }>, bn: Extract<GraphNode, { op: 'batchnorm' }> | null, act: Activation): number {
    const [, h, w, cin] = this.b.tensors[x].shape;
    if (cin !== node.cin) throw new ExportError(`${node.name} expects ${node.cin} input channels but its input has ${cin}`);
    const k = node.kernel, cout = node.cout;
    const depthwise = node.groups > 1 && node.groups === node.cin;
    if (node.groups > 1 && !depthwise) throw new ExportError(`${node.name} is a grouped convolution (groups ${node.groups}); TFLite has no builtin for it`);
    const hwio = this.get(`${node.name}.weight`); // (KH, KW, Cin/groups, Cout)
    const bias = node.bias ? Float32Array.from(this.get(`${node.name}.bias`)) : new Float32Array(cout);
    const scale = new Float64Array(cout).fill(1);
    if (bn) {
      const gamma = this.get(`${bn.name}.gamma`), beta = this.get(`${bn.name}.beta`);
      const mean = this.get(`${bn.name}.moving_mean`), variance = this.get(`${bn.name}.moving_variance`);
      for (let o = 0; o < cout; o++) {
        scale[o] = gamma[o] / Math.sqrt(variance[o] + bn.eps);
        bias[o] = (bias[o] - mean[o]) * scale[o] + beta[o];
      }
    }
    const cinG = depthwise ? 1 : cin;
    let weight: Float32Array, wShape: number[];
    if (depthwise) {
      // HWIO with I = 1 is already TFLite's depthwise layout (1, KH, KW, Cout).
      weight = new Float32Array(hwio.length);
      for (let i = 0; i < hwio.length; i++) weight[i] = hwio[i] * scale[i % cout];
      wShape = [1, k, k, cout];
    } else {
      weight = new Float32Array(hwio.length); // -> (Cout, KH, KW, Cin)
      for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let i = 0; i < cinG; i++) for (let o = 0; o < cout; o++) {
        weight[((o * k + ky) * k + kx) * cinG + i] = hwio[((ky * k + kx) * cinG + i) * cout + o] * scale[o];
      }
      wShape = [cout, k, k, cinG];
    }
    const oh = Math.ceil(h / node.stride), ow = Math.ceil(w / node.stride);
    const fused: FusedAct = act === 'relu' ? 'RELU' : act === 'relu6' ? 'RELU6' : 'NONE';
    const wi = this.constant(`${node.name}.weight`, wShape, weight);
    const bi = this.constant(`${node.name}.bias`, [cout], bias);
    const outName = bn ? bn.name : node.name;
    const y = this.activation(fused === 'NONE' && act !== 'none' ? `${outName}.preact` : outName, [1, oh, ow, cout]);
    if (depthwise) {
      this.b.op({ op: 'DEPTHWISE_CONV_2D', inputs: [x, wi, bi], outputs: [y], stride: node.stride, padding: 'SAME', multiplier: cout / cin, act: fused });
    } else {
      this.b.op({ op: 'CONV_2D', inputs: [x, wi, bi], outputs: [y], stride: node.stride, padding: 'SAME', act: fused });
    }
    return fused === 'NONE' ? this.act(y, act, outName) : y;
  }

  /** An activation as an op of its own (those TFLite cannot fuse). */
  act(x: number, act: Activation, name: string): number {
    if (act === 'none') return x;
    const y = this.activation(name, this.b.tensors[x].shape as Shape4);
    if (act === 'leaky_relu') return this.b.op({ op: 'LEAKY_RELU', inputs: [x], outputs: [y], alpha: LEAKY_RELU_ALPHA });
    const op = ({ hswish: 'HARD_SWISH', sigmoid: 'LOGISTIC', mish: 'MISH', hsigmoid: 'HARD_SIGMOID', relu: 'RELU', relu6: 'RELU6' } as const)[act];
    this.b.op({ op, inputs: [x], outputs: [y] });
    return y;
  }

  pool(x: number, name: string): number {
    const [, h, w, c] = this.b.tensors[x].shape;
    if (h !== w) throw new ExportError(`${name}: global pooling of a ${h}x${w} map; only square inputs are exported`);
    const y = this.activation(name, [1, 1, 1, c]);
    return this.b.op({ op: 'AVERAGE_POOL_2D', inputs: [x], outputs: [y], filter: h, stride: 1, padding: 'VALID', act: 'NONE' });
  }

  se(x: number, node: Extract<GraphNode, { op: 'se' }>): number {
    const p = this.pool(x, `${node.name}.pool`);
    const conv = (name: string, cin: number, cout: number) => ({ op: 'conv' as const, name, cin, cout, kernel: 1, stride: 1, groups: 1, bias: false });
    const r = this.conv(p, conv(node.fc1, node.channels, node.reduced), null, node.inner);
    const g = this.conv(r, conv(node.fc2, node.reduced, node.channels), null, node.gate);
    const y = this.activation(node.name, this.b.tensors[x].shape as Shape4);
    return this.b.op({ op: 'MUL', inputs: [x, g], outputs: [y], act: 'NONE' });
  }

  node(x: number, n: GraphNode): number {
    switch (n.op) {
      case 'sequential': {
        for (let i = 0; i < n.layers.length; i++) {
          const l = n.layers[i], next = n.layers[i + 1];
          if (l.op === 'conv') {
            if (next?.op === 'batchnorm') { x = this.conv(x, l, next, next.act); i++; }
            else if (next?.op === 'activation') { x = this.conv(x, l, null, next.act); i++; }
            else x = this.conv(x, l, null, 'none');
          } else x = this.node(x, l);
        }
        return x;
      }
      case 'residual': {
        const body = this.node(x, n.body);
        const y = this.activation(`${n.name}.add`, this.b.tensors[body].shape as Shape4);
        return this.b.op({ op: 'ADD', inputs: [body, x], outputs: [y], act: 'NONE' });
      }
      case 'se': return this.se(x, n);
      case 'avgpool': return this.pool(x, n.name);
      case 'dropout': return x; // inference: identity
      case 'activation': return this.act(x, n.act, n.name);
      case 'conv': return this.conv(x, n, null, 'none');
      case 'batchnorm': throw new ExportError(`${n.name}: batch norm not preceded by a convolution cannot be folded`);
    }
  }
}

/** The float graph of a trained network: input (1, S, S, C) normalised, output (1, classes) softmax. */
export function lowerNetwork(src: LowerInput): Graph {
  const s = src.spec, l = new Lowering(src);
  const input = l.activation('input', [1, s.inputSize, s.inputSize, s.inputChannels]);
  const logits4 = l.node(input, src.graph);
  const shape = l.b.tensors[logits4].shape;
  if (shape[1] !== 1 || shape[2] !== 1) throw new ExportError(`the network ends in a ${shape[1]}x${shape[2]} map, not 1x1 logits`);
  const logits = l.b.tensor({ name: 'logits', shape: [1, shape[3]], dtype: 'float32' });
  l.b.op({ op: 'RESHAPE', inputs: [logits4], outputs: [logits], newShape: [1, shape[3]] });
  const probs = l.b.tensor({ name: 'probabilities', shape: [1, shape[3]], dtype: 'float32' });
  l.b.op({ op: 'SOFTMAX', inputs: [logits], outputs: [probs], beta: 1 });
  const description = JSON.stringify({
    producer: 'cmv3', model: s.name, width: s.width, inputSize: s.inputSize, labels: src.labels, normalization: src.normalization,
  });
  return l.b.finish([input], [probs], description);
}
