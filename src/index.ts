// The library entry: networks as data, backends, layers, training pieces, checkpoints, summaries.
export type { Activation, Backend, ConvGeometry } from './backend/types.js';
export { ACTIVATIONS } from './backend/types.js';
export { getBackend, type BackendName } from './backend/select.js';
export { referenceBackend } from './backend/reference.js';
export type { NetworkSpec, BlockSpec, BlockOp, ConvSpec, ScaleRule } from './models/spec.js';
export { validateSpec, SpecError } from './models/spec.js';
export { BUILTIN_SPECS, CMV3, MOBILENETV3_SMALL } from './models/builtin.js';
export { resolveSpec, type SpecOverrides } from './models/registry.js';
export { buildNetwork, type Network } from './models/build.js';
export { Model, type StepResult } from './model.js';
export { summarize, formatSummary, type Summary } from './summary.js';
export type { Layer, Param, Buffer, LayerInfo } from './nn/layer.js';
export type { Shape, Tensor } from './nn/tensor.js';
export { softmaxCrossEntropy } from './nn/loss.js';
export { Rng } from './nn/random.js';
export { Optimizer, type OptimizerSettings } from './optim/optimizer.js';
export { learningRate, type Schedule } from './optim/schedule.js';
export {
  saveCheckpoint, loadCheckpoint, encodeCheckpoint, decodeCheckpoint, captureCheckpoint, restoreCheckpoint,
  CheckpointError, CHECKPOINT_VERSION, type Checkpoint,
} from './io/checkpoint.js';
export { readCifar, normalize, DataError, type ImageSet } from './data/cifar.js';
