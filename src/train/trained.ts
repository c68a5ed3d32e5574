// Loads a trained model for eval/predict/export from a run folder (best.ckpt, else last.ckpt)
// or a checkpoint file.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend, type BackendName } from '../backend/select.js';
import type { Normalization } from '../data/augment.js';
import { CIFAR_LABELS, CIFAR_MEAN, CIFAR_STD } from '../data/cifar.js';
import { CheckpointError, loadCheckpoint, restoreCheckpoint } from '../io/checkpoint.js';
import { Model } from '../model.js';
import { buildNetwork } from '../models/build.js';
import { validateSpec } from '../models/spec.js';
import { PRETRAINED, pretrainedPath } from './pretrained.js';

export interface Trained {
  model: Model;
  normalization: Normalization;
  labels: string[];
  /** the checkpoint file used */
  checkpoint: string;
  /** the run folder, when one was given */
  runDir: string | null;
}

export function resolveCheckpoint(arg: string): { checkpoint: string; runDir: string | null } {
  const packaged = existsSync(arg) ? null : pretrainedPath(arg);
  if (packaged) return { checkpoint: packaged, runDir: null };
  if (!existsSync(arg)) throw new CheckpointError(`${arg}: no such run folder or checkpoint; pass a folder made by cmv3 train, a .ckpt file, or a pretrained name (${PRETRAINED.map((p) => p.name).join(', ')})`, 'ERR_CHECKPOINT_MISSING');
  if (!statSync(arg).isDirectory()) return { checkpoint: arg, runDir: null };
  for (const f of ['best.ckpt', 'last.ckpt']) if (existsSync(join(arg, f))) return { checkpoint: join(arg, f), runDir: arg };
  throw new CheckpointError(`${arg} has no best.ckpt or last.ckpt; the run has not finished an epoch yet (train it first)`, 'ERR_CHECKPOINT_MISSING');
}

export async function loadTrained(arg: string, backend: BackendName = 'auto'): Promise<Trained> {
  const { checkpoint, runDir } = resolveCheckpoint(arg);
  const c = loadCheckpoint(checkpoint);
  const spec = validateSpec(c.spec);
  const b = await getBackend(backend);
  const net = buildNetwork(spec, { backend: b });
  restoreCheckpoint(c, net);
  const normalization = (c.meta.normalization as Normalization | undefined) ?? { mean: CIFAR_MEAN, std: CIFAR_STD };
  const labels = (c.meta.labels as string[] | undefined) ?? (spec.classes === 10 ? CIFAR_LABELS : Array.from({ length: spec.classes }, (_, i) => `class ${i}`));
  return { model: new Model(net, b), normalization, labels, checkpoint, runDir };
}
