// cmv3's trials as Optuna sees them. One Optuna trial per candidate (network): its params are the
// space's choices (categorical, by label), each rung's validation accuracy an intermediate value
// (step = rung), its costs user attributes; its state follows its rungs: WAITING while queued or
// waiting for the rung decision, RUNNING while a worker trains it, COMPLETE with values (accuracy,
// then each cost traded against it) once it finished the top rung, PRUNED when successive halving
// did not promote it, FAIL when rejected over a limit or when training failed. Written in the same
// transaction as the queue change that causes it, so Optuna never reads a stale state.
import type * as Pg from 'pg';
import { OBJECTIVES, type CostObjective } from '../options.js';
import { choiceLabel, type Space } from '../space.js';
import type { StaticCost } from '../cost.js';
import type { TrialMetrics } from '../store.js';

type Q = Pick<Pg.PoolClient, 'query'>;

/** Directions, objective by objective: accuracy up, every cost down. */
export async function createOptunaStudy(q: Q, name: string, objectives: CostObjective[], space: Space): Promise<number> {
  const id = (await q.query('INSERT INTO studies (study_name) VALUES ($1) RETURNING study_id', [name])).rows[0].study_id as number;
  const dirs = ['MAXIMIZE', ...objectives.map(() => 'MINIMIZE')];
  for (const [i, d] of dirs.entries()) await q.query('INSERT INTO study_directions (direction, study_id, objective) VALUES ($1, $2, $3)', [d, id, i]);
  const attrs: Record<string, unknown> = { objectives: ['validation accuracy', ...objectives.map((o) => `${o} (${OBJECTIVES[o]})`)], space: space.name, made_by: 'cmv3 explore' };
  for (const [k, v] of Object.entries(attrs)) await q.query('INSERT INTO study_user_attributes (study_id, key, value_json) VALUES ($1, $2, $3)', [id, k, JSON.stringify(v)]);
  return id;
}

/** A new candidate: an Optuna trial with its params (one categorical per dimension) and its costs. */
export async function createOptunaTrial(q: Q, studyId: number, space: Space, genes: number[]): Promise<number> {
  const number = Number((await q.query('SELECT count(*) AS n FROM trials WHERE study_id = $1', [studyId])).rows[0].n);
  const id = (await q.query("INSERT INTO trials (number, study_id, state) VALUES ($1, $2, 'WAITING') RETURNING trial_id", [number, studyId])).rows[0].trial_id as number;
  for (const [i, dim] of space.dims.entries()) {
    const dist = { name: 'CategoricalDistribution', attributes: { choices: dim.choices.map(choiceLabel) } };
    await q.query('INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES ($1, $2, $3, $4)', [id, dim.name, genes[i], JSON.stringify(dist)]);
  }
  return id;
}

const upsertAttr = (q: Q, trial: number, key: string, value: unknown) => q.query(
  'INSERT INTO trial_user_attributes (trial_id, key, value_json) VALUES ($1, $2, $3) ON CONFLICT (trial_id, key) DO UPDATE SET value_json = EXCLUDED.value_json',
  [trial, key, JSON.stringify(value)]);

interface RungRow { id: number; rung: number; status: string; label: string; cost: string | null; metrics: string | null; error: string | null }

/** Re-derives one candidate's Optuna trial from its queue rows. */
export async function syncCandidate(q: Q, studyId: number, trialId: number, o: { topRung: number; objectives: CostObjective[]; finished: boolean }): Promise<void> {
  const rows = (await q.query('SELECT id, rung, status, label, cost, metrics, error FROM cmv3_trials WHERE study_id = $1 AND optuna_trial_id = $2 ORDER BY rung', [studyId, trialId])).rows as RungRow[];
  if (!rows.length) return;
  const last = rows[rows.length - 1];
  const metricsOf = (r: RungRow) => (r.metrics ? JSON.parse(r.metrics) as TrialMetrics : null);
  let state: string;
  if (rows.some((r) => r.status === 'running')) state = 'RUNNING';
  else if (rows.some((r) => r.status === 'rejected' || r.status === 'failed')) state = 'FAIL';
  else if (last.status === 'pending') state = 'WAITING';
  else if (last.rung >= o.topRung) state = 'COMPLETE';
  else {
    // Done below the top: pruned once the next rung has been chosen without it (or the study ended).
    const next = (await q.query('SELECT EXISTS (SELECT 1 FROM cmv3_trials WHERE study_id = $1 AND rung = $2) AS ok', [studyId, last.rung + 1])).rows[0].ok as boolean;
    state = next || o.finished ? 'PRUNED' : 'WAITING';
  }
  const finished = state === 'COMPLETE' || state === 'PRUNED' || state === 'FAIL';
  await q.query(`UPDATE trials SET state = $2::trialstate, datetime_start = CASE WHEN $2::text = 'WAITING' THEN datetime_start ELSE COALESCE(datetime_start, LOCALTIMESTAMP) END,
    datetime_complete = CASE WHEN $3::boolean THEN COALESCE(datetime_complete, LOCALTIMESTAMP) ELSE NULL END WHERE trial_id = $1`, [trialId, state, finished]);
  await q.query('DELETE FROM trial_values WHERE trial_id = $1', [trialId]);
  if (state === 'COMPLETE') {
    const m = metricsOf(last)!, cost = JSON.parse(last.cost!) as StaticCost;
    const values = [m.valAcc, ...o.objectives.map((k) => cost[OBJECTIVES[k]])];
    for (const [i, v] of values.entries()) await q.query("INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES ($1, $2, $3, 'FINITE')", [trialId, i, v]);
  }
  await q.query('DELETE FROM trial_intermediate_values WHERE trial_id = $1', [trialId]);
  for (const r of rows) {
    const m = metricsOf(r);
    if (r.status === 'done' && m) await q.query("INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) VALUES ($1, $2, $3, 'FINITE')", [trialId, r.rung, m.valAcc]);
  }
  await upsertAttr(q, trialId, 'label', last.label);
  await upsertAttr(q, trialId, 'cmv3_trials', rows.map((r) => r.id));
  if (last.cost) {
    const c = JSON.parse(last.cost) as StaticCost;
    for (const [k, v] of Object.entries(c)) if (typeof v === 'number') await upsertAttr(q, trialId, k, v);
  }
  const m = metricsOf(last);
  if (m) for (const [k, v] of Object.entries(m)) await upsertAttr(q, trialId, k, v);
  if (last.error) await upsertAttr(q, trialId, last.status === 'rejected' ? 'rejected' : 'error', last.error);
}
