// The example image deploy and compile embed: the first test image of the data folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from './cifar.js';
import { readDataset } from './folder.js';
import type { EiqImage } from '../deploy/eiq.js';

/** The first test image of the data folder at the model's input size, or null (then mid-grey). */
export function testImage(data: string, size: number, channels: number, labels: string[]): { image: EiqImage | null; note: string } {
  try {
    const set = readDataset(data, 'test', size, 1);
    if (set.count < 1 || set.size !== size || set.channels !== channels) return { image: null, note: `a mid-grey image, as ${data} has no ${size}x${size}x${channels} test image` };
    const source = existsSync(join(data, 'test_batch.bin')) ? `CIFAR-10 ${join(data, 'test_batch.bin')} record 0` : `the first test image of ${data}`;
    return { image: { pixels: set.pixels.slice(0, size * size * channels), source, label: labels[set.labels[0]] }, note: source };
  } catch (e) {
    if (e instanceof DataError) return { image: null, note: `a mid-grey image, as there is no test image: ${e.message}` };
    throw e;
  }
}

