// One file holds the spec, weights, BN statistics, optimizer state and run metadata.
// Layout: magic "CMV3CKPT" | u32 version | u32 header length | header JSON | pad to 4 |
//         float32 tensors | sha256 of everything before it (32 bytes).
// Files are written to a temp name and renamed, so a crash never leaves a half-written checkpoint.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { validateSpec, type NetworkSpec } from '../models/spec.js';
import { parseJson } from '../json.js';
import type { Network } from '../models/build.js';
import type { Optimizer, OptimizerSettings } from '../optim/optimizer.js';

const MAGIC = 'CMV3CKPT';
/** The checkpoint format version this cmv3 writes and reads. */
export const CHECKPOINT_VERSION = 1;

/** A checkpoint that cannot be used; `code` says why (ERR_CHECKPOINT_MISSING, ERR_CHECKPOINT_FORMAT, ERR_CHECKPOINT_VERSION, ERR_CHECKPOINT_CORRUPT, ...). */
export class CheckpointError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

export interface OptimizerState {
  settings: Required<OptimizerSettings>;
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** A checkpoint in memory: the spec, named tensors (weights and BN statistics), optional optimizer state and metadata. */
export interface Checkpoint {
  spec: NetworkSpec;
  /** parameters and BN buffers by name */
  tensors: Map<string, Float32Array>;
  optimizer?: OptimizerState;
  meta: Record<string, unknown>;
}

interface Entry { name: string; length: number }

/** The checkpoint file's bytes (a Node Buffer, typed as its Uint8Array base so consumers need no Node types). */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const entries: Entry[] = [];
  const arrays: Float32Array[] = [];
  const push = (name: string, a: Float32Array) => { entries.push({ name, length: a.length }); arrays.push(a); };
  for (const [name, a] of c.tensors) push(name, a);
  c.optimizer?.m.forEach((a, i) => push(`optimizer.m.${i}`, a));
  c.optimizer?.v.forEach((a, i) => push(`optimizer.v.${i}`, a));
  const opt = c.optimizer ? { settings: c.optimizer.settings, step: c.optimizer.step, m: c.optimizer.m.length, v: c.optimizer.v.length } : null;
  const header = Buffer.from(JSON.stringify({ spec: c.spec, entries, optimizer: opt, meta: c.meta }), 'utf8');
  const pre = 16 + header.length, pad = (4 - (pre % 4)) % 4;
  const dataBytes = arrays.reduce((a, x) => a + x.byteLength, 0);
  const out = Buffer.alloc(pre + pad + dataBytes + 32);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(CHECKPOINT_VERSION, 8);
  out.writeUInt32LE(header.length, 12);
  header.copy(out, 16);
  let off = pre + pad;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, off);
    off += a.byteLength;
  }
  createHash('sha256').update(out.subarray(0, off)).digest().copy(out, off);
  return out;
}

