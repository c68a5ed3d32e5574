// Batches prepared in a worker thread while the engine computes. The pixels live in a
// SharedArrayBuffer (no copy per batch); each request names (epoch, batch) and the worker
// answers with a filled float32 buffer, which the main thread hands back for reuse.
import { Worker } from 'node:worker_threads';
import type { AugmentOptions, Normalization } from './augment.js';
import type { ImageSet } from './cifar.js';

export interface Batch {
  epoch: number;
  index: number;
  x: Float32Array;
  labels: Int32Array;
  count: number;
  /** ms the main thread waited for this batch (0 when the prefetch kept up) */
  waitMs: number;
}

interface WorkerReply { epoch: number; index: number; x: Float32Array; labels: Int32Array; count: number }

export interface LoaderOptions {
  batchSize: number;
  seed: number;
  aug: AugmentOptions;
  norm: Normalization;
  /** batches computed ahead of the one being trained on */
  prefetch?: number;
  /** drop the last incomplete batch (training) */
  dropLast?: boolean;
  shuffle?: boolean;
}

function shared(a: Uint8Array): Uint8Array {
  const s = new Uint8Array(new SharedArrayBuffer(a.length));
  s.set(a);
  return s;
}

export class BatchLoader {
  private readonly worker: Worker;
  private readonly pending = new Map<string, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void; promise: Promise<WorkerReply> }>();
  private readonly free: { x: Float32Array; labels: Int32Array }[] = [];
  private failure: Error | null = null;
  readonly batchesPerEpoch: number;

  constructor(readonly set: ImageSet, readonly o: LoaderOptions) {
    this.batchesPerEpoch = o.dropLast ? Math.floor(set.count / o.batchSize) : Math.ceil(set.count / o.batchSize);
    if (this.batchesPerEpoch < 1) throw new RangeError(`Expected at least ${o.batchSize} images for batch size ${o.batchSize} but received ${set.count}`);
    this.worker = new Worker(new URL('./loader-worker.js', import.meta.url), {
      workerData: {
        pixels: shared(set.pixels), labels: shared(set.labels), count: set.count, size: set.size, channels: set.channels,
        batchSize: o.batchSize, seed: o.seed, aug: o.aug, norm: o.norm, shuffle: o.shuffle ?? true,
      },
    });
    this.worker.on('message', (r: WorkerReply) => {
      const key = `${r.epoch}:${r.index}`;
      this.pending.get(key)?.resolve(r);
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
    });
  }

  private request(epoch: number, index: number): void {
    const key = `${epoch}:${index}`;
    if (this.pending.has(key) || index >= this.batchesPerEpoch) return;
    let resolve!: (r: WorkerReply) => void, reject!: (e: Error) => void;
    const promise = new Promise<WorkerReply>((res, rej) => { resolve = res; reject = rej; });
    this.pending.set(key, { resolve, reject, promise });
    const buf = this.free.pop();
    this.worker.postMessage({ epoch, index, x: buf?.x, labels: buf?.labels }, buf ? [buf.x.buffer as ArrayBuffer, buf.labels.buffer as ArrayBuffer] : []);
  }

  /** Batch `index` of `epoch`; also asks for the next few so they are ready in time. */
  async get(epoch: number, index: number): Promise<Batch> {
    if (this.failure) throw this.failure;
    this.request(epoch, index);
    for (let k = 1; k <= (this.o.prefetch ?? 2); k++) this.request(epoch, index + k);
    const key = `${epoch}:${index}`;
    const t0 = performance.now();
    const r = await this.pending.get(key)!.promise;
    this.pending.delete(key);
    return { ...r, waitMs: performance.now() - t0 };
  }

  /** Give a batch's buffers back once the step is done with them. */
  release(b: Batch): void {
    if (b.x.length === this.o.batchSize * this.set.size * this.set.size * this.set.channels) this.free.push({ x: b.x, labels: b.labels });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
