// A network is data: stem, a table of blocks, head, and the block types as lists of ops.
// validateSpec() is the edge check for specs that come from users (JSON files).
import { ACTIVATIONS, type Activation } from '../backend/types.js';

/** How a layer's channel count follows the width multiplier. */
export type ScaleRule = 'width' | 'above-one' | 'fixed';

/** One convolution inside a block type. Sizes refer to the block's row in the table. */
export interface BlockOp {
  conv: 'pointwise' | 'depthwise';
  /** pointwise: output channels, the block's expansion width or its output width. */
  out?: 'exp' | 'out';
  /** depthwise: channel multiplier 1, or floor(expansion width / input width). */
  multiplier?: 'one' | 'exp/in';
  /** this op carries the block's stride. */
  strided?: boolean;
  bias: boolean;
  bn: boolean;
  /** 'block' takes the activation from the block's row. */
  act: 'block' | Activation;
  /** squeeze-and-excite after this op, when the block's row asks for SE. */
  se?: boolean;
}

export interface BlockSpec {
  type: string;
  kernel: number;
  /** expansion channels as in the paper's table (for the table's own input width) */
  exp: number;
  out: number;
  se: boolean;
  act: Activation;
  stride: number;
}

export interface ConvSpec {
  kernel: number;
  out: number;
  stride: number;
  act: Activation;
  bn: boolean;
  bias: boolean;
  se: boolean;
  scale: ScaleRule;
}

export interface NetworkSpec {
  name: string;
  description?: string;
  inputSize: number;
  inputChannels: number;
  classes: number;
  width: number;
  /** channel counts are rounded up to a multiple of this */
  divisor: number;
  se: { ratio: number; round: 'floor' | 'divisor'; inner: Activation; gate: Activation };
  blockTypes: Record<string, BlockOp[]>;
  stem: ConvSpec;
  blocks: BlockSpec[];
  /** 1x1 convs before the global pool */
  headBeforePool: ConvSpec[];
  /** 1x1 convs after the global pool, then dropout, then the classifier (1x1 conv with bias) */
  headAfterPool: ConvSpec[];
  dropout: number;
  bnMomentum: number;
  bnEps: number;
}

