// A study in a PostgreSQL database, shared by a driver and any number of workers on any number of
// machines: the same operations as the SQLite study (`Study`), each one transaction. Claiming takes
// the next pending trial (or one whose worker stopped beating for `heartbeatTimeout` seconds) with
// FOR UPDATE SKIP LOCKED, so no trial is claimed twice. Every queue change re-derives the
// candidate's Optuna trial in the same transaction (optuna.ts).
import type * as Pg from 'pg';
import type { ExploreOptions } from '../options.js';
import type { Space } from '../space.js';
import { StudyError, toTrial, TrialLostError, TRIAL_STATUSES, workerId, type BeatEvents, type Liveness, type StudyMeta, type StudyStore, type Trial, type TrialFile, type TrialMetrics, type TrialStatus } from '../store.js';
import { connect, explain, safeUrl, type Connection } from './connect.js';
import { beat, startHeartbeat, type Heartbeat } from './heartbeat.js';
import { createOptunaStudy, createOptunaTrial, syncCandidate } from './optuna.js';
import { CMV3_PG_VERSION, ensureSchema } from './schema.js';

const DRIVER_STALE_S = 120;
/** Default seconds without a heartbeat after which another worker takes a running trial over. */
export const HEARTBEAT_TIMEOUT_S = 120;
const now = () => Date.now() / 1000;

export class PgStudy implements StudyStore {
  readonly sharesFiles = true;
  private constructor(private readonly pool: Pg.Pool, private readonly connection: Connection, private readonly url: string, readonly name: string, readonly studyId: number, private o: ExploreOptions, private readonly space: Space) {}

  get where(): string { return `study ${this.name} in ${safeUrl(this.url)}`; }
  /** seconds without a beat before a running trial goes to another worker */
  get heartbeatTimeout(): number { return this.o.heartbeatTimeout ?? HEARTBEAT_TIMEOUT_S; }

