// The MCU cost model's rates (report.ts): cycles per MAC for convolutions, per output element
// for the rest, for CMSIS-NN's int8 kernels on a Cortex-M7 (TFLite Micro's reference kernels
// where CMSIS-NN has none). Estimates, stated as such wherever they are printed.
export const CYCLES = {
  conv1x1: 1.0, // arm_convolve_1x1_s8_fast: SMLAD, 2 MACs per instruction, operand unpacking
  convKxK: 1.3, // arm_convolve_s8: im2col + the same inner loop
  depthwise3x3: 2.0, // arm_depthwise_conv_3x3_s8 / _s8_opt (multiplier 1)
  depthwiseGeneric: 4.0, // arm_depthwise_conv_s8 (other kernels, channel multiplier > 1)
  addMul: 4, // arm_elementwise_add_s8 / _mul_s8 per element
  hardSwish: 15, // TFLite Micro reference: int16 fixed-point per element
  avgPool: 2, // per input element
  lookup: 6, // CAST / int32 ADD / GATHER reference loops, per element
  softmax: 120, // per element (exp table, division)
  copy: 1, // RESHAPE per byte
} as const;
