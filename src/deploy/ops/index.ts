// The registry of deployment ops: one module per op in this folder, one line per op here.
// To add an op: write its module (an OpSpec), add it below and to the IR's OpDef (ir.ts); the
// writer, reader, planner, cost model and deploy folder pick it up from here.
import type { BuiltinName, OpName } from '../ir.js';
import { ADD } from './add.js';
import { AVERAGE_POOL_2D } from './average-pool-2d.js';
import { CAST } from './cast.js';
import { CONV_2D } from './conv-2d.js';
import { DEPTHWISE_CONV_2D } from './depthwise-conv-2d.js';
import { EXP } from './exp.js';
import { GATHER } from './gather.js';
import { HARD_SIGMOID } from './hard-sigmoid.js';
import { HARD_SWISH } from './hard-swish.js';
import { LEAKY_RELU } from './leaky-relu.js';
import { LOG } from './log.js';
import { LOGISTIC } from './logistic.js';
import { MISH } from './mish.js';
import { MUL } from './mul.js';
import type { BuiltinFacet, OpSpec } from './op.js';
import { RELU } from './relu.js';
import { RELU6 } from './relu6.js';
import { RESHAPE } from './reshape.js';
import { SOFTMAX } from './softmax.js';
import { TANH } from './tanh.js';

export const OPS: { [N in OpName]: OpSpec<N> } = {
  CONV_2D, DEPTHWISE_CONV_2D, ADD, MUL, AVERAGE_POOL_2D, RESHAPE, SOFTMAX, GATHER, CAST,
  HARD_SWISH, LOGISTIC, TANH, EXP, LOG, RELU, RELU6, MISH, HARD_SIGMOID,
  LEAKY_RELU,
};

/** The spec of op `name`, loosely typed, for code that handles any op. */
export function opSpec(name: OpName): OpSpec {
  return OPS[name] as unknown as OpSpec;
}

/** The TFLite facet of a builtin op; throws for a pseudo-op (the caller checked isBuiltin). */
export function builtinOf(name: OpName): BuiltinFacet<BuiltinName> {
  const b = opSpec(name).builtin as BuiltinFacet<BuiltinName> | undefined;
  if (!b) throw new Error(`${name} is a pseudo-op, not a TFLite builtin`);
  return b;
}

export function isBuiltin(name: OpName): name is BuiltinName {
  return opSpec(name).builtin !== undefined;
}

/** Builtin ops by their BuiltinOperator code. */
export const OP_BY_CODE = new Map<number, BuiltinName>(
  (Object.keys(OPS) as OpName[]).filter(isBuiltin).map((name) => [builtinOf(name).code, name]),
);