  /** Creates a study (and the tables if the database has none); refuses a name in use. */
  static async create(url: string, name: string, options: ExploreOptions, space: Space): Promise<PgStudy> {
    const { pool, connection } = await connect(url);
    try {
      const client = await pool.connect();
      try {
        await ensureSchema(client, dbName(url), true);
        await client.query('BEGIN');
        const taken = (await client.query('SELECT s.study_id, c.space FROM studies s LEFT JOIN cmv3_studies c USING (study_id) WHERE s.study_name = $1', [name])).rows[0];
        if (taken) {
          const what = taken.space ? `with space ${JSON.parse(taken.space).name}` : 'made by another program (it is not a cmv3 study)';
          throw new StudyError(`study ${name} already exists in ${safeUrl(url)} ${what}; continue it with cmv3 explore --resume ${safeUrl(url)} --study ${name}, or choose another --study name`);
        }
        const id = await createOptunaStudy(client, name, options.objectives, space);
        await client.query('INSERT INTO cmv3_studies (study_id, version, options, space, created_at, state) VALUES ($1, $2, $3, $4, $5, $6)',
          [id, CMV3_PG_VERSION, JSON.stringify(options), JSON.stringify(space), new Date().toISOString(), 'running']);
        await client.query('COMMIT');
        return new PgStudy(pool, connection, url, name, id, options, space);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw err instanceof StudyError ? err : explain(err, url, connection.hasPassword);
    }
  }

  static async open(url: string, name: string): Promise<PgStudy> {
    const { pool, connection } = await connect(url);
    try {
      const client = await pool.connect();
      try { await ensureSchema(client, dbName(url), false); } finally { client.release(); }
      const r = (await pool.query('SELECT s.study_id, c.version, c.options, c.space FROM studies s LEFT JOIN cmv3_studies c USING (study_id) WHERE s.study_name = $1', [name])).rows[0];
      if (!r) {
        const names = (await pool.query('SELECT study_name FROM studies JOIN cmv3_studies USING (study_id) ORDER BY study_id')).rows.map((x) => x.study_name as string);
        throw new StudyError(`no study ${name} in ${safeUrl(url)}; ${names.length ? `it holds ${names.join(', ')}` : 'it holds no cmv3 study'} (start one with cmv3 explore --storage URL --study NAME)`);
      }
      if (r.version === null) throw new StudyError(`study ${name} in ${safeUrl(url)} was made by another program (an Optuna study without cmv3's settings); cmv3 cannot continue it`);
      if (r.version !== CMV3_PG_VERSION) throw new StudyError(`study ${name} is of cmv3 format version ${r.version}; this cmv3 reads version ${CMV3_PG_VERSION}; upgrade cmv3`);
      return new PgStudy(pool, connection, url, name, r.study_id, JSON.parse(r.options), JSON.parse(r.space));
    } catch (err) {
      await pool.end().catch(() => {});
      throw err instanceof StudyError ? err : explain(err, url, connection.hasPassword);
    }
  }

  async close(): Promise<void> { await this.pool.end(); }

  private async tx<T>(fn: (c: Pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  private sync(c: Pg.PoolClient, optunaTrialId: number, finished = false): Promise<void> {
    return syncCandidate(c, this.studyId, optunaTrialId, { topRung: this.o.rungs.length - 1, objectives: this.o.objectives, finished });
  }

  /** Re-derives the candidate of cmv3 trial `id` after a change to its row. */
  private async syncTrial(c: Pg.PoolClient, id: number): Promise<void> {
    const r = (await c.query('SELECT optuna_trial_id FROM cmv3_trials WHERE study_id = $1 AND id = $2', [this.studyId, id])).rows[0];
    if (r) await this.sync(c, r.optuna_trial_id);
  }

  async meta(): Promise<StudyMeta> {
    const r = (await this.pool.query('SELECT * FROM cmv3_studies WHERE study_id = $1', [this.studyId])).rows[0];
    return { options: JSON.parse(r.options), space: JSON.parse(r.space), createdAt: r.created_at, spentSeconds: r.spent_seconds, state: r.state, driver: r.driver };
  }

  async setOptions(options: unknown): Promise<void> {
    await this.pool.query('UPDATE cmv3_studies SET options = $2 WHERE study_id = $1', [this.studyId, JSON.stringify(options)]);
    this.o = options as ExploreOptions;
  }
  async addSpent(seconds: number): Promise<void> {
    await this.pool.query('UPDATE cmv3_studies SET spent_seconds = spent_seconds + $2, driver_beat = $3 WHERE study_id = $1', [this.studyId, seconds, now()]);
  }
  /** A finished study prunes the candidates successive halving left behind. */
  async setState(state: string): Promise<void> {
    await this.tx(async (c) => {
      await c.query('UPDATE cmv3_studies SET state = $2 WHERE study_id = $1', [this.studyId, state]);
      const ids = (await c.query('SELECT DISTINCT optuna_trial_id FROM cmv3_trials WHERE study_id = $1', [this.studyId])).rows;
      for (const r of ids) await this.sync(c, r.optuna_trial_id, state === 'finished');
    });
  }

  async lockDriver(isAlive: Liveness): Promise<void> {
    await this.tx(async (c) => {
      const { driver, driver_beat: driverBeat } = (await c.query('SELECT driver, driver_beat FROM cmv3_studies WHERE study_id = $1 FOR UPDATE', [this.studyId])).rows[0];
      const alive = driver ? isAlive(driver) : false;
      const held = driver && driver !== workerId() && (alive === true || (alive === undefined && now() - (driverBeat ?? 0) < DRIVER_STALE_S));
      if (held) throw new StudyError(`${this.where} is being driven by process ${driver}; wait for it or stop it first`);
      await c.query('UPDATE cmv3_studies SET driver = $2, driver_beat = $3 WHERE study_id = $1', [this.studyId, workerId(), now()]);
    });
  }
  async unlockDriver(): Promise<void> {
    await this.pool.query('UPDATE cmv3_studies SET driver = NULL WHERE study_id = $1 AND driver = $2', [this.studyId, workerId()]);
  }

  async add(t: Omit<Trial, 'id' | 'metrics' | 'error' | 'worker' | 'seconds'>): Promise<Trial> {
    await this.tx(async (c) => {
      await c.query('SELECT 1 FROM cmv3_studies WHERE study_id = $1 FOR UPDATE', [this.studyId]); // one adder at a time: ids in order
      if ((await c.query('SELECT 1 FROM cmv3_trials WHERE study_id = $1 AND key = $2 AND rung = $3', [this.studyId, t.key, t.rung])).rowCount) return;
      const id = Number((await c.query('SELECT COALESCE(max(id), 0) + 1 AS id FROM cmv3_trials WHERE study_id = $1', [this.studyId])).rows[0].id);
      const optunaId = await this.insert(c, { ...t, id, metrics: null, error: null, seconds: null });
      await this.sync(c, optunaId);
      // The first trial of a rung decides the rung below: what was not promoted is pruned.
      if (t.rung > 0) for (const r of (await c.query('SELECT DISTINCT optuna_trial_id FROM cmv3_trials WHERE study_id = $1 AND rung = $2', [this.studyId, t.rung - 1])).rows) await this.sync(c, r.optuna_trial_id);
    });
    return (await this.get(t.key, t.rung))!;
  }

  /** Imports a trial as it is (migration from SQLite): same id, status, figures. */
  async importTrial(t: Trial): Promise<void> {
    await this.tx(async (c) => { await this.insert(c, { ...t, status: t.status === 'running' ? 'pending' : t.status }); });
  }

  /** Inserts one row of cmv3_trials, under the Optuna trial of its candidate (created for the first rung); returns that Optuna trial's id. */
  private async insert(c: Pg.ClientBase, t: Omit<Trial, 'worker'>): Promise<number> {
    const other = (await c.query('SELECT optuna_trial_id FROM cmv3_trials WHERE study_id = $1 AND key = $2 LIMIT 1', [this.studyId, t.key])).rows[0];
    const optunaId = other?.optuna_trial_id ?? await createOptunaTrial(c, this.studyId, this.space, t.genes);
    await c.query(`INSERT INTO cmv3_trials (study_id, id, optuna_trial_id, key, rung, generation, genes, label, spec, epochs, train_images, seed, status, cost, metrics, error, seconds)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, [this.studyId, t.id, optunaId, t.key, t.rung, t.generation, JSON.stringify(t.genes), t.label,
      JSON.stringify(t.spec), t.epochs, t.trainImages, t.seed, t.status, t.cost ? JSON.stringify(t.cost) : null, t.metrics ? JSON.stringify(t.metrics) : null, t.error, t.seconds]);
    return optunaId;
  }

  async reject(id: number, reasons: string[]): Promise<void> {
    await this.tx(async (c) => {
      await c.query("UPDATE cmv3_trials SET status = 'rejected', error = $3 WHERE study_id = $1 AND id = $2", [this.studyId, id, reasons.join('; ')]);
      await this.syncTrial(c, id);
    });
  }

  async get(key: string, rung: number): Promise<Trial | null> {
    const r = (await this.pool.query('SELECT * FROM cmv3_trials WHERE study_id = $1 AND key = $2 AND rung = $3', [this.studyId, key, rung])).rows[0];
    return r ? toTrial(r) : null;
  }
  async byId(id: number): Promise<Trial | null> {
    const r = (await this.pool.query('SELECT * FROM cmv3_trials WHERE study_id = $1 AND id = $2', [this.studyId, id])).rows[0];
    return r ? toTrial(r) : null;
  }
  async trials(): Promise<Trial[]> {
    return (await this.pool.query('SELECT * FROM cmv3_trials WHERE study_id = $1 ORDER BY id', [this.studyId])).rows.map(toTrial);
  }
  async counts(): Promise<Record<TrialStatus, number>> {
    const out: Record<TrialStatus, number> = { pending: 0, running: 0, done: 0, failed: 0, rejected: 0 };
    for (const r of (await this.pool.query('SELECT status, count(*) AS n FROM cmv3_trials WHERE study_id = $1 GROUP BY status', [this.studyId])).rows) {
      if (!TRIAL_STATUSES.includes(r.status)) throw new StudyError(`${r.n} trial(s) of ${this.where} have the unknown status ${JSON.stringify(r.status)}; the study is damaged`);
      out[r.status as TrialStatus] = Number(r.n);
    }
    return out;
  }

  /** Trials whose worker stopped beating go back to the queue (claim also takes them directly). */
  async requeueOrphans(_isAlive: Liveness, staleSeconds = this.heartbeatTimeout): Promise<number> {
    return this.tx(async (c) => {
      const rows = (await c.query("UPDATE cmv3_trials SET status = 'pending', worker = NULL WHERE study_id = $1 AND status = 'running' AND heartbeat < $2 RETURNING id",
        [this.studyId, now() - staleSeconds])).rows;
      for (const r of rows) await this.syncTrial(c, r.id);
      return rows.length;
    });
  }

  async claim(worker: string): Promise<Trial | null> {
    return this.tx(async (c) => {
      const r = (await c.query(`SELECT * FROM cmv3_trials WHERE study_id = $1 AND (status = 'pending' OR (status = 'running' AND heartbeat < $2))
        ORDER BY rung DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED`, [this.studyId, now() - this.heartbeatTimeout])).rows[0];
      if (!r) return null;
      await c.query("UPDATE cmv3_trials SET status = 'running', worker = $3, heartbeat = $4 WHERE study_id = $1 AND id = $2", [this.studyId, r.id, worker, now()]);
      await c.query('INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES ($1, LOCALTIMESTAMP) ON CONFLICT (trial_id) DO UPDATE SET heartbeat = EXCLUDED.heartbeat', [r.optuna_trial_id]);
      await this.sync(c, r.optuna_trial_id);
      return toTrial({ ...r, status: 'running', worker });
    });
  }

  /** Beats for a running trial from a thread of its own (heartbeat.ts), every `everyMs`. */
  keepAlive(id: number, worker: string, everyMs: number, on: BeatEvents): Heartbeat {
    return startHeartbeat({ config: this.connection.config, studyId: this.studyId, trialId: id, worker, everyMs }, on);
  }

  async heartbeat(id: number, worker: string): Promise<void> {
    await this.tx(async (c) => { await beat(c, this.studyId, id, worker); });
  }

  async complete(id: number, worker: string, metrics: TrialMetrics, seconds: number): Promise<void> {
    await this.tx(async (c) => {
      const n = (await c.query("UPDATE cmv3_trials SET status = 'done', metrics = $4, seconds = $5, error = NULL WHERE study_id = $1 AND id = $2 AND worker = $3 AND status = 'running'",
        [this.studyId, id, worker, JSON.stringify(metrics), seconds])).rowCount;
      if (n !== 1) throw new TrialLostError(`trial ${id} is no longer held by ${worker} (its heartbeat stopped for over ${this.heartbeatTimeout} s and another worker took it); its result was not recorded`);
      await this.syncTrial(c, id);
    });
  }

  async fail(id: number, worker: string, error: string): Promise<void> {
    await this.tx(async (c) => {
      await c.query("UPDATE cmv3_trials SET status = 'failed', error = $4 WHERE study_id = $1 AND id = $2 AND worker = $3 AND status = 'running'", [this.studyId, id, worker, error]);
      await this.syncTrial(c, id);
    });
  }

  async release(id: number, worker: string): Promise<void> {
    await this.tx(async (c) => {
      await c.query("UPDATE cmv3_trials SET status = 'pending', worker = NULL WHERE study_id = $1 AND id = $2 AND worker = $3 AND status = 'running'", [this.studyId, id, worker]);
      await this.syncTrial(c, id);
    });
  }

  async putFiles(id: number, files: TrialFile[]): Promise<void> {
    await this.tx(async (c) => {
      for (const f of files) {
        await c.query(`INSERT INTO cmv3_files (study_id, trial, name, data, updated_at) VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (study_id, trial, name) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`, [this.studyId, id, f.name, Buffer.from(f.data), now()]);
      }
    });
  }

  async getFiles(id: number): Promise<TrialFile[]> {
    return (await this.pool.query('SELECT name, data FROM cmv3_files WHERE study_id = $1 AND trial = $2 ORDER BY name', [this.studyId, id])).rows
      .map((r) => ({ name: r.name as string, data: new Uint8Array(r.data as Buffer) }));
  }
}

function dbName(url: string): string {
  try { return decodeURIComponent(new URL(url).pathname.slice(1)); } catch { return '(unnamed)'; }
}
