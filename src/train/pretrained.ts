// Weights shipped inside the package, trained by `cmv3 train` itself and packaged by
// scripts/package-pretrained.mjs (how each was trained: README.md, "Pretrained weights").
// `cmv3 eval <name>` and `cmv3 predict <name> ...` accept these names in place of a run folder.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A pretrained model shipped in the package. */
export interface PretrainedEntry {
  name: string;
  file: string;
  description: string;
}

const ROOT = fileURLToPath(new URL('../../../pretrained/', import.meta.url));

export const PRETRAINED: PretrainedEntry[] = [
  { name: 'cmv3-w0.35-cifar10', file: `${ROOT}cmv3-w0.35-cifar10.ckpt`, description: 'cmv3 width 0.35 (the paper\'s Table II) with the fast recipe (25 epochs)' },
  { name: 'cmv3-w0.5-cifar10', file: `${ROOT}cmv3-w0.5-cifar10.ckpt`, description: 'cmv3 width 0.5 trained on CIFAR-10 with the fast recipe (25 epochs)' },
  { name: 'cmv3-w0.5-relu6-cifar10', file: `${ROOT}cmv3-w0.5-relu6-cifar10.ckpt`, description: 'the same, fine-tuned with ReLU6 in place of Mish (the int8 deployment model)' },
  { name: 'cmv3-w0.75-cifar10', file: `${ROOT}cmv3-w0.75-cifar10.ckpt`, description: 'cmv3 width 0.75 (the paper\'s Table II) with the fast recipe (25 epochs)' },
  { name: 'cmv3-w1.0-cifar10', file: `${ROOT}cmv3-w1.0-cifar10.ckpt`, description: 'cmv3 width 1.0 (the paper\'s Table II) with the fast recipe (25 epochs)' },
  { name: 'cmv3-w1.5-cifar10', file: `${ROOT}cmv3-w1.5-cifar10.ckpt`, description: 'cmv3 width 1.5 (the paper\'s Table II) with the fast recipe (25 epochs)' },
];

/** The packaged checkpoint for a pretrained name, or null when the name is not one (or not shipped). */
export function pretrainedPath(name: string): string | null {
  const e = PRETRAINED.find((p) => p.name === name);
  return e && existsSync(e.file) ? e.file : null;
}
