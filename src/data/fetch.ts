// cmv3 data fetch cifar10: download the official binary archive, verify its published MD5,
// then unpack it. Nothing lands in the target folder unless the checksum matches.
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { dirname, join, normalize, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from './cifar.js';
import { makeDir } from '../io/make-dir.js';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

export interface FetchOptions {
  url: string;
  md5: string;
  dir: string;
  onProgress?: (received: number, total: number | null) => void;
  timeoutMs?: number;
}

function request(url: string, timeoutMs: number, redirects = 5): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects > 0) {
        res.resume();
        resolve(request(new URL(res.headers.location, url).toString(), timeoutMs, redirects - 1));
      } else if (status !== 200) {
        res.resume();
        reject(new DataError(`download of ${url} failed: HTTP ${status}`));
      } else resolve(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs / 1000}s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(new DataError(`cannot download ${url} (${err.code ?? err.message}): are you offline? Download cifar-10-binary.tar.gz elsewhere and unpack it, then pass --data DIR`));
    });
  });
}

/** Unpacks a (gunzipped) tar archive into dir; refuses paths that would escape it. */
export function untar(tar: Uint8Array, dir: string): string[] {
  const files: string[] = [];
  const text = (a: number, b: number) => Buffer.from(tar.subarray(a, b)).toString('utf8').replace(/\0.*$/s, '');
  for (let off = 0; off + 512 <= tar.length;) {
    if (tar.subarray(off, off + 512).every((v) => v === 0)) break;
    const name = (text(off + 345, off + 500) ? text(off + 345, off + 500) + '/' : '') + text(off, off + 100);
    const size = parseInt(text(off + 124, off + 136).trim() || '0', 8);
    const type = String.fromCharCode(tar[off + 156] || 48);
    const body = off + 512;
    if (!Number.isFinite(size) || body + size > tar.length) throw new DataError('the archive is truncated or not a tar file');
    const target = normalize(join(dir, name));
    if (!target.startsWith(normalize(dir) + sep) || name.startsWith('/')) throw new DataError(`the archive holds an unsafe path: ${name}`);
    if (type === '0' || type === '\0') {
      makeDir(dirname(target));
      writeFileSync(target, tar.subarray(body, body + size));
      files.push(name);
    } else if (type === '5') makeDir(target);
    off = body + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Downloads, verifies and unpacks; returns the unpacked file names. */
export async function fetchArchive(o: FetchOptions): Promise<string[]> {
  makeDir(o.dir);
  const tmp = join(o.dir, `.download-${process.pid}.tar.gz`);
  try {
    const res = await request(o.url, o.timeoutMs ?? 30_000);
    const total = Number(res.headers['content-length']) || null;
    const md5 = createHash('md5');
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(tmp);
      res.on('data', (chunk: Buffer) => {
        md5.update(chunk);
        received += chunk.length;
        o.onProgress?.(received, total);
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new DataError('the download was cut off; run the command again')));
      out.on('error', reject);
      out.on('finish', resolve);
      res.pipe(out);
    });
    if (total !== null && received !== total) throw new DataError(`the download was cut off at ${received} of ${total} bytes; run the command again`);
    const digest = md5.digest('hex');
    if (digest !== o.md5) throw new DataError(`checksum mismatch for ${o.url}: got MD5 ${digest}, expected ${o.md5}; the download is corrupt or not the official archive`);
    const staging = join(o.dir, `.unpack-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    let files: string[];
    try {
      files = untar(gunzipSync(readFileSync(tmp)), staging);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err instanceof DataError ? err : new DataError(`cannot unpack the archive (${(err as Error).message})`);
    }
    // Move the unpacked top-level entries into place only now that everything succeeded.
    for (const top of new Set(files.map((f) => f.split('/')[0]))) {
      rmSync(join(o.dir, top), { recursive: true, force: true });
      renameSync(join(staging, top), join(o.dir, top));
    }
    rmSync(staging, { recursive: true, force: true });
    return files;
  } finally {
    rmSync(tmp, { force: true });
  }
}
