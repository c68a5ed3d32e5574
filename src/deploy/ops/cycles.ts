// The MCU cost model's rates (report.ts) for TFLite Micro with CMSIS-NN's int8 kernels on a
// Cortex-M7, in instructions per MAC for convolutions and per element for the rest. Measured
// 2026-12-05 by running TensorFlow Lite Micro + CMSIS-NN on QEMU's mps2-an500 (Cortex-M7,
// -icount shift=0) on cmv3 width 0.5 (issue 23's figures; cmv3 does not rebuild TFLite Micro):
// per op type, that op's instructions over its MACs or elements. The report takes one instruction
// per cycle, an assumption it states (the M7 can issue two; memory stalls add).
export const CYCLES = {
  conv1x1: 2.2, // CONV_2D: 46.5 M instructions over 21.2 M MACs (stem included)
  convKxK: 2.2, // the stem, in the same total
  depthwise: 8.6, // multiplier 1: 19 M over 2.2 M MACs (arm_depthwise_conv_s8_opt and the 3x3 kernel)
  depthwiseMultiplier: 21.8, // multiplier 3 or 6: 99 M over 4.5 M MACs (CMSIS-NN's generic kernel)
  add: 78, // per element: 3.2 M over 41 K
  mul: 51, // per element, the squeeze-and-excite broadcast on the reference path: 5.4 M over 106 K
  hardSwish: 111, // per element, TFLite Micro's reference kernel: 29.4 M over 265 K
  avgPool: 10, // per input element: what remains of the 204 M (1.5 M) over the pools' 139 K inputs
  lookup: 14, // per element per op (CAST, int32 ADD, GATHER): the exact-Mish model's 223 M less the ReLU6 model's 204 M over its 1.39 M element-ops
  softmax: 120, // per element: not measured apart (10 elements per image, inside the remainder above)
  copy: 1, // RESHAPE per byte: not measured apart (inside the remainder above)
} as const;
