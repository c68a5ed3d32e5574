// Seeded fuzzing of cmv3's file inputs through its command line, shared by the in-suite test (82)
// and the longer release run (npm run fuzz). Each case mutates one good input (a .tflite, a
// checkpoint, a spec, an image, a study row), runs the command a user would, and classifies the
// outcome: a clean one-line error, a correct run, or anything else (a stack trace, a JavaScript
// message, a crash, a hang, or exit 0 on input that must be refused), which is a failure.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/nn/random.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export type Outcome = 'clean error' | 'correct run' | 'failure';
export interface CaseResult { kind: string; mutation: string; outcome: Outcome; why?: string; command: string[] }

/** Messages that come from JavaScript or Node internals rather than from cmv3's own checks. */
const INTERNAL = /TypeError|RangeError|ReferenceError|SyntaxError|Cannot read propert|Cannot set propert|is not iterable|is not a function|is not defined|Maximum call stack|Invalid typed array length|Invalid array length|Unexpected token|Unexpected end of JSON|offset is out of bounds|out of range|\bat .+:\d+:\d+\)?$|undefined \(reading|null \(reading|ERR_[A-Z_]+:|a bug in cmv3/m;

export interface Fixtures {
  dir: string;
  data: string;
  tflite: string;
  checkpoint: string;
  spec: string;
  png: string;
  jpeg: string;
  study: string;
  /** a run folder: config.json and best.ckpt (the shipped ReLU6 weights) */
  run: string;
}

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; signal: string | null; stderr: string; timedOut: boolean }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CMV3_DEBUG: '', CMV3_THREADS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '', timedOut = false;
    p.stderr.on('data', (d) => { if (stderr.length < 20000) stderr += d; });
    const timer = setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, timeoutMs);
    p.on('close', (code, signal) => { clearTimeout(timer); done({ code, signal, stderr, timedOut }); });
  });
}

