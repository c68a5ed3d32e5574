// The loader's worker: fills batch (epoch, index) with augmented, normalised images.
import { parentPort, workerData } from 'node:worker_threads';
import { assembleBatch, batchSeed, epochOrder, type AugmentOptions, type Normalization } from './augment.js';

interface Setup {
  pixels: Uint8Array; labels: Uint8Array; count: number; size: number; channels: number;
  batchSize: number; seed: number; aug: AugmentOptions; norm: Normalization; shuffle: boolean;
}

const s = workerData as Setup;
const per = s.size * s.size * s.channels;
let orderEpoch = -1;
let order: Uint32Array = new Uint32Array(0);

parentPort!.on('message', (m: { epoch: number; index: number; x?: Float32Array; labels?: Int32Array }) => {
  if (m.epoch !== orderEpoch) {
    orderEpoch = m.epoch;
    order = s.shuffle ? epochOrder(s.seed, m.epoch, s.count) : Uint32Array.from({ length: s.count }, (_, i) => i);
  }
  const start = m.index * s.batchSize, count = Math.min(s.batchSize, s.count - start);
  const x = m.x && m.x.length === count * per ? m.x : new Float32Array(count * per);
  const labels = m.labels && m.labels.length === count ? m.labels : new Int32Array(count);
  assembleBatch(s.pixels, s.labels, order.subarray(start, start + count), s.size, s.channels, s.aug, s.norm,
    batchSeed(s.seed, m.epoch, m.index), x, labels, { seed: s.seed, epoch: m.epoch });
  parentPort!.postMessage({ epoch: m.epoch, index: m.index, x, labels, count }, [x.buffer as ArrayBuffer, labels.buffer as ArrayBuffer]);
});
