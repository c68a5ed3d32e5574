// Scalar activation math: the definitions every backend must match (native/eltwise.h mirrors it).
import { LEAKY_RELU_ALPHA, type Activation } from './types.js';

function softplus(x: number): number {
  // log(1 + e^x) without overflow for large x or loss for very negative x.
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

export function activate(act: Activation, x: number): number {
  switch (act) {
    case 'none': return x;
    case 'relu': return x > 0 ? x : 0;
    case 'relu6': return x <= 0 ? 0 : x >= 6 ? 6 : x;
    case 'hswish': return x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6;
    case 'hsigmoid': return x <= -3 ? 0 : x >= 3 ? 1 : (x + 3) / 6;
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'mish': return x * Math.tanh(softplus(x));
    case 'leaky_relu': return x >= 0 ? x : LEAKY_RELU_ALPHA * x;
  }
}

/** d act(x) / dx, evaluated at the input x. */
export function activateGrad(act: Activation, x: number): number {
  switch (act) {
    case 'none': return 1;
    case 'relu': return x > 0 ? 1 : 0;
    case 'relu6': return x > 0 && x < 6 ? 1 : 0;
    case 'hswish': return x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6;
    case 'hsigmoid': return x > -3 && x < 3 ? 1 / 6 : 0;
    case 'sigmoid': { const s = 1 / (1 + Math.exp(-x)); return s * (1 - s); }
    case 'mish': {
      const t = Math.tanh(softplus(x));
      const s = 1 / (1 + Math.exp(-x));
      return t + x * s * (1 - t * t);
    }
    case 'leaky_relu': return x >= 0 ? 1 : LEAKY_RELU_ALPHA;
  }
}
