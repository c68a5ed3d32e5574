// Models behind the dashboard: the pretrained weights, each run's checkpoint and each study trial's.
// For one: its layer table and MCU report, its float32 .tflite for the in-browser classifier,
// its confusion matrix on the test images, and a server-side top-K to check the browser against.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, DEFAULT_MAX_PIXELS, ImageTooLargeError } from '../data/image.js';
import { readDataset, subset } from '../data/folder.js';
import { topClasses, type ClassScore } from '../deploy/classify.js';
import { floatGraph } from '../deploy/pipeline.js';
import { mcuReport, TARGETS, type Report } from '../deploy/report.js';
import { writeTflite } from '../deploy/tflite/write.js';
import { structuralInt8Graph } from '../explore/cost.js';
import { summarize, type Summary } from '../summary.js';
import { evaluateSetAsync, type Evaluation } from '../train/evaluate.js';
import { PRETRAINED, pretrainedPath } from '../train/pretrained.js';
import { readRunConfig } from '../train/run.js';
import { loadTrained, resolveCheckpoint, type Trained } from '../train/trained.js';
import { HttpError } from './http.js';
import { childOf, insideRoot, plainFolders, runFilesInside } from './paths.js';
import { count } from '../plural.js';

export interface Roots {
  runs: string;
  studies: string;
  /** largest decoded image the server classifies (serve --max-megapixels), pixels */
  maxPixels?: number;
}

export interface ModelEntry { id: string; kind: 'pretrained' | 'run'; name: string; description: string }

/** id -> checkpoint file: "pretrained:NAME", "run:NAME" or "trial:STUDY:ID"; every level checked to stay inside its root. */
export function checkpointFor(id: string, roots: Roots): { checkpoint: string; runDir: string | null } {
  const [kind, a, b, extra] = id.split(':');
  const fromFolder = (root: string, dir: string) => {
    let found;
    runFilesInside(dir);
    try { found = resolveCheckpoint(dir); } catch (err) { throw new HttpError(404, (err as Error).message); }
    return { checkpoint: insideRoot(root, found.checkpoint, 'checkpoint'), runDir: found.runDir };
  };
  if (kind === 'pretrained' && a && b === undefined) {
    const file = pretrainedPath(a);
    if (!file) throw new HttpError(404, `no pretrained model named ${JSON.stringify(a)}; the names are ${PRETRAINED.map((p) => p.name).join(', ')}`);
    return { checkpoint: file, runDir: null };
  }
  if (kind === 'run' && a && b === undefined) return fromFolder(roots.runs, childOf(roots.runs, a, 'run'));
  if (kind === 'trial' && a && b && extra === undefined && /^\d{1,6}$/.test(b)) {
    const study = childOf(roots.studies, a, 'study'), name = b.padStart(4, '0');
    if (!existsSync(join(study, 'trials', name))) throw new HttpError(404, `trial ${b} of study ${a} has no run folder: it has not started training (or was rejected before training)`);
    return fromFolder(roots.studies, childOf(childOf(study, 'trials', 'trials folder'), name, 'trial'));
  }
  throw new HttpError(400, `Expected a model id such as run:NAME, pretrained:NAME or trial:STUDY:ID but received ${JSON.stringify(id)}`);
}

export function listModels(roots: Roots): ModelEntry[] {
  const pre = PRETRAINED.filter((p) => existsSync(p.file)).map((p): ModelEntry => ({ id: `pretrained:${p.name}`, kind: 'pretrained', name: p.name, description: p.description }));
  const runs = existsSync(roots.runs)
    ? plainFolders(roots.runs).filter((n) => ['best.ckpt', 'last.ckpt'].some((f) => existsSync(join(roots.runs, n, f)))).map((n): ModelEntry => {
      let description = '';
      try { runFilesInside(join(roots.runs, n)); const c = readRunConfig(join(roots.runs, n)); description = `${c.spec.name} width ${c.spec.width}, ${count(c.epochs, 'epoch')}`; } catch (err) { description = (err as Error).message; }
      return { id: `run:${n}`, kind: 'run', name: n, description };
    })
    : [];
  return [...pre, ...runs];
}


