// A study is one SQLite file (better-sqlite3, WAL): its options and space, and one row per trial
// (a network at one fidelity). Workers in other processes share it; claiming a trial is one
// IMMEDIATE transaction, so no trial runs twice, and a finished trial is on disk before its worker
// takes the next. TrialQueue is the part workers use: a distributed queue would implement it.
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type BetterSqlite3 from 'better-sqlite3';
import type { NetworkSpec } from '../models/spec.js';
import type { StaticCost } from './cost.js';
import { parseJson } from '../json.js';

export class StudyError extends Error {
  readonly code = 'ERR_STUDY';
}

/** A worker handed in a result for a trial that had passed to another worker; nothing was recorded. */
export class TrialLostError extends Error {
  readonly code = 'ERR_TRIAL_LOST';
}

export type TrialStatus = 'pending' | 'running' | 'done' | 'failed' | 'rejected';

export interface TrialMetrics {
  /** top-1 on the validation images held out of the training set (what the search ranks by) */
  valAcc: number;
  /** top-1 on the test set, float32 */
  testAcc: number;
  /** top-1 of the int8 model on the first int8Images test images, when measured */
  int8Acc?: number;
  int8Images?: number;
  trainSeconds: number;
  imagesPerSec: number;
}

export interface Trial {
  id: number;
  key: string;
  rung: number;
  generation: number;
  genes: number[];
  label: string;
  spec: NetworkSpec;
  epochs: number;
  trainImages: number;
  seed: number;
  status: TrialStatus;
  cost: StaticCost | null;
  metrics: TrialMetrics | null;
  error: string | null;
  worker: string | null;
  seconds: number | null;
}

/** What a background heartbeat reports. */
export interface BeatEvents { lost(): void; stopped(): void; error(message: string): void }

/** A value now (SQLite) or later (PostgreSQL): callers always `await` it. */
export type Awaitable<T> = T | Promise<T>;

/** What a worker needs from the study: claim work, keep it alive, hand in the result. */
export interface TrialQueue {
  claim(worker: string): Awaitable<Trial | null>;
  heartbeat(id: number, worker: string): Awaitable<void>;
  complete(id: number, worker: string, metrics: TrialMetrics, seconds: number): Awaitable<void>;
  fail(id: number, worker: string, error: string): Awaitable<void>;
  /** give an unfinished trial back (the worker was stopped); its run folder keeps its progress */
  release(id: number, worker: string): Awaitable<void>;
}

/** The study row: its settings, its space and how far it is. */
export interface StudyMeta { options: unknown; space: unknown; createdAt: string; spentSeconds: number; state: string; driver: string | null }

/** A file of a trial's run folder, kept by a store that workers on other machines share. */
export interface TrialFile { name: string; data: Uint8Array }

/**
 * A study as the driver, the workers and `explore show` use it: one SQLite file (`Study`) or a
 * PostgreSQL database in Optuna's schema (`PgStudy`). The driver and the workers are the same code
 * for both.
 */
