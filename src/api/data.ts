// Datasets as library calls: CIFAR-10 downloaded and verified. `cmv3 data fetch` is a thin layer over it.
import { join } from 'node:path';
import { CIFAR10_MD5, CIFAR10_URL, fetchArchive } from '../data/fetch.js';
import { OptionError, progressTicker, throwIfAborted, type LongCallOptions } from './common.js';

export interface FetchCifar10Options extends LongCallOptions {
  /** where to unpack; default ./data (the files land in DIR/cifar-10-batches-bin) */
  dir?: string;
  /** a mirror of the binary archive; needs `md5` */
  url?: string;
  /** the mirror's archive checksum (32 hex digits) */
  md5?: string;
}

/**
 * Downloads the CIFAR-10 binary archive, checks its MD5 and unpacks it. Progress: stage
 * 'download' in bytes (total 0 when the server does not say); `signal` is checked before the download
 * starts. Returns the data folder and its files.
 */
export async function fetchCifar10(o: FetchCifar10Options = {}): Promise<{ dir: string; files: string[] }> {
  if ((o.url === undefined) !== (o.md5 === undefined)) throw new OptionError('url and md5 go together: a mirror needs its checksum');
  if (o.md5 !== undefined && !/^[0-9a-f]{32}$/i.test(o.md5)) throw new OptionError(`Expected 32 hex digits for md5 but received ${JSON.stringify(o.md5)}`);
  const dir = o.dir ?? './data';
  throwIfAborted(o.signal); // checked before the download only: a half-written archive is removed by fetchArchive itself
  const tick = progressTicker('download', { onProgress: o.onProgress });
  const files = await fetchArchive({ url: o.url ?? CIFAR10_URL, md5: (o.md5 ?? CIFAR10_MD5).toLowerCase(), dir, onProgress: (got, total) => tick(got, total ?? 0) });
  return { dir: join(dir, files[0]?.split('/')[0] ?? ''), files };
}
