// The paper's two networks as data. Users copy and vary these (cmv3 summary --dump-spec).
import type { BlockOp, BlockSpec, ConvSpec, NetworkSpec } from './spec.js';

/** MobileNetV3 inverted bottleneck: expand 1x1, depthwise (+SE), project 1x1; no biases. */
const BNECK: BlockOp[] = [
  { conv: 'pointwise', out: 'exp', bias: false, bn: true, act: 'block' },
  { conv: 'depthwise', multiplier: 'one', strided: true, bias: false, bn: true, act: 'block', se: true },
  { conv: 'pointwise', out: 'out', bias: false, bn: true, act: 'none' },
];

/** CMV3's Depthwise-Pointwise-Depthwise block, as reconstructed from the paper's parameter counts. */
const DPD: BlockOp[] = [
  { conv: 'depthwise', multiplier: 'exp/in', strided: true, bias: true, bn: true, act: 'block' },
  { conv: 'pointwise', out: 'out', bias: true, bn: true, act: 'block' },
  { conv: 'depthwise', multiplier: 'one', bias: false, bn: true, act: 'block' },
  { conv: 'pointwise', out: 'out', bias: true, bn: true, act: 'none' },
];

const conv = (out: number, act: ConvSpec['act'], extra: Partial<ConvSpec> = {}): ConvSpec =>
  ({ kernel: 1, out, stride: 1, act, bn: true, bias: false, se: false, scale: 'width', ...extra });
const block = (type: string, kernel: number, exp: number, out: number, se: boolean, act: BlockSpec['act'], stride: number): BlockSpec =>
  ({ type, kernel, exp, out, se, act, stride });

/** MobileNetV3-Small for CIFAR-10 as in the paper (1,846,930 parameters at width 1). */
export const MOBILENETV3_SMALL: NetworkSpec = {
  name: 'mobilenetv3-small',
  description: 'MobileNetV3-Small (Howard et al. 2019), the CMV3 paper\'s baseline; stem and first block at stride 1 for 32x32 inputs',
  inputSize: 32, inputChannels: 3, classes: 10, width: 1, divisor: 8,
  se: { ratio: 4, round: 'floor', inner: 'relu', gate: 'hsigmoid' },
  blockTypes: { bneck: BNECK },
  stem: conv(16, 'hswish', { kernel: 3, stride: 1, scale: 'fixed' }),
  blocks: [
    block('bneck', 3, 16, 16, true, 'relu', 1),
    block('bneck', 3, 72, 24, false, 'relu', 2),
    block('bneck', 3, 88, 24, false, 'relu', 1),
    block('bneck', 5, 96, 40, true, 'hswish', 2),
    block('bneck', 5, 240, 40, true, 'hswish', 1),
    block('bneck', 5, 240, 40, true, 'hswish', 1),
    block('bneck', 5, 120, 48, true, 'hswish', 1),
    block('bneck', 5, 144, 48, true, 'hswish', 1),
    block('bneck', 5, 288, 96, true, 'hswish', 2),
    block('bneck', 5, 576, 96, true, 'hswish', 1),
    block('bneck', 5, 576, 96, true, 'hswish', 1),
  ],
  headBeforePool: [conv(576, 'hswish', { se: true })],
  headAfterPool: [conv(1280, 'hswish', { bn: false, scale: 'above-one' })],
  dropout: 0.2, bnMomentum: 0.99, bnEps: 1e-3,
};

/** CMV3 as in the paper: DPD blocks, Mish, enlarged expansions (171,946 parameters at width 0.5). */
export const CMV3: NetworkSpec = {
  name: 'cmv3',
  description: 'Compressed MobileNet V3, the paper\'s Table I (DPD blocks with Mish, enlarged expansions)',
  inputSize: 32, inputChannels: 3, classes: 10, width: 0.5, divisor: 8,
  se: { ratio: 4, round: 'divisor', inner: 'relu', gate: 'hsigmoid' },
  blockTypes: { bneck: BNECK, dpd: DPD },
  stem: conv(16, 'hswish', { kernel: 3, stride: 1, scale: 'fixed' }),
  blocks: [
    block('bneck', 3, 48, 32, true, 'hswish', 1),
    block('dpd', 3, 88, 40, false, 'mish', 1),
    block('dpd', 3, 240, 40, false, 'mish', 1),
    block('bneck', 5, 160, 48, true, 'hswish', 2),
    block('dpd', 5, 288, 96, false, 'mish', 1),
    block('dpd', 5, 592, 128, false, 'mish', 1),
  ],
  headBeforePool: [conv(256, 'hswish', { se: true })],
  headAfterPool: [conv(576, 'hswish', { bn: false, scale: 'above-one' })],
  dropout: 0.2, bnMomentum: 0.99, bnEps: 1e-3,
};

/** The built-in networks by name. */
export const BUILTIN_SPECS: Record<string, NetworkSpec> = {
  [MOBILENETV3_SMALL.name]: MOBILENETV3_SMALL,
  [CMV3.name]: CMV3,
};