/** Reads checkpoint bytes, checking magic, version, SHA-256, header and values; throws CheckpointError. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail: Fail = (what, code) => { throw new CheckpointError(`${source}: ${what}`, code); };
  if (buf.length < 48 || buf.toString('latin1', 0, 8) !== MAGIC) fail('not a cmv3 checkpoint (bad magic); pass a file written by cmv3 train', 'ERR_CHECKPOINT_FORMAT');
  const version = buf.readUInt32LE(8);
  if (version !== CHECKPOINT_VERSION) fail(`checkpoint format version ${version}, this cmv3 reads version ${CHECKPOINT_VERSION}; upgrade cmv3 or re-export`, 'ERR_CHECKPOINT_VERSION');
  const body = buf.subarray(0, buf.length - 32);
  if (!createHash('sha256').update(body).digest().equals(buf.subarray(buf.length - 32))) {
    fail('checksum mismatch: the file is truncated or corrupted; use another checkpoint (e.g. last instead of best) or retrain', 'ERR_CHECKPOINT_CORRUPT');
  }
  const headerLength = buf.readUInt32LE(12);
  if (16 + headerLength > body.length) fail('the header runs past the end of the file', 'ERR_CHECKPOINT_CORRUPT');
  let parsed: unknown;
  try { parsed = parseJson(buf.toString('utf8', 16, 16 + headerLength), 'the header'); } catch (err) { fail((err as Error).message, 'ERR_CHECKPOINT_CORRUPT'); }
  const header = checkHeader(parsed, fail);
  let off = 16 + headerLength;
  off += (4 - (off % 4)) % 4;
  const tensors = new Map<string, Float32Array>();
  const m: Float32Array[] = [], v: Float32Array[] = [];
  for (const e of header.entries) {
    const bytes = e.length * 4;
    if (off + bytes > body.length) fail(`tensor ${e.name} runs past the end of the file`, 'ERR_CHECKPOINT_CORRUPT');
    const a = new Float32Array(e.length);
    Buffer.from(a.buffer).set(body.subarray(off, off + bytes));
    off += bytes;
    const bad = a.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) fail(`tensor ${e.name} holds ${a[bad]} at index ${bad}: the training that wrote it diverged; use an earlier checkpoint or retrain with a lower --lr`, 'ERR_CHECKPOINT_VALUES');
    if (e.name.endsWith('.moving_variance') && a.some((x) => x < 0)) fail(`tensor ${e.name} holds a negative variance; the file is damaged`, 'ERR_CHECKPOINT_VALUES');
    if (e.name.startsWith('optimizer.m.')) m.push(a);
    else if (e.name.startsWith('optimizer.v.')) v.push(a);
    else tensors.set(e.name, a);
  }
  if (off !== body.length) fail(`${body.length - off} bytes after the last tensor; the file is damaged`, 'ERR_CHECKPOINT_CORRUPT');
  if (header.optimizer && (header.optimizer.m !== m.length || header.optimizer.v !== v.length)) fail('the optimizer state does not match its header', 'ERR_CHECKPOINT_CORRUPT');
  checkMeta(header.meta, header.spec, fail);
  const optimizer = header.optimizer ? { settings: header.optimizer.settings, step: header.optimizer.step, m, v } : undefined;
  return { spec: header.spec, tensors, optimizer, meta: header.meta };
}

interface Header {
  spec: NetworkSpec; entries: Entry[]; meta: Record<string, unknown>;
  optimizer: { settings: Required<OptimizerSettings>; step: number; m: number; v: number } | null;
}
type Fail = (what: string, code: string) => never;
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

/** The header's shape, checked before anything reads it (every field a later step relies on). */
function checkHeader(h: unknown, fail: Fail): Header {
  if (!isRecord(h)) return fail('the header is not an object', 'ERR_CHECKPOINT_CORRUPT');
  if (!Array.isArray(h.entries) || !h.entries.every((e) => isRecord(e) && typeof e.name === 'string' && isCount(e.length) && e.length < 2 ** 31)) {
    fail('the header\'s tensor list is missing or malformed', 'ERR_CHECKPOINT_CORRUPT');
  }
  const names = new Set((h.entries as Entry[]).map((e) => e.name));
  if (names.size !== (h.entries as Entry[]).length) fail('the header names a tensor twice', 'ERR_CHECKPOINT_CORRUPT');
  if (h.meta !== undefined && !isRecord(h.meta)) fail('the header\'s metadata is not an object', 'ERR_CHECKPOINT_CORRUPT');
  const o = h.optimizer;
  if (o !== null && o !== undefined && !(isRecord(o) && isRecord(o.settings) && isCount(o.step) && isCount(o.m) && isCount(o.v))) {
    fail('the header\'s optimizer state is malformed', 'ERR_CHECKPOINT_CORRUPT');
  }
  let spec: NetworkSpec;
  try { spec = validateSpec(h.spec); } catch (err) { return fail(`the network spec inside is invalid (${(err as Error).message})`, 'ERR_CHECKPOINT_CORRUPT'); }
  return { spec, entries: h.entries as Entry[], meta: (h.meta as Record<string, unknown> | undefined) ?? {}, optimizer: (o ?? null) as Header['optimizer'] };
}