// Loaded models and derived results, keyed by checkpoint file and its modification time.
const cache = new Map<string, Promise<unknown>>();
function cached<T>(key: string, make: () => Promise<T>): Promise<T> {
  if (!cache.has(key)) {
    if (cache.size >= 16) cache.delete(cache.keys().next().value!);
    const p = make();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return cache.get(key) as Promise<T>;
}
const stamp = (file: string) => `${file}@${statSync(file).mtimeMs}`;

async function trained(checkpoint: string): Promise<Trained> {
  return cached(`trained:${stamp(checkpoint)}`, async () => {
    try { return await loadTrained(checkpoint); } catch (err) { throw new HttpError(422, (err as Error).message); }
  });
}

export interface ModelReport {
  id: string;
  summary: Summary;
  report: Report;
  int8Bytes: number;
  float32Bytes: number;
  targets: { name: string; description: string }[];
}

/** Per-layer table and MCU report; the int8 sizes come from the structure (see structuralInt8Graph). */
export async function modelReport(id: string, roots: Roots, targetName: string): Promise<ModelReport> {
  const target = Object.hasOwn(TARGETS, targetName) ? TARGETS[targetName] : undefined;
  if (!target) throw new HttpError(400, `Expected one of ${Object.keys(TARGETS).join(', ')} for target but received ${JSON.stringify(targetName)}`);
  const { checkpoint } = checkpointFor(id, roots);
  return cached(`report:${targetName}:${stamp(checkpoint)}`, async () => {
    const t = await trained(checkpoint);
    const q = structuralInt8Graph(t), int8Bytes = writeTflite(q).length;
    return {
      id, summary: summarize(t.model.net), report: mcuReport(q, int8Bytes, target), int8Bytes,
      float32Bytes: (await floatTflite(id, roots)).byteLength,
      targets: Object.values(TARGETS).map((x) => ({ name: x.name, description: x.description })),
    };
  });
}

/** The float32 .tflite of a model (what `cmv3 export --format tflite` writes). */
export async function floatTflite(id: string, roots: Roots): Promise<Uint8Array> {
  const { checkpoint } = checkpointFor(id, roots);
  return cached(`tflite:${stamp(checkpoint)}`, async () => writeTflite(floatGraph(await trained(checkpoint))));
}

/** Evaluations in progress by run name, for the page's progress line (GET .../confusion/progress). */
const evaluating = new Map<string, { done: number; total: number }>();

/** How far the running evaluation of a run is, or null when none runs. */
export function confusionProgress(name: string): { done: number; total: number } | null {
  return evaluating.get(name) ?? null;
}

/** Test-set confusion matrix of a run, evaluated 500 images at a time so the server stays responsive. */
export async function runConfusion(name: string, roots: Roots): Promise<Evaluation & { data: string }> {
  const dir = childOf(roots.runs, name, 'run');
  const { checkpoint } = checkpointFor(`run:${name}`, roots);
  return cached(`confusion:${stamp(checkpoint)}`, async () => {
    const c = readRunConfig(dir), t = await trained(checkpoint);
    if (!existsSync(c.data)) throw new HttpError(404, `run ${name} was trained on ${c.data}, which is not there from the server's folder; start cmv3 serve where the run was trained`);
    let set;
    try { set = readDataset(c.data, 'test', t.model.spec.inputSize, c.limitTest ?? Infinity); } catch (err) { throw new HttpError(422, (err as Error).message); }
    evaluating.set(name, { done: 0, total: set.count });
    try {
      const e = await evaluateSetAsync(t.model, set, t.normalization, t.labels, 500, (done, total) => evaluating.set(name, { done, total }));
      return { data: c.data, ...e };
    } finally {
      evaluating.delete(name);
    }
  });
}

/** `cmv3 predict` on the server, for the page to check its in-browser result against. */
export async function serverPredict(id: string, roots: Roots, bytes: Uint8Array, k: number): Promise<{ top: ClassScore[]; width: number; height: number }> {
  const { checkpoint } = checkpointFor(id, roots);
  let img;
  try { img = decodeImage(bytes, 'the upload', roots.maxPixels ?? DEFAULT_MAX_PIXELS); } catch (err) {
    const big = err instanceof ImageTooLargeError;
    throw new HttpError(big ? 413 : 415, big ? `the upload is over the ${+((roots.maxPixels ?? DEFAULT_MAX_PIXELS) / 1e6).toFixed(2)} megapixel limit; scale the image down` : (err as Error).message);
  }
  const t = await trained(checkpoint);
  return { top: topClasses(t.model, t.labels, t.normalization, img, k), width: img.width, height: img.height };
}
