// A network is data: stem, a table of blocks, head, and the block types as lists of ops.
// validateSpec() is the edge check for specs that come from users (JSON files).
import { ACTIVATIONS, type Activation } from '../backend/types.js';
import { didYouMean } from '../suggest.js';

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

/** One block of a network: its type, kernel, expansion, output channels, SE, activation and stride. */
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

/** A plain convolution (stem and head): kernel, output channels, stride, activation, BN, bias, SE and scaling rule. */
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

/** A network as data: input, width, blocks, head and the rules that size them. */
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

/** A spec that is not valid; the message names the field and what was expected. */
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

// The keys each object of a spec may have: anything else is a typo (`"strdie": 2` would otherwise
// be ignored and the default stride used without a word).
const KEYS = {
  spec: ['name', 'description', 'inputSize', 'inputChannels', 'classes', 'width', 'divisor', 'se', 'blockTypes', 'stem', 'blocks', 'headBeforePool', 'headAfterPool', 'dropout', 'bnMomentum', 'bnEps'],
  se: ['ratio', 'round', 'inner', 'gate'],
  conv: ['kernel', 'out', 'stride', 'act', 'bn', 'bias', 'se', 'scale'],
  blockOp: ['conv', 'out', 'multiplier', 'strided', 'bias', 'bn', 'act', 'se'],
  block: ['type', 'kernel', 'exp', 'out', 'se', 'act', 'stride'],
} as const;

function knownKeys(o: Record<string, unknown>, keys: readonly string[], name: string): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new SpecError(`unknown key '${k}' in ${name}${didYouMean(k, keys)} (the keys are ${keys.join(', ')})`);
  }
}

// Bounds that keep a spec from asking for more than a machine has before anything is allocated
// (an expansion of 1e7 ran \`summary\` for minutes): sizes, and a coarse upper bound on the
// weights and on one layer's activations for one image, from the spec's own numbers.
export const SPEC_LIMITS = { kernel: 15, stride: 8, channels: 16384, inputSize: 1024, classes: 100000, divisor: 1024, maxParams: 200e6, maxActivations: 256e6 };

function checkConv(c: unknown, name: string): void {
  expect(isObject(c), 'an object', name, c);
  const o = c as Record<string, unknown>;
  knownKeys(o, KEYS.conv, name);
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
  knownKeys(o, KEYS.blockOp, name);
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
  knownKeys(s, KEYS.spec, 'spec');
  expect(typeof s.name === 'string' && s.name.length > 0, 'a non-empty string', 'spec.name', s.name);
  for (const k of ['inputSize', 'inputChannels', 'classes', 'divisor']) expect(isPosInt(s[k]), 'a positive integer', `spec.${k}`, s[k]);
  expect(typeof s.width === 'number' && s.width > 0 && s.width <= 8, 'a number in (0, 8]', 'spec.width', s.width);
  expect(typeof s.dropout === 'number' && s.dropout >= 0 && s.dropout < 1, 'a number in [0, 1)', 'spec.dropout', s.dropout);
  expect(typeof s.bnMomentum === 'number' && s.bnMomentum >= 0 && s.bnMomentum < 1, 'a number in [0, 1)', 'spec.bnMomentum', s.bnMomentum);
  expect(typeof s.bnEps === 'number' && s.bnEps > 0, 'a positive number', 'spec.bnEps', s.bnEps);
  expect(isObject(s.se), 'an object', 'spec.se', s.se);
  const se = s.se as Record<string, unknown>;
  knownKeys(se, KEYS.se, 'spec.se');
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
    knownKeys(o, KEYS.block, name);
    expect(typeof o.type === 'string' && Object.hasOwn(types, o.type), `a block type (${Object.keys(types).join('|')})`, `${name}.type`, o.type);
    expect(isPosInt(o.kernel) && (o.kernel as number) % 2 === 1, 'an odd positive integer', `${name}.kernel`, o.kernel);
    for (const k of ['exp', 'out', 'stride']) expect(isPosInt(o[k]), 'a positive integer', `${name}.${k}`, o[k]);
    expect(isBool(o.se), 'true or false', `${name}.se`, o.se);
    expect(isAct(o.act), `one of ${ACTIVATIONS.join('|')}`, `${name}.act`, o.act);
  });
  for (const k of ['headBeforePool', 'headAfterPool']) {
    expect(Array.isArray(s[k]), 'an array', `spec.${k}`, s[k]);
    (s[k] as unknown[]).forEach((c, i) => checkConv(c, `spec.${k}[${i}]`));
  }
  checkSize(spec as NetworkSpec);
  return spec as NetworkSpec;
}

/** Per-field bounds and the coarse size bound (SPEC_LIMITS). */
function checkSize(s: NetworkSpec): void {
  const L = SPEC_LIMITS;
  const bound = (v: number, max: number, name: string) => {
    if (v > max) throw new SpecError(`${name} is ${v}, over the limit of ${max}; a network this large does not fit a microcontroller or this machine`);
  };
  bound(s.inputSize, L.inputSize, 'spec.inputSize');
  bound(s.classes, L.classes, 'spec.classes');
  bound(s.divisor, L.divisor, 'spec.divisor');
  bound(s.inputChannels, L.channels, 'spec.inputChannels');
  const convs: [ConvSpec, string][] = [[s.stem, 'spec.stem'], ...s.headBeforePool.map((c, i): [ConvSpec, string] => [c, `spec.headBeforePool[${i}]`]), ...s.headAfterPool.map((c, i): [ConvSpec, string] => [c, `spec.headAfterPool[${i}]`])];
  for (const [c, name] of convs) { bound(c.kernel, L.kernel, `${name}.kernel`); bound(c.stride, L.stride, `${name}.stride`); bound(c.out, L.channels, `${name}.out`); }
  s.blocks.forEach((b, i) => { bound(b.kernel, L.kernel, `spec.blocks[${i}].kernel`); bound(b.stride, L.stride, `spec.blocks[${i}].stride`); bound(b.exp, L.channels, `spec.blocks[${i}].exp`); bound(b.out, L.channels, `spec.blocks[${i}].out`); });
  // Upper bounds: every channel count scaled by the width (at least 1) and rounded up to the divisor.
  const w = Math.max(1, s.width), ch = (c: number) => Math.ceil((c * w) / s.divisor) * s.divisor;
  let params = 0, widest = s.inputChannels, cin = s.inputChannels;
  const add = (k: number, cout: number) => { params += k * k * cin * cout + cout; widest = Math.max(widest, cout); cin = cout; };
  add(s.stem.kernel, ch(s.stem.out));
  for (const b of s.blocks) {
    const e = ch(b.exp), ops = s.blockTypes[b.type].length;
    params += ops * (b.kernel * b.kernel + cin + e) * e; // each op at most k*k*cin*e or cin*e weights
    widest = Math.max(widest, e); // a depthwise multiplier exp/in gives at most e channels
    cin = ch(b.out);
  }
  for (const c of [...s.headBeforePool, ...s.headAfterPool]) add(c.kernel, ch(c.out));
  params += cin * s.classes;
  const acts = s.inputSize * s.inputSize * widest;
  if (params > L.maxParams) throw new SpecError(`the spec asks for up to ${(params / 1e6).toFixed(0)}M weights (width ${s.width}), over the limit of ${L.maxParams / 1e6}M; use smaller expansions, outputs or width`);
  if (acts > L.maxActivations) throw new SpecError(`one layer of the spec may need up to ${(acts / 1e6).toFixed(0)}M activations per image (input ${s.inputSize}, ${widest} channels), over the limit of ${L.maxActivations / 1e6}M; use a smaller input, expansion or width`);
}
