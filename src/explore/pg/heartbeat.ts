// A running trial's heartbeat from a thread of its own, with its own connection. The worker's main
// thread trains in long synchronous native calls (an evaluation pass, int8 calibration) that hold
// its event loop for seconds; beats sent from there arrived late or timed out while connecting
// (test 65 on 2 cores with five processes), and other workers took live trials over. A thread
// beats on time; when the trial is no longer this worker's (another took it after a real silence),
// it says so and the worker drops the trial.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import type { BeatEvents } from '../store.js';

interface BeatData { config: Pg.ClientConfig; studyId: number; trialId: number; worker: string; everyMs: number }

export interface Heartbeat { stop(): Promise<void> }

/**
 * One beat for a trial this worker holds: cmv3's heartbeat and Optuna's `trial_heartbeats`. False
 * when the trial is no longer this worker's (finished, handed back, or taken over by another).
 * Shared by the beating thread and PgStudy.heartbeat.
 */
export async function beat(c: Pg.ClientBase, studyId: number, trialId: number, worker: string): Promise<boolean> {
  const r = await c.query("UPDATE cmv3_trials SET heartbeat = $4 WHERE study_id = $1 AND id = $2 AND worker = $3 AND status = 'running' RETURNING optuna_trial_id",
    [studyId, trialId, worker, Date.now() / 1000]);
  if (!r.rowCount) return false;
  await c.query('UPDATE trial_heartbeats SET heartbeat = LOCALTIMESTAMP WHERE trial_id = $1', [r.rows[0].optuna_trial_id]);
  return true;
}

/** Starts beating for a trial (see BeatEvents). */
export function startHeartbeat(d: BeatData, on: BeatEvents): Heartbeat {
  const thread = new Worker(new URL(import.meta.url), { workerData: d });
  thread.on('message', (m: { lost?: boolean; stopped?: boolean; error?: string }) => { if (m.lost) on.lost(); else if (m.stopped) on.stopped(); else if (m.error) on.error(m.error); });
  thread.on('error', (err) => on.error(err.message));
  thread.unref();
  return {
    stop: () => new Promise<void>((resolve) => {
      if (thread.threadId < 0) return resolve();
      thread.once('exit', () => resolve());
      thread.postMessage('stop');
    }),
  };
}

async function beatLoop(d: BeatData): Promise<void> {
  const pg: typeof Pg = createRequire(import.meta.url)('pg');
  let client: Pg.Client | null = null, stopped = false, told = false;
  parentPort!.on('message', (m) => { if (m === 'stop') stopped = true; });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  while (!stopped) {
    try {
      if (!client) {
        client = new pg.Client({ ...d.config, connectionTimeoutMillis: 10000 });
        client.on('error', () => {});
        await client.connect();
      }
      if (!await beat(client, d.studyId, d.trialId, d.worker)) { parentPort!.postMessage({ lost: true }); break; }
      // A study whose driver stopped (Ctrl-C, budget) stops its workers too: the trial is saved and handed back.
      const st = await client.query('SELECT state FROM cmv3_studies WHERE study_id = $1', [d.studyId]);
      if (!told && st.rows[0]?.state !== 'running') { parentPort!.postMessage({ stopped: true }); told = true; }
    } catch (err) {
      parentPort!.postMessage({ error: (err as Error).message });
      await client?.end().catch(() => {});
      client = null;
    }
    for (let waited = 0; waited < d.everyMs && !stopped; waited += 100) await sleep(100);
  }
  await client?.end().catch(() => {});
  parentPort!.close();
}

if (!isMainThread && (workerData as BeatData | undefined)?.trialId !== undefined) void beatLoop(workerData as BeatData);
