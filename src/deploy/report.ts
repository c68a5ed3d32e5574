// The MCU report of an int8 graph: per op MACs, weight and activation bytes, estimated cycles;
// in total flash (model file + runtime code), SRAM (arena plan + runtime overhead) and latency on a
// target. Everything here except the model size and the arena plan is an ESTIMATE from a stated
// cost model, not a measurement: per-op-type instruction rates of TFLite Micro with CMSIS-NN's
// int8 kernels measured on an emulated Cortex-M7 (ops/cycles.ts), one instruction per cycle.
import { bytesPerElement, elementCount, type Graph } from './ir.js';
import { CYCLES } from './ops/cycles.js';
import { opSpec } from './ops/index.js';
import { planArena } from './planner.js';

export interface Target {
  name: string;
  description: string;
  mhz: number;
  sramBytes: number;
  flashBytes: number;
}

export const TARGETS: Record<string, Target> = {
  imxrt1060: { name: 'imxrt1060', description: 'NXP i.MX RT1060 (Cortex-M7, 600 MHz, 1 MB on-chip SRAM, 8 MB QSPI flash on the EVK)', mhz: 600, sramBytes: 1024 * 1024, flashBytes: 8 * 1024 * 1024 },
  stm32h7: { name: 'stm32h7', description: 'ST STM32H743 (Cortex-M7, 480 MHz, 1 MB SRAM, 2 MB flash)', mhz: 480, sramBytes: 1024 * 1024, flashBytes: 2 * 1024 * 1024 },
};

/** The cost model's rates live with the ops (ops/cycles.ts); each op module computes its own cost. */
export { CYCLES };

/** TFLite Micro code size (interpreter, allocator, CMSIS-NN kernels): an estimate in bytes. */
export const RUNTIME_CODE = { core: 40 * 1024, perOpType: 6 * 1024 };
/** Arena overhead besides activations: per tensor (TfLiteEvalTensor + planner record) and per conv channel (multiplier + shift). */
export const RUNTIME_RAM = { perTensor: 48, perConvChannel: 8, fixed: 2 * 1024 };

export interface OpReport {
  index: number;
  op: string;
  name: string;
  shape: number[];
  macs: number;
  weightBytes: number;
  activationBytes: number;
  cycles: number;
}

/** The MCU report: per-op work and memory, flash, the planned arena, an estimated latency and the assumptions behind it. */
export interface Report {
  target: Target;
  ops: OpReport[];
  totals: { macs: number; weightBytes: number; params: number; cycles: number };
  flash: { modelBytes: number; runtimeCodeBytes: number; totalBytes: number };
  sram: { arenaBytes: number; arenaInPlaceBytes: number; runtimeBytes: number; totalBytes: number; peakOp: string; peakTensors: string[] };
  latencyMs: number;
  assumptions: string[];
}

export function mcuReport(g: Graph, modelBytes: number, target: Target): Report {
  const ops: OpReport[] = g.ops.map((o, index) => {
    const { macs, cycles } = opSpec(o.op).cost(o as never, g.tensors);
    const consts = o.inputs.filter((i) => g.tensors[i].data), acts = [...o.inputs.filter((i) => !g.tensors[i].data), o.outputs[0]];
    const bytes = (i: number) => elementCount(g.tensors[i].shape) * bytesPerElement(g.tensors[i].dtype);
    return {
      index, op: o.op, name: g.tensors[o.outputs[0]].name, shape: [...g.tensors[o.outputs[0]].shape], macs, cycles,
      weightBytes: consts.reduce((a, i) => a + bytes(i), 0), activationBytes: acts.reduce((a, i) => a + bytes(i), 0),
    };
  });
  const plan = planArena(g), inPlace = planArena(g, { inPlace: true });
  const convChannels = g.ops.filter((o) => opSpec(o.op).channelParams).reduce((a, o) => a + g.tensors[o.outputs[0]].shape[3], 0);
  const runtimeBytes = RUNTIME_RAM.fixed + RUNTIME_RAM.perTensor * g.tensors.length + RUNTIME_RAM.perConvChannel * convChannels;
  const opTypes = new Set(g.ops.map((o) => o.op)).size;
  const runtimeCodeBytes = RUNTIME_CODE.core + RUNTIME_CODE.perOpType * opTypes;
  const cycles = ops.reduce((a, r) => a + r.cycles, 0);
  const params = g.tensors.filter((t) => t.data && t.name !== '' ).reduce((a, t) => a + elementCount(t.shape), 0);
  return {
    target, ops,
    totals: { macs: ops.reduce((a, r) => a + r.macs, 0), weightBytes: ops.reduce((a, r) => a + r.weightBytes, 0), params, cycles },
    flash: { modelBytes, runtimeCodeBytes, totalBytes: modelBytes + runtimeCodeBytes },
    sram: { arenaBytes: plan.peak, arenaInPlaceBytes: inPlace.peak, runtimeBytes, totalBytes: plan.peak + runtimeBytes, peakOp: `${g.ops[plan.peakOp].op} ${g.tensors[g.ops[plan.peakOp].outputs[0]].name}`, peakTensors: plan.peakTensors },
    latencyMs: (cycles / (target.mhz * 1e6)) * 1000,
    assumptions: [
      `latency is an estimate: per-op instruction rates of TFLite Micro with CMSIS-NN kernels measured on an emulated Cortex-M7 (conv ${CYCLES.conv1x1}, depthwise ${CYCLES.depthwise}, depthwise with a channel multiplier ${CYCLES.depthwiseMultiplier} per MAC; add ${CYCLES.add}, mul ${CYCLES.mul}, hard-swish ${CYCLES.hardSwish}, table lookups ${CYCLES.lookup} per element), at one instruction per cycle (an assumption) and ${target.mhz} MHz`,
      `arena: TFLite Micro's greedy plan of the activation tensors (measured on the graph, no in-place); runtime RAM besides the arena is an estimate (${RUNTIME_RAM.perTensor} B per tensor, ${RUNTIME_RAM.perConvChannel} B per conv channel, ${RUNTIME_RAM.fixed} B fixed)`,
      `flash: the model file (exact) plus an estimate of TFLite Micro's code (${RUNTIME_CODE.core / 1024} KB core + ${RUNTIME_CODE.perOpType / 1024} KB per op type)`,
    ],
  };
}