export class SpecError extends Error {
  readonly code = 'ERR_SPEC';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isAct = (v: unknown): v is Activation => ACTIVATIONS.includes(v as Activation);
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

function expect(ok: boolean, what: string, name: string, got: unknown): void {
  if (!ok) throw new SpecError(`Expected ${what} for ${name} but received ${show(got)}`);
}

function checkConv(c: unknown, name: string): void {
  expect(isObject(c), 'an object', name, c);
  const o = c as Record<string, unknown>;
  expect(isPosInt(o.kernel) && (o.kernel as number) % 2 === 1, 'an odd positive integer', `${name}.kernel`, o.kernel);
  expect(isPosInt(o.out), 'a positive integer', `${name}.out`, o.out);
  expect(isPosInt(o.stride), 'a positive integer', `${name}.stride`, o.stride);
  expect(isAct(o.act), `one of ${ACTIVATIONS.join('|')}`, `${name}.act`, o.act);
  for (const k of ['bn', 'bias', 'se']) expect(isBool(o[k]), 'true or false', `${name}.${k}`, o[k]);
  expect(['width', 'above-one', 'fixed'].includes(o.scale as string), 'width|above-one|fixed', `${name}.scale`, o.scale);
}

function checkBlockOp(op: unknown, name: string): void {
  expect(isObject(op), 'an object', name, op);
  const o = op as Record<string, unknown>;
  expect(o.conv === 'pointwise' || o.conv === 'depthwise', 'pointwise|depthwise', `${name}.conv`, o.conv);
  if (o.conv === 'pointwise') expect(o.out === 'exp' || o.out === 'out', 'exp|out', `${name}.out`, o.out);
  if (o.multiplier !== undefined) expect(o.multiplier === 'one' || o.multiplier === 'exp/in', 'one|exp/in', `${name}.multiplier`, o.multiplier);
  for (const k of ['bias', 'bn']) expect(isBool(o[k]), 'true or false', `${name}.${k}`, o[k]);
  for (const k of ['strided', 'se']) if (o[k] !== undefined) expect(isBool(o[k]), 'true or false', `${name}.${k}`, o[k]);
  expect(o.act === 'block' || isAct(o.act), `block or one of ${ACTIVATIONS.join('|')}`, `${name}.act`, o.act);
}

/** Throws SpecError naming the first bad field; returns the spec typed. */
export function validateSpec(spec: unknown): NetworkSpec {
  expect(isObject(spec), 'an object', 'spec', spec);
  const s = spec as Record<string, unknown>;
  expect(typeof s.name === 'string' && s.name.length > 0, 'a non-empty string', 'spec.name', s.name);
  for (const k of ['inputSize', 'inputChannels', 'classes', 'divisor']) expect(isPosInt(s[k]), 'a positive integer', `spec.${k}`, s[k]);
  expect(typeof s.width === 'number' && s.width > 0 && s.width <= 8, 'a number in (0, 8]', 'spec.width', s.width);
  expect(typeof s.dropout === 'number' && s.dropout >= 0 && s.dropout < 1, 'a number in [0, 1)', 'spec.dropout', s.dropout);
  expect(typeof s.bnMomentum === 'number' && s.bnMomentum >= 0 && s.bnMomentum < 1, 'a number in [0, 1)', 'spec.bnMomentum', s.bnMomentum);
  expect(typeof s.bnEps === 'number' && s.bnEps > 0, 'a positive number', 'spec.bnEps', s.bnEps);
  expect(isObject(s.se), 'an object', 'spec.se', s.se);
  const se = s.se as Record<string, unknown>;
  expect(isPosInt(se.ratio), 'a positive integer', 'spec.se.ratio', se.ratio);
  expect(se.round === 'floor' || se.round === 'divisor', 'floor|divisor', 'spec.se.round', se.round);
  expect(isAct(se.inner), 'an activation', 'spec.se.inner', se.inner);
  expect(isAct(se.gate), 'an activation', 'spec.se.gate', se.gate);
  expect(isObject(s.blockTypes), 'an object', 'spec.blockTypes', s.blockTypes);
  const types = s.blockTypes as Record<string, unknown>;
  for (const [t, ops] of Object.entries(types)) {
    expect(Array.isArray(ops) && ops.length > 0, 'a non-empty array of ops', `spec.blockTypes.${t}`, ops);
    (ops as unknown[]).forEach((op, i) => checkBlockOp(op, `spec.blockTypes.${t}[${i}]`));
    expect((ops as BlockOp[]).filter((o) => o.strided).length <= 1, 'at most one strided op', `spec.blockTypes.${t}`, ops);
  }
  checkConv(s.stem, 'spec.stem');
  expect(Array.isArray(s.blocks) && s.blocks.length > 0, 'a non-empty array', 'spec.blocks', s.blocks);
  (s.blocks as unknown[]).forEach((b, i) => {
    const name = `spec.blocks[${i}]`;
    expect(isObject(b), 'an object', name, b);
    const o = b as Record<string, unknown>;
    expect(typeof o.type === 'string' && o.type in types, `a block type (${Object.keys(types).join('|')})`, `${name}.type`, o.type);
    expect(isPosInt(o.kernel) && (o.kernel as number) % 2 === 1, 'an odd positive integer', `${name}.kernel`, o.kernel);
    for (const k of ['exp', 'out', 'stride']) expect(isPosInt(o[k]), 'a positive integer', `${name}.${k}`, o[k]);
    expect(isBool(o.se), 'true or false', `${name}.se`, o.se);
    expect(isAct(o.act), `one of ${ACTIVATIONS.join('|')}`, `${name}.act`, o.act);
  });
  for (const k of ['headBeforePool', 'headAfterPool']) {
    expect(Array.isArray(s[k]), 'an array', `spec.${k}`, s[k]);
    (s[k] as unknown[]).forEach((c, i) => checkConv(c, `spec.${k}[${i}]`));
  }
  return spec as NetworkSpec;
}