function classify(r: Awaited<ReturnType<typeof run>>, mustRefuse: boolean): { outcome: Outcome; why?: string } {
  if (r.timedOut) return { outcome: 'failure', why: 'hang (killed after the time limit)' };
  if (r.signal) return { outcome: 'failure', why: `crashed with ${r.signal}` };
  if (r.code === 0) return mustRefuse ? { outcome: 'failure', why: 'exit 0 on input that must be refused' } : { outcome: 'correct run' };
  const lines = r.stderr.trim().split('\n').filter((l) => !/^\(node:\d+\) |^\(Use `node --trace/.test(l));
  if (r.code !== 1 && r.code !== 2) return { outcome: 'failure', why: `exit code ${r.code}: ${lines[0] ?? ''}` };
  if (lines.length !== 1 || !lines[0].startsWith('cmv3: error: ')) return { outcome: 'failure', why: `not one error line: ${r.stderr.slice(0, 300)}` };
  if (INTERNAL.test(lines[0])) return { outcome: 'failure', why: `internal message: ${lines[0].slice(0, 300)}` };
  return { outcome: 'clean error' };
}

// --- mutators: bytes ---------------------------------------------------------------------------

type ByteMutation = { name: string; apply: (b: Buffer, rng: Rng) => Buffer };
const BYTE_MUTATIONS: ByteMutation[] = [
  { name: 'truncate', apply: (b, rng) => b.subarray(0, rng.int(b.length)) },
  { name: 'flip bytes', apply: (b, rng) => { const c = Buffer.from(b); for (let i = 0, n = 1 + rng.int(8); i < n; i++) c[rng.int(c.length)] ^= 1 + rng.int(255); return c; } },
  { name: 'zero a run', apply: (b, rng) => { const c = Buffer.from(b), a = rng.int(c.length); c.fill(0, a, a + 1 + rng.int(Math.min(4096, c.length - a))); return c; } },
  { name: 'max a u32', apply: (b, rng) => { const c = Buffer.from(b); const at = rng.int(Math.max(1, c.length - 4)) & ~3; c.writeUInt32LE(0xffffffff, Math.min(at, c.length - 4)); return c; } },
  { name: 'small u32 in the first 64 bytes', apply: (b, rng) => { const c = Buffer.from(b); const at = rng.int(Math.min(60, c.length - 4)) & ~3; c.writeUInt32LE(rng.int(64), at); return c; } },
  { name: 'duplicate a slice', apply: (b, rng) => { const a = rng.int(b.length), e = a + rng.int(Math.min(4096, b.length - a)); return Buffer.concat([b.subarray(0, e), b.subarray(a, e), b.subarray(e)]); } },
  { name: 'empty', apply: () => Buffer.alloc(0) },
];

// --- mutators: JSON values ---------------------------------------------------------------------

const STRANGE: unknown[] = [null, -1, 0, 1e9, 1e308, -0.5, 'x', '', true, [], {}, [1, 2], { a: 1 }, 'NaN', 2 ** 31, 3.5];

/** Paths to every value in a JSON tree. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...at, k], out);
  return out;
}

function mutateJson(value: unknown, rng: Rng): { value: unknown; name: string } {
  const copy = structuredClone(value) as Record<string, unknown>;
  const all = paths(copy).filter((p) => p.length > 0);
  const p = all[rng.int(all.length)];
  const parent = p.slice(0, -1).reduce<Record<string | number, unknown>>((o, k) => o[k] as Record<string | number, unknown>, copy as Record<string | number, unknown>);
  const key = p.at(-1)!;
  const what = rng.int(4);
  if (what === 0) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1); else delete parent[key];
    return { value: copy, name: `delete ${p.join('.')}` };
  }
  if (what === 1 && !Array.isArray(parent)) {
    const k = String(key);
    const typo = k.length > 2 ? k.slice(0, 1) + k[2] + k[1] + k.slice(3) : `${k}x`;
    parent[typo] = parent[k];
    delete parent[k];
    return { value: copy, name: `rename ${p.join('.')} to ${typo}` };
  }
  const v = STRANGE[rng.int(STRANGE.length)];
  parent[key] = structuredClone(v);
  return { value: copy, name: `set ${p.join('.')} = ${JSON.stringify(v)}` };
}

// --- cases -------------------------------------------------------------------------------------

interface Case { kind: string; mutation: string; command: string[]; mustRefuse: boolean }

function bytesCase(kind: string, base: string, ext: string, dir: string, i: number, rng: Rng, command: (file: string) => string[], mustRefuse: (m: string) => boolean): Case {
  const m = BYTE_MUTATIONS[rng.int(BYTE_MUTATIONS.length)];
  const file = join(dir, `${kind}-${i}${ext}`), original = readFileSync(base), mutated = m.apply(original, rng);
  writeFileSync(file, mutated);
  // A mutation that changed nothing (zeros over zeros) leaves a good file.
  return { kind, mutation: m.name, command: command(file), mustRefuse: !mutated.equals(original) && mustRefuse(m.name) };
}

/** A checkpoint mutant whose checksum is recomputed: the structure checks, not the hash, must catch it. */
function rehashedCheckpointCase(f: Fixtures, dir: string, i: number, rng: Rng): Case {
  const buf = readFileSync(f.checkpoint), headerLength = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString('utf8', 16, 16 + headerLength));
  const mutated = mutateJson(header, rng);
  const text = Buffer.from(JSON.stringify(mutated.value));
  const pre = 16 + text.length, pad = (4 - (pre % 4)) % 4;
  const oldPre = 16 + headerLength, oldPad = (4 - (oldPre % 4)) % 4;
  const tensors = buf.subarray(oldPre + oldPad, buf.length - 32);
  const head = Buffer.alloc(16);
  buf.copy(head, 0, 0, 12);
  head.writeUInt32LE(text.length, 12);
  const body = Buffer.concat([head, text, Buffer.alloc(pad), tensors]);
  const file = join(dir, `ckpt-header-${i}.ckpt`);
  writeFileSync(file, Buffer.concat([body, createHash('sha256').update(body).digest()]));
  return { kind: 'checkpoint header (checksum recomputed)', mutation: mutated.name, command: ['eval', file, '--data', f.data, '--limit-test', '20'], mustRefuse: false };
}

function specCase(f: Fixtures, dir: string, i: number, rng: Rng): Case {
  const mutated = mutateJson(JSON.parse(readFileSync(f.spec, 'utf8')), rng);
  const file = join(dir, `spec-${i}.json`);
  writeFileSync(file, JSON.stringify(mutated.value));
  // A renamed key is always a bad spec (an unknown key); a deleted one (a block, an optional
  // field) or a changed value may still describe a valid network.
  return { kind: 'spec', mutation: mutated.name, command: ['summary', file], mustRefuse: /^rename/.test(mutated.name) };
}

function studyCase(f: Fixtures, dir: string, i: number, rng: Rng): Case {
  const copy = join(dir, `study-${i}`);
  mkdirSync(copy, { recursive: true });
  copyFileSync(join(f.study, 'study.sqlite'), join(copy, 'study.sqlite'));
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const db = new Database(join(copy, 'study.sqlite'));
  const columns = ['status', 'genes', 'spec', 'cost', 'metrics', 'rung', 'epochs', 'label', 'key', 'seed'];
  const col = columns[rng.int(columns.length)], v = STRANGE[rng.int(STRANGE.length)];
  const value = typeof v === 'object' && v !== null ? JSON.stringify(v) : v === true ? 1 : v;
  let mutation = `trial 1 ${col} = ${JSON.stringify(value)}`;
  try { db.prepare(`UPDATE trials SET ${col} = ? WHERE id = 1`).run(value); } catch { mutation += ' (refused by SQLite)'; }
  db.close();
  return { kind: 'study row', mutation, command: ['explore', 'show', copy], mustRefuse: false };
}

function runConfigCase(f: Fixtures, dir: string, i: number, rng: Rng): Case {
  const mutated = mutateJson(JSON.parse(readFileSync(join(f.run, 'config.json'), 'utf8')), rng);
  const run = join(dir, `run-${i}`);
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'config.json'), JSON.stringify(mutated.value));
  copyFileSync(join(f.run, 'best.ckpt'), join(run, 'best.ckpt'));
  return { kind: 'run config', mutation: mutated.name, command: ['eval', run, '--limit-test', '20'], mustRefuse: false };
}

/** `count` cases from `seed`, a fixed mix of kinds. */
export function makeCases(f: Fixtures, count: number, seed: number): Case[] {
  const rng = new Rng(seed), dir = join(f.dir, `cases-${seed}`);
  mkdirSync(dir, { recursive: true });
  const kinds = [
    (i: number) => bytesCase('tflite', f.tflite, '.tflite', dir, i, rng, (file) => ['report', file], (m) => m === 'truncate' || m === 'empty'),
    (i: number) => bytesCase('tflite', f.tflite, '.tflite', dir, i, rng, (file) => ['predict', file, f.png], (m) => m === 'truncate' || m === 'empty'),
    // The checksum covers every byte: any change must be refused.
    (i: number) => bytesCase('checkpoint', f.checkpoint, '.ckpt', dir, i, rng, (file) => ['predict', file, f.png], () => true),
    (i: number) => rehashedCheckpointCase(f, dir, i, rng),
    (i: number) => specCase(f, dir, i, rng),
    (i: number) => bytesCase('png', f.png, '.png', dir, i, rng, (file) => ['predict', 'cmv3-w0.5-relu6-cifar10', file], (m) => m === 'empty'),
    (i: number) => bytesCase('jpeg', f.jpeg, '.jpg', dir, i, rng, (file) => ['predict', 'cmv3-w0.5-relu6-cifar10', file], (m) => m === 'empty'),
    (i: number) => studyCase(f, dir, i, rng),
    (i: number) => bytesCase('tflite', f.tflite, '.tflite', dir, i, rng, (file) => ['eval', file, '--data', f.data, '--limit-test', '20'], (m) => m === 'truncate' || m === 'empty'),
    (i: number) => runConfigCase(f, dir, i, rng),
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length](i));
}

/** Runs the cases, `parallel` at a time; each gets `timeoutMs`. */
export async function runCases(cases: Case[], parallel = 2, timeoutMs = 60_000): Promise<CaseResult[]> {
  const out: CaseResult[] = new Array(cases.length);
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < cases.length) {
      const i = next++, c = cases[i];
      const r = await run(c.command, timeoutMs);
      out[i] = { kind: c.kind, mutation: c.mutation, command: c.command, ...classify(r, c.mustRefuse) };
    }
  }));
  return out;
}

/** The good inputs every mutant starts from, made the way a user makes them. */
export async function makeFixtures(dir: string, data: string): Promise<Fixtures> {
  const { spawnSync } = await import('node:child_process');
  const jpeg = (await import('jpeg-js')).default;
  const { PNG } = await import('pngjs');
  const { readCifar } = await import('../src/data/cifar.js');
  const { pretrainedPath } = await import('../src/train/pretrained.js');
  const { fakeStudy } = await import('./serve-helpers.js');
  mkdirSync(dir, { recursive: true });
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`fixture: cmv3 ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const tflite = join(dir, 'model.tflite');
  cli('export', 'cmv3-w0.5-relu6-cifar10', '--format', 'tflite', '-o', tflite);
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, cli('summary', 'cmv3', '--width', '0.5', '--dump-spec'));
  const img = readCifar(data, 'test', 1);
  const png = new PNG({ width: 32, height: 32 });
  for (let p = 0; p < 1024; p++) { for (let k = 0; k < 3; k++) png.data[p * 4 + k] = img.pixels[p * 3 + k]; png.data[p * 4 + 3] = 255; }
  const pngFile = join(dir, 'image.png'), jpegFile = join(dir, 'image.jpg');
  writeFileSync(pngFile, PNG.sync.write(png));
  writeFileSync(jpegFile, jpeg.encode({ data: png.data, width: 32, height: 32 }, 90).data);
  const study = join(dir, 'study');
  await fakeStudy(study, 3);
  const checkpoint = pretrainedPath('cmv3-w0.5-relu6-cifar10')!;
  const run = join(dir, 'run');
  mkdirSync(run);
  copyFileSync(checkpoint, join(run, 'best.ckpt'));
  const { newRunConfig } = await import('../src/train/trainer.js');
  const { PAPER_RECIPE } = await import('../src/train/recipe.js');
  const { decodeCheckpoint } = await import('../src/io/checkpoint.js');
  writeFileSync(join(run, 'config.json'), JSON.stringify(newRunConfig({ spec: decodeCheckpoint(readFileSync(checkpoint)).spec, recipe: PAPER_RECIPE, seed: 1, epochs: 1, batchSize: 64, lr: 0.05, data, limitTrain: null, limitTest: null, init: null }), null, 2));
  return { dir, data, tflite, checkpoint, spec, png: pngFile, jpeg: jpegFile, study, run };
}

/** Counts per outcome, and per kind. */
export function tally(results: CaseResult[]): { total: Record<Outcome, number>; byKind: Record<string, Record<Outcome, number>> } {
  const zero = (): Record<Outcome, number> => ({ 'clean error': 0, 'correct run': 0, failure: 0 });
  const total = zero(), byKind: Record<string, Record<Outcome, number>> = {};
  for (const r of results) { total[r.outcome]++; (byKind[r.kind] ??= zero())[r.outcome]++; }
  return { total, byKind };
}
