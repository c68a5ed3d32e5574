// Studies as the dashboard sees them: each folder under the studies root with a study.sqlite,
// read while its driver may still be writing (SQLite WAL allows one writer beside readers).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExploreOptions } from '../explore/driver.js';
import { resultOf, type StudyResult } from '../explore/show.js';
import { Study, type Trial } from '../explore/store.js';
import { HttpError } from './http.js';
import { childOf, insideRoot, plainFolders } from './paths.js';

export interface StudyEntry {
  name: string;
  error?: string;
  space?: string;
  strategy?: string;
  state?: string;
  spentSeconds?: number;
  counts?: StudyResult['counts'];
}

export type StudyTrial = Pick<Trial, 'id' | 'label' | 'status' | 'rung' | 'generation' | 'epochs' | 'trainImages' | 'cost' | 'metrics' | 'error'>;

export interface StudyDetail extends StudyEntry {
  rung: number;
  rungs: ExploreOptions['rungs'];
  objectives: string[];
  front: number[];
  trials: StudyTrial[];
}

/** Opened read-only and never waiting on a lock: a busy study answers 503 at once. */
function withStudy<T>(root: string, dir: string, use: (s: Study) => T): T {
  let s: Study;
  try { s = Study.open(insideRoot(root, join(dir, 'study.sqlite'), 'study file'), true); } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(422, (err as Error).message);
  }
  try {
    return use(s);
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new HttpError(503, `study ${dir} is busy; try again in a moment`);
    throw err;
  } finally {
    s.close();
  }
}

export function studyDetail(root: string, name: string, rung?: number): StudyDetail {
  const dir = childOf(root, name, 'study');
  return withStudy(root, dir, (s) => {
    const r = resultOf(s.meta(), s.trials(), s.counts(), rung), o = s.meta().options as ExploreOptions;
    return {
      name, space: r.space, strategy: r.strategy, state: r.state, spentSeconds: r.spentSeconds, counts: r.counts,
      rung: r.rung, rungs: o.rungs, objectives: ['accuracy', ...o.objectives], front: r.front,
      trials: r.trials.map(({ id, label, status, rung: tr, generation, epochs, trainImages, cost, metrics, error }) => ({ id, label, status, rung: tr, generation, epochs, trainImages, cost, metrics, error })),
    };
  });
}

export function listStudies(root: string): StudyEntry[] {
  if (!existsSync(root)) return [];
  return plainFolders(root)
    .filter((n) => existsSync(join(root, n, 'study.sqlite')))
    .map((n): StudyEntry => {
      try {
        const { trials: _t, front: _f, rung: _r, rungs: _rs, objectives: _o, ...entry } = studyDetail(root, n);
        return entry;
      } catch (err) {
        return { name: n, error: (err as Error).message };
      }
    });
}