/** What eval, predict and export read from the metadata: a usable normalisation and one label per class. */
function checkMeta(meta: Record<string, unknown>, spec: NetworkSpec, fail: Fail): void {
  const n = meta.normalization;
  if (n !== undefined) {
    const ok = (a: unknown, positive: boolean) => Array.isArray(a) && a.length === spec.inputChannels && a.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (!isRecord(n) || !ok(n.mean, false)) fail(`its normalisation mean must be ${spec.inputChannels} finite numbers`, 'ERR_CHECKPOINT_VALUES');
    if (!ok((n as Record<string, unknown>).std, true)) fail(`its normalisation std must be ${spec.inputChannels} positive numbers (a std of 0 divides by zero)`, 'ERR_CHECKPOINT_VALUES');
  }
  const labels = meta.labels;
  if (labels !== undefined && !(Array.isArray(labels) && labels.length === spec.classes && labels.every((l) => typeof l === 'string'))) {
    fail(`its label list must name the network's ${spec.classes} classes, one string each (it has ${Array.isArray(labels) ? labels.length : 'none'})`, 'ERR_CHECKPOINT_VALUES');
  }
}

/** Writes a checkpoint atomically (a temporary name, then a rename). */
export function saveCheckpoint(path: string, c: Checkpoint): void {
  const data = encodeCheckpoint(c);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
}

/** Reads and checks a checkpoint file; throws CheckpointError with a code. */
export function loadCheckpoint(path: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(`${path}: cannot read checkpoint (${code ?? (err as Error).message}); check the path`, 'ERR_CHECKPOINT_MISSING');
  }
  return decodeCheckpoint(buf, path);
}

/** Snapshot a network (and optionally its optimizer) into a checkpoint. */
export function captureCheckpoint(net: Network, optimizer?: Optimizer, meta: Record<string, unknown> = {}): Checkpoint {
  const tensors = new Map<string, Float32Array>();
  for (const p of net.root.params()) tensors.set(p.name, p.data.slice());
  for (const b of net.root.buffers()) tensors.set(b.name, b.data.slice());
  const opt = optimizer && { settings: optimizer.settings, step: optimizer.step, m: optimizer.m.map((a) => a.slice()), v: optimizer.v.map((a) => a.slice()) };
  return { spec: net.spec, tensors, optimizer: opt, meta };
}

/** Copy a checkpoint's weights into a network built from the same spec; every tensor must match. */
export function restoreCheckpoint(c: Checkpoint, net: Network, optimizer?: Optimizer): void {
  const targets = [...net.root.params().map((p) => ({ name: p.name, data: p.data })), ...net.root.buffers()];
  for (const t of targets) {
    const src = c.tensors.get(t.name);
    if (!src) throw new CheckpointError(`checkpoint has no tensor ${t.name}; it was saved from a different network`, 'ERR_CHECKPOINT_MISMATCH');
    if (src.length !== t.data.length) throw new CheckpointError(`tensor ${t.name} has ${src.length} values in the checkpoint but ${t.data.length} in the network`, 'ERR_CHECKPOINT_MISMATCH');
    t.data.set(src);
  }
  if (optimizer && c.optimizer) {
    if (c.optimizer.m.length !== optimizer.m.length || c.optimizer.v.length !== optimizer.v.length) {
      throw new CheckpointError('optimizer state does not match this optimizer (different kind or parameters)', 'ERR_CHECKPOINT_MISMATCH');
    }
    c.optimizer.m.forEach((a, i) => optimizer.m[i].set(a));
    c.optimizer.v.forEach((a, i) => optimizer.v[i].set(a));
    optimizer.step = c.optimizer.step;
  }
}
