// Loading trained models for the library: a pretrained name, a run folder or a checkpoint.
import type { BackendName } from '../backend/select.js';
import { CIFAR_LABELS } from '../data/cifar-meta.js';
import { PRETRAINED, type PretrainedEntry } from '../train/pretrained.js';
import { loadTrained, type Trained } from '../train/trained.js';
import { oneOf } from './common.js';

/** A trained network with what deploying it needs: weights, input normalisation, class names, where it came from. */
export type TrainedModel = Trained;

/** CIFAR-10's class names, in label order (label i is CIFAR10_CLASSES[i]). */
export const CIFAR10_CLASSES: readonly string[] = CIFAR_LABELS;

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** 'auto' (oneDNN when built, else the TypeScript reference), 'onednn' or 'reference'; default 'auto' */
  backend?: BackendName;
}

/**
 * Loads a trained model: a pretrained name (see `pretrainedModels()`), a run folder made by
 * training (its best.ckpt, else last.ckpt) or a .ckpt file.
 * Throws `CheckpointError` (`code` ERR_CHECKPOINT_MISSING, ERR_CHECKPOINT_CORRUPT, ...) for a missing or damaged file.
 */
export async function loadModel(nameOrPath: string, options: LoadModelOptions = {}): Promise<TrainedModel> {
  const backend = oneOf(options.backend ?? 'auto', ['auto', 'onednn', 'reference'] as const, 'backend');
  return loadTrained(nameOrPath, backend);
}

/** The models shipped in the package, with their measured accuracy. */
export function pretrainedModels(): readonly PretrainedEntry[] {
  return PRETRAINED;
}

/** A model given as a name or path is loaded; a loaded one is used as it is. */
export async function asTrained(model: TrainedModel | string): Promise<TrainedModel> {
  return typeof model === 'string' ? loadModel(model) : model;
}
