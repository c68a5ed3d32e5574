// The tables of a study on PostgreSQL: Optuna's RDB schema as Optuna 3.0-3.1 writes it (schema
// version 12, alembic revision v3.0.0.d; read from a database Optuna 3.1 created, see
// DEVELOPERS.md), so optuna.load_study and optuna-dashboard open cmv3's studies, plus three cmv3
// tables for what Optuna has no place for: the study's settings, the work queue (one row per
// candidate and rung, claimed by workers) and the trials' run folders (checkpoints included).
import type * as Pg from 'pg';
import { StudyError } from '../store.js';

export const OPTUNA_SCHEMA_VERSION = 12;
export const OPTUNA_ALEMBIC = 'v3.0.0.d';
export const OPTUNA_LIBRARY = '3.1.0';
/** cmv3's own tables' version (cmv3_studies.version) */
export const CMV3_PG_VERSION = 1;

const OPTUNA_DDL = `
CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE');
CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING');
CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG');
CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN');
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY);
CREATE TABLE version_info (version_info_id integer NOT NULL PRIMARY KEY CHECK (version_info_id = 1), schema_version integer, library_version varchar(256));
CREATE TABLE studies (study_id serial PRIMARY KEY, study_name varchar(512) NOT NULL);
CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name);
CREATE TABLE study_directions (study_direction_id serial PRIMARY KEY, direction studydirection NOT NULL,
  study_id integer NOT NULL REFERENCES studies (study_id), objective integer NOT NULL, UNIQUE (study_id, objective));
CREATE TABLE study_user_attributes (study_user_attribute_id serial PRIMARY KEY, study_id integer REFERENCES studies (study_id),
  key varchar(512), value_json text, UNIQUE (study_id, key));
CREATE TABLE study_system_attributes (study_system_attribute_id serial PRIMARY KEY, study_id integer REFERENCES studies (study_id),
  key varchar(512), value_json text, UNIQUE (study_id, key));
CREATE TABLE trials (trial_id serial PRIMARY KEY, number integer, study_id integer REFERENCES studies (study_id),
  state trialstate NOT NULL, datetime_start timestamp without time zone, datetime_complete timestamp without time zone);
CREATE TABLE trial_user_attributes (trial_user_attribute_id serial PRIMARY KEY, trial_id integer REFERENCES trials (trial_id),
  key varchar(512), value_json text, UNIQUE (trial_id, key));
CREATE TABLE trial_system_attributes (trial_system_attribute_id serial PRIMARY KEY, trial_id integer REFERENCES trials (trial_id),
  key varchar(512), value_json text, UNIQUE (trial_id, key));
CREATE TABLE trial_params (param_id serial PRIMARY KEY, trial_id integer REFERENCES trials (trial_id), param_name varchar(512),
  param_value double precision, distribution_json text, UNIQUE (trial_id, param_name));
CREATE TABLE trial_values (trial_value_id serial PRIMARY KEY, trial_id integer NOT NULL REFERENCES trials (trial_id),
  objective integer NOT NULL, value double precision, value_type trialvaluetype NOT NULL, UNIQUE (trial_id, objective));
CREATE TABLE trial_intermediate_values (trial_intermediate_value_id serial PRIMARY KEY, trial_id integer NOT NULL REFERENCES trials (trial_id),
  step integer NOT NULL, intermediate_value double precision, intermediate_value_type trialintermediatevaluetype NOT NULL, UNIQUE (trial_id, step));
CREATE TABLE trial_heartbeats (trial_heartbeat_id serial PRIMARY KEY, trial_id integer NOT NULL UNIQUE REFERENCES trials (trial_id),
  heartbeat timestamp without time zone NOT NULL);
INSERT INTO alembic_version VALUES ('${OPTUNA_ALEMBIC}');
INSERT INTO version_info VALUES (1, ${OPTUNA_SCHEMA_VERSION}, '${OPTUNA_LIBRARY}');`;

const CMV3_DDL = `
CREATE TABLE cmv3_studies (study_id integer PRIMARY KEY REFERENCES studies (study_id), version integer NOT NULL, options text NOT NULL,
  space text NOT NULL, created_at text NOT NULL, spent_seconds double precision NOT NULL DEFAULT 0, state text NOT NULL, driver text,
  driver_beat double precision);
CREATE TABLE cmv3_trials (study_id integer NOT NULL REFERENCES studies (study_id), id integer NOT NULL,
  optuna_trial_id integer NOT NULL REFERENCES trials (trial_id), key text NOT NULL, rung integer NOT NULL, generation integer NOT NULL,
  genes text NOT NULL, label text NOT NULL, spec text NOT NULL, epochs integer NOT NULL, train_images integer NOT NULL, seed integer NOT NULL,
  status text NOT NULL, cost text, metrics text, error text, worker text, heartbeat double precision, seconds double precision,
  PRIMARY KEY (study_id, id), UNIQUE (study_id, key, rung));
CREATE INDEX cmv3_trials_queue ON cmv3_trials (study_id, status);
CREATE TABLE cmv3_files (study_id integer NOT NULL, trial integer NOT NULL, name text NOT NULL, data bytea NOT NULL,
  updated_at double precision NOT NULL, PRIMARY KEY (study_id, trial, name), FOREIGN KEY (study_id, trial) REFERENCES cmv3_trials (study_id, id));`;

/** A fixed advisory lock key: two cmv3 processes creating the tables at once take turns. */
const SCHEMA_LOCK = 0x636d7633;

/**
 * Makes sure the database holds Optuna's schema version 12 and cmv3's tables, creating what is
 * missing in one transaction. Refuses, writing nothing, a database whose tables are another
 * program's or another Optuna schema version.
 */
export async function ensureSchema(client: Pg.PoolClient, db: string, create: boolean): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    const has = async (t: string) => (await client.query('SELECT to_regclass($1) IS NOT NULL AS ok', [`public.${t}`])).rows[0].ok as boolean;
    const [studies, versionInfo, alembic, cmv3] = [await has('studies'), await has('version_info'), await has('alembic_version'), await has('cmv3_trials')];
    if (studies || versionInfo) {
      if (!versionInfo || !alembic) throw new StudyError(`database ${db} has a table '${studies ? 'studies' : 'version_info'}' that is not Optuna's (no ${versionInfo ? 'alembic_version' : 'version_info'}); use a database of its own for cmv3 studies`);
      const v = (await client.query('SELECT schema_version, library_version FROM version_info WHERE version_info_id = 1')).rows[0];
      const a = (await client.query('SELECT version_num FROM alembic_version')).rows.map((r) => r.version_num as string);
      if (!v || v.schema_version !== OPTUNA_SCHEMA_VERSION || a.length !== 1 || a[0] !== OPTUNA_ALEMBIC) {
        throw new StudyError(`database ${db} holds Optuna's schema ${v ? `version ${v.schema_version} (written by Optuna ${v.library_version}, revision ${a.join(', ') || 'none'})` : 'without a version row'}; cmv3 reads and writes version ${OPTUNA_SCHEMA_VERSION} (revision ${OPTUNA_ALEMBIC}, Optuna 3.0-3.1); use another database`);
      }
    } else if (create) {
      await client.query(OPTUNA_DDL);
    } else {
      throw new StudyError(`database ${db} holds no studies (no Optuna tables); start one with cmv3 explore --storage URL --study NAME`);
    }
    if (!cmv3) {
      if (!create) throw new StudyError(`database ${db} holds no cmv3 studies (Optuna's tables without cmv3's); start one with cmv3 explore --storage URL --study NAME`);
      await client.query(CMV3_DDL);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
