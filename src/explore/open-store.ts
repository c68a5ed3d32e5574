// Where a study lives: a SQLite file (a study folder, `sqlite:PATH`) or a PostgreSQL database and a
// study name (`postgresql://USER@HOST:PORT/DB` with --study NAME). Workers get the same reference
// through the environment (never the command line: a URL may hold a password).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkUrl, isPostgresUrl, safeUrl } from './pg/connect.js';
import { PgStudy } from './pg/store.js';
import { Study, StudyError, type StudyStore } from './store.js';

export type StorageRef = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; study: string };

export const STORAGE_ENV = 'CMV3_STORAGE';

/** A `--storage` value (and `--study` name for PostgreSQL) as a reference, checked for form only. */
export function storageRef(storage: string, study?: string): StorageRef {
  if (isPostgresUrl(storage)) {
    checkUrl(storage);
    if (!study) throw new StudyError(`a study on PostgreSQL needs a name: add --study NAME to --storage ${safeUrl(storage)}`);
    if (!/^[\w.-]{1,200}$/.test(study)) throw new StudyError(`study name ${JSON.stringify(study)}: use letters, digits, '.', '_' or '-' (at most 200)`);
    return { kind: 'postgres', url: storage, study };
  }
  if (storage.startsWith('sqlite:')) {
    if (study !== undefined) throw new StudyError(`--study names a study in PostgreSQL; a sqlite: study is its file (drop --study ${study})`);
    return { kind: 'sqlite', path: storage.slice('sqlite:'.length) };
  }
  throw new StudyError(`--storage ${JSON.stringify(storage)}: expected postgresql://USER@HOST:PORT/DATABASE or sqlite:PATH`);
}

/** A study folder or its study.sqlite -> the .sqlite path (checked to exist). */
export function studyFile(arg: string): string {
  const file = existsSync(arg) && statSync(arg).isDirectory() ? join(arg, 'study.sqlite') : arg;
  if (!existsSync(file)) throw new StudyError(`${arg}: no such study (expected a folder made by cmv3 explore --out, holding study.sqlite)`);
  return file;
}

/** How a reference is shown: the file, or the study and the URL without its password. */
export const describeRef = (r: StorageRef): string => (r.kind === 'sqlite' ? r.path : `study ${r.study} in ${safeUrl(r.url)}`);

/** Opens an existing study; `readonly` for viewers (SQLite only: a reader there takes no lock). */
export async function openStore(r: StorageRef, readonly = false): Promise<StudyStore> {
  return r.kind === 'sqlite' ? Study.open(studyFile(r.path), readonly) : PgStudy.open(r.url, r.study);
}

export const refToEnv = (r: StorageRef): string => JSON.stringify(r);
export function refFromEnv(): StorageRef {
  const text = process.env[STORAGE_ENV];
  if (!text) throw new StudyError(`${STORAGE_ENV} is not set; workers are started by cmv3 explore or cmv3 explore worker`);
  return JSON.parse(text) as StorageRef;
}
