// Small HTTP helpers for cmv3 serve: JSON replies, one error format, a capped request body, and
// static files from one folder only.
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Every failure reaches the page as { error: one line }. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) { res.destroy(); return; }
  sendJson(res, { error: message.split('\n')[0] }, status);
}

export function sendBytes(res: ServerResponse, bytes: Uint8Array, type: string, filename?: string, etag?: string): void {
  res.writeHead(200, {
    'content-type': type, 'content-length': bytes.byteLength, 'cache-control': etag ? 'no-cache' : 'no-store', ...(etag ? { etag } : {}),
    ...(filename ? { 'content-disposition': `attachment; filename="${filename}"` } : {}),
  });
  res.end(bytes);
}

/** The request body, refused with 413 past `limit` bytes (checked before and while reading). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const shown = limit >= 1024 * 1024 ? `${+(limit / 1024 / 1024).toFixed(1)} MB` : `${+(limit / 1024).toFixed(1)} KB`;
    const tooBig = () => new HttpError(413, `the upload is over the ${shown} limit (cmv3 serve --max-upload); send a smaller image`);
    if (declared > limit) { req.resume(); reject(tooBig()); return; }
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) { req.removeAllListeners('data'); req.resume(); reject(tooBig()); return; }
      parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.map': 'application/json',
};

/** Serves `name` from `dir` when it is one of the files there (a fixed list: no path from the URL reaches the disk). */
export function sendStatic(res: ServerResponse, dir: string, files: ReadonlySet<string>, name: string): boolean {
  if (!files.has(name)) return false;
  const path = join(dir, name);
  if (!existsSync(path)) return false;
  res.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream', 'content-length': statSync(path).size, 'cache-control': 'no-cache' });
  createReadStream(path).on('error', () => res.destroy()).pipe(res); // a rebuild removing the file mid-read ends the reply, not the server
  return true;
}