export interface StudyStore extends TrialQueue {
  /** how the study is named in messages: a file path, or the PostgreSQL URL (no password) and study name */
  readonly where: string;
  /** a shared store keeps each trial's run folder (checkpoints included) for workers elsewhere */
  readonly sharesFiles: boolean;
  close(): Awaitable<void>;
  meta(): Awaitable<StudyMeta>;
  setOptions(options: unknown): Awaitable<void>;
  addSpent(seconds: number): Awaitable<void>;
  setState(state: string): Awaitable<void>;
  lockDriver(isAlive: Liveness): Awaitable<void>;
  unlockDriver(): Awaitable<void>;
  add(t: Omit<Trial, 'id' | 'metrics' | 'error' | 'worker' | 'seconds'>): Awaitable<Trial>;
  reject(id: number, reasons: string[]): Awaitable<void>;
  get(key: string, rung: number): Awaitable<Trial | null>;
  byId(id: number): Awaitable<Trial | null>;
  trials(): Awaitable<Trial[]>;
  counts(): Awaitable<Record<TrialStatus, number>>;
  requeueOrphans(isAlive: Liveness, staleSeconds?: number): Awaitable<number>;
  /**
   * Beats for a running trial independently of the caller's event loop; says when the trial has
   * passed to another worker (`lost`) or the study is no longer running (its driver was stopped or
   * spent its budget: `stopped`). Stores without it get `heartbeat` calls from a timer.
   */
  keepAlive?(id: number, worker: string, everyMs: number, on: BeatEvents): { stop(): Promise<void> };
  /** stores (replaces) files of a trial's run folder; a no-op for a store that does not share files */
  putFiles(id: number, files: TrialFile[]): Awaitable<void>;
  /** the stored files of a trial's run folder (none for a store that does not share files) */
  getFiles(id: number): Awaitable<TrialFile[]>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS study (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, options TEXT NOT NULL,
  space TEXT NOT NULL, created_at TEXT NOT NULL, spent_seconds REAL NOT NULL DEFAULT 0, state TEXT NOT NULL, driver TEXT, driver_beat REAL);
CREATE TABLE IF NOT EXISTS trials (id INTEGER PRIMARY KEY, key TEXT NOT NULL, rung INTEGER NOT NULL, generation INTEGER NOT NULL,
  genes TEXT NOT NULL, label TEXT NOT NULL, spec TEXT NOT NULL, epochs INTEGER NOT NULL, train_images INTEGER NOT NULL,
  seed INTEGER NOT NULL, status TEXT NOT NULL, cost TEXT, metrics TEXT, error TEXT, worker TEXT, heartbeat REAL,
  seconds REAL, UNIQUE (key, rung));`;

export interface Row {
  id: number; key: string; rung: number; generation: number; genes: string; label: string; spec: string; epochs: number;
  train_images: number; seed: number; status: TrialStatus; cost: string | null; metrics: string | null; error: string | null;
  worker: string | null; seconds: number | null;
}
export const TRIAL_STATUSES: readonly TrialStatus[] = ['pending', 'running', 'done', 'failed', 'rejected'];

/** A stored row as a trial, every field checked: a damaged study is named, never half-read. */
export function toTrial(r: Row): Trial {
  const bad = (what: string) => new StudyError(`trial ${r.id} of the study ${what}; the study file is damaged`);
  if (!TRIAL_STATUSES.includes(r.status)) throw bad(`has the unknown status ${JSON.stringify(r.status)} (expected ${TRIAL_STATUSES.join(', ')})`);
  const json = (text: string | null, field: string, kind: 'object' | 'array') => {
    if (text === null) return null;
    let v: unknown;
    const its = field === 'genes' || field === 'metrics' ? `${field} that are` : `a ${field} that is`;
    try { v = parseJson(String(text), field); } catch { throw bad(`has ${its} not JSON`); }
    if (kind === 'array' ? !Array.isArray(v) : typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`has ${its} not a JSON ${kind}`);
    return v;
  };
  for (const [k, v] of Object.entries({ rung: r.rung, generation: r.generation, epochs: r.epochs, train_images: r.train_images, seed: r.seed })) {
    if (!Number.isInteger(v) || (v as number) < 0) throw bad(`has ${k} ${JSON.stringify(v)} (expected a non-negative integer)`);
  }
  const genes = json(r.genes, 'genes', 'array'), spec = json(r.spec, 'spec', 'object');
  if (genes === null || spec === null) throw bad('has no genes or spec');
  // A trained trial is ranked by its cost and metrics (the front, the next rung).
  if (r.status === 'done' && (r.cost === null || r.metrics === null)) throw bad(`is done but has no ${r.cost === null ? 'cost' : 'metrics'}`);
  return {
    id: r.id, key: r.key, rung: r.rung, generation: r.generation, genes: genes as Trial['genes'], label: r.label, spec: spec as Trial['spec'],
    epochs: r.epochs, trainImages: r.train_images, seed: r.seed, status: r.status, cost: json(r.cost, 'cost', 'object') as Trial['cost'],
    metrics: json(r.metrics, 'metrics', 'object') as Trial['metrics'], error: r.error, worker: r.worker, seconds: r.seconds,
  };
}

/** `readonly`: a viewer's open (the dashboard): no pragmas, no migration, no waiting on a lock. */
function openDatabase(path: string, create: boolean, readonly = false): BetterSqlite3.Database {
  let Database: typeof BetterSqlite3;
  try {
    Database = createRequire(import.meta.url)('better-sqlite3');
  } catch (err) {
    throw new StudyError(`cmv3 explore needs better-sqlite3, which did not install (${(err as Error).message.split('\n')[0]}); install a C++ compiler (apt-get install -y g++ make python3) and run npm rebuild better-sqlite3`);
  }
  try {
    if (readonly) return new Database(path, { readonly: true, fileMustExist: true, timeout: 0 });
    const db = new Database(path, { fileMustExist: !create, timeout: 10000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (err) {
    throw new StudyError(`cannot open study ${path} (${(err as Error).message}); ${create ? 'check the folder is writable' : 'pass a study made by cmv3 explore'}`);
  }
}

export const workerId = () => `${hostname()}:${process.pid}`;

/** Is the process behind a worker id alive: true, false, or undefined when it cannot be told (another host). */
export type Liveness = (worker: string) => boolean | undefined;
const DRIVER_STALE_S = 120;

export class Study implements StudyStore {
  readonly sharesFiles = false;
  private constructor(readonly path: string, private readonly db: BetterSqlite3.Database) {}

  get where(): string { return this.path; }

  static create(path: string, options: unknown, space: unknown): Study {
    const db = openDatabase(path, true);
    db.exec(SCHEMA);
    db.prepare('INSERT INTO study (id, version, options, space, created_at, state) VALUES (1, 1, ?, ?, ?, ?)')
      .run(JSON.stringify(options), JSON.stringify(space), new Date().toISOString(), 'running');
    return new Study(path, db);
  }

  /** `readonly` for viewers: nothing is written (an old study is read without its migration). */
  static open(path: string, readonly = false): Study {
    const db = openDatabase(path, false, readonly);
    let ok = false, version: unknown;
    try {
      const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('study', 'trials')").get() as { n: number }).n;
      if (tables === 2) version = (db.prepare('SELECT version FROM study WHERE id = 1').get() as { version: unknown } | undefined)?.version;
      ok = tables === 2 && version === 1;
    } catch (err) {
      db.close();
      throw new StudyError(`${path} is not a cmv3 study (${(err as Error).message.split('\n')[0]}); pass a study.sqlite made by cmv3 explore`);
    }
    if (!ok) {
      db.close();
      if (typeof version === 'number') throw new StudyError(`${path} is a study of format version ${version}; this cmv3 reads version 1; upgrade cmv3`);
      throw new StudyError(`${path} is not a cmv3 study (${version === undefined ? 'no study/trials tables' : 'no study row'}); pass a study.sqlite made by cmv3 explore`);
    }
    // Studies made before the driver's lock had a beat.
    const cols = (db.prepare('PRAGMA table_info(study)').all() as { name: string }[]).map((c) => c.name);
    if (!cols.includes('driver_beat') && !readonly) db.exec('ALTER TABLE study ADD COLUMN driver_beat REAL');
    return new Study(path, db);
  }

  close(): void { this.db.close(); }

  meta(): StudyMeta {
    const r = this.db.prepare('SELECT * FROM study WHERE id = 1').get() as { options: string; space: string; created_at: string; spent_seconds: number; state: string; driver: string | null };
    const json = (text: string, what: string) => {
      let v: unknown;
      try { v = parseJson(String(text), what); } catch { v = null; }
      if (typeof v !== 'object' || v === null) throw new StudyError(`${this.path}: the study's ${what} ${what === 'options' ? 'are' : 'is'} not a JSON object; the study file is damaged`);
      return v;
    };
    return { options: json(r.options, 'options'), space: json(r.space, 'space'), createdAt: r.created_at, spentSeconds: r.spent_seconds, state: r.state, driver: r.driver };
  }

  setOptions(options: unknown): void { this.db.prepare('UPDATE study SET options = ? WHERE id = 1').run(JSON.stringify(options)); }
  /** Adds driving time and beats the driver's lock (a lock that stops beating is free after DRIVER_STALE_S). */
  addSpent(seconds: number): void { this.db.prepare('UPDATE study SET spent_seconds = spent_seconds + ?, driver_beat = ? WHERE id = 1').run(seconds, Date.now() / 1000); }
  setState(state: string): void { this.db.prepare('UPDATE study SET state = ? WHERE id = 1').run(state); }

  /**
   * Takes the driver's lock; refuses while another driver holds it: a live process on this host, or
   * one on another host (liveness unknown) whose beat is fresh.
   */
  lockDriver(isAlive: Liveness): void {
    this.db.transaction(() => {
      const { driver, driver_beat: beat } = this.db.prepare('SELECT driver, driver_beat FROM study WHERE id = 1').get() as { driver: string | null; driver_beat: number | null };
      const alive = driver ? isAlive(driver) : false;
      const held = driver && driver !== workerId() && (alive === true || (alive === undefined && Date.now() / 1000 - (beat ?? 0) < DRIVER_STALE_S));
      if (held) throw new StudyError(`${this.path} is being run by process ${driver}; wait for it or stop it first`);
      this.db.prepare('UPDATE study SET driver = ?, driver_beat = ? WHERE id = 1').run(workerId(), Date.now() / 1000);
    }).immediate();
  }
  unlockDriver(): void { this.db.prepare('UPDATE study SET driver = NULL WHERE id = 1 AND driver = ?').run(workerId()); }

  /** Adds a trial unless the same network at the same rung is already there; returns the row either way. */
  add(t: Omit<Trial, 'id' | 'metrics' | 'error' | 'worker' | 'seconds'>): Trial {
    this.db.prepare(`INSERT OR IGNORE INTO trials (key, rung, generation, genes, label, spec, epochs, train_images, seed, status, cost, error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`).run(t.key, t.rung, t.generation, JSON.stringify(t.genes), t.label,
      JSON.stringify(t.spec), t.epochs, t.trainImages, t.seed, t.status, t.cost ? JSON.stringify(t.cost) : null);
    return this.get(t.key, t.rung)!;
  }

  reject(id: number, reasons: string[]): void {
    this.db.prepare("UPDATE trials SET status = 'rejected', error = ? WHERE id = ?").run(reasons.join('; '), id);
  }

  get(key: string, rung: number): Trial | null {
    const r = this.db.prepare('SELECT * FROM trials WHERE key = ? AND rung = ?').get(key, rung) as Row | undefined;
    return r ? toTrial(r) : null;
  }

  byId(id: number): Trial | null {
    const r = this.db.prepare('SELECT * FROM trials WHERE id = ?').get(id) as Row | undefined;
    return r ? toTrial(r) : null;
  }

  trials(): Trial[] { return (this.db.prepare('SELECT * FROM trials ORDER BY id').all() as Row[]).map(toTrial); }

  counts(): Record<TrialStatus, number> {
    const out: Record<TrialStatus, number> = { pending: 0, running: 0, done: 0, failed: 0, rejected: 0 };
    for (const r of this.db.prepare('SELECT status, count(*) AS n FROM trials GROUP BY status').all() as { status: TrialStatus; n: number }[]) {
      if (!TRIAL_STATUSES.includes(r.status)) throw new StudyError(`${r.n} trial(s) of the study have the unknown status ${JSON.stringify(r.status)}; the study file is damaged`);
      out[r.status] = r.n;
    }
    return out;
  }

  /**
   * Trials left 'running' by a worker that is gone (or, on another host, silent for `staleSeconds`;
   * workers beat every 15 s) go back to the queue; their run folders resume where they were.
   */
  requeueOrphans(isAlive: Liveness, staleSeconds = 600): number {
    let n = 0;
    const now = Date.now() / 1000;
    for (const r of this.db.prepare("SELECT id, worker, heartbeat FROM trials WHERE status = 'running'").all() as { id: number; worker: string; heartbeat: number }[]) {
      // A local worker is judged by its process (a long synchronous step may delay its beat);
      // one on another host, whose process cannot be seen, by its beat.
      const alive = isAlive(r.worker);
      if (alive === true || (alive === undefined && now - r.heartbeat < staleSeconds)) continue;
      n += this.db.prepare("UPDATE trials SET status = 'pending', worker = NULL WHERE id = ? AND status = 'running' AND worker = ?").run(r.id, r.worker).changes;
    }
    return n;
  }

  claim(worker: string): Trial | null {
    return this.db.transaction(() => {
      const r = this.db.prepare("SELECT * FROM trials WHERE status = 'pending' ORDER BY rung DESC, id LIMIT 1").get() as Row | undefined;
      if (!r) return null;
      this.db.prepare("UPDATE trials SET status = 'running', worker = ?, heartbeat = ? WHERE id = ?").run(worker, Date.now() / 1000, r.id);
      return toTrial({ ...r, status: 'running', worker });
    }).immediate();
  }

  heartbeat(id: number, worker: string): void {
    this.db.prepare("UPDATE trials SET heartbeat = ? WHERE id = ? AND worker = ? AND status = 'running'").run(Date.now() / 1000, id, worker);
  }

  complete(id: number, worker: string, metrics: TrialMetrics, seconds: number): void {
    const n = this.db.prepare("UPDATE trials SET status = 'done', metrics = ?, seconds = ?, error = NULL WHERE id = ? AND worker = ? AND status = 'running'")
      .run(JSON.stringify(metrics), seconds, id, worker).changes;
    if (n !== 1) throw new TrialLostError(`trial ${id} is no longer held by ${worker}; its result was not recorded`);
  }

  fail(id: number, worker: string, error: string): void {
    this.db.prepare("UPDATE trials SET status = 'failed', error = ? WHERE id = ? AND worker = ? AND status = 'running'").run(error, id, worker);
  }

  release(id: number, worker: string): void {
    this.db.prepare("UPDATE trials SET status = 'pending', worker = NULL WHERE id = ? AND worker = ? AND status = 'running'").run(id, worker);
  }

  // Trial folders live beside the study file, where every local worker reaches them.
  putFiles(): void {}
  getFiles(): TrialFile[] { return []; }
}
