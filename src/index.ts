// The library entry: networks as data, backends, layers, training pieces, checkpoints, summaries, and the deploy path.
export type { Activation, Backend, ConvGeometry, ConvInput, Precision } from './backend/types.js';
export { ACTIVATIONS, PRECISIONS } from './backend/types.js';
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

// The whole path as library calls (what the CLI commands are thin layers over).
export { OptionError, AbortError, type Progress, type ProgressCallback, type AbortSignalLike, type LongCallOptions } from './api/common.js';
export { loadModel, pretrainedModels, CIFAR10_CLASSES, type TrainedModel, type LoadModelOptions } from './api/model.js';
export {
  quantize, exportModel, report, EXPORT_FORMATS,
  type QuantizeOptions, type Calibration, type ExportFormat, type ExportOptions, type ExportResult, type ReportOptions,
} from './api/deploy.js';
export { evaluate, int8Errors, predict, predictMany, INT8_RUNTIMES, type EvaluateOptions, type EvaluateResult, type ImageInput, type Int8ErrorOptions, type PredictOptions } from './api/evaluate.js';
export type { TensorError } from './deploy/int8-error.js';
export { train, resumeTraining, type TrainOptions, type TrainCallOptions, type TrainResult, type StepProgress } from './api/train.js';
export type { EpochMetrics, RunConfig } from './train/run.js';
export type { Evaluation } from './train/evaluate.js';
export type { ClassScore } from './deploy/classify.js';
export type { Report } from './deploy/report.js';
export type { Graph } from './deploy/ir.js';
export type { Observer } from './deploy/calibrate.js';
export type { Int8Runtime } from './deploy/int8/kernels.js';
export type { RgbImage } from './data/pixels.js';
export type { PretrainedEntry } from './train/pretrained.js';
export { readDataset } from './data/folder.js';
export {
  compile, emulate, deploy, COMPILE_TARGETS, DEPLOY_TARGETS,
  type CompileOptions, type CompileResult, type EmulateOptions, type EmulateResult, type DeployOptions, type DeployResult,
} from './api/mcu.js';
export { explore, resumeStudy, studyFront, type ExploreSettings, type StudyCallOptions, type StudyRun } from './api/explore.js';
export { runWorker, fetchTrialRun, migrateStudy, type WorkerSettings } from './api/explore-storage.js';
export type { StudyResult } from './explore/show.js';
export type { TrialProgress } from './explore/trial.js';
export type { Rung, CostObjective } from './explore/driver.js';
export type { Space } from './explore/space.js';
export type { StrategyName, InitName } from './explore/strategy.js';
export { fetchCifar10, type FetchCifar10Options } from './api/data.js';
export { serveDashboard, type DashboardOptions, type Dashboard } from './api/serve.js';
