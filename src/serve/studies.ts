// Studies as the dashboard sees them: each folder under the studies root with a study.sqlite,
// read while its driver may still be writing (SQLite WAL allows one writer beside readers).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExploreOptions } from '../explore/driver.js';
import { studyResult, type StudyResult } from '../explore/show.js';
import { Study, type Trial } from '../explore/store.js';
import { HttpError } from './http.js';
import { childOf } from './paths.js';

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

function withStudy<T>(dir: string, use: (s: Study) => T): T {
  let s: Study;
  try { s = Study.open(join(dir, 'study.sqlite')); } catch (err) { throw new HttpError(422, (err as Error).message); }
  try { return use(s); } finally { s.close(); }
}

export function studyDetail(root: string, name: string, rung?: number): StudyDetail {
  const dir = childOf(root, name, 'study');
  return withStudy(dir, (s) => {
    const r = studyResult(s, rung), o = s.meta().options as ExploreOptions;
    return {
      name, space: r.space, strategy: r.strategy, state: r.state, spentSeconds: r.spentSeconds, counts: r.counts,
      rung: r.rung, rungs: o.rungs, objectives: ['accuracy', ...o.objectives], front: r.front,
      trials: r.trials.map(({ id, label, status, rung: tr, generation, epochs, trainImages, cost, metrics, error }) => ({ id, label, status, rung: tr, generation, epochs, trainImages, cost, metrics, error })),
    };
  });
}

export function listStudies(root: string): StudyEntry[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'study.sqlite')))
    .map((d): StudyEntry => {
      try {
        const { trials: _t, front: _f, rung: _r, rungs: _rs, objectives: _o, ...entry } = studyDetail(root, d.name);
        return entry;
      } catch (err) {
        return { name: d.name, error: (err as Error).message };
      }
    });
}
