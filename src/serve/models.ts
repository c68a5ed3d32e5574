// Models behind the dashboard: the pretrained weights, each run's checkpoint and each study trial's.
// For one: its layer table and MCU report, its float32 .tflite for the in-browser classifier,
// its confusion matrix on the test images, and a server-side top-K to check the browser against.
import { existsSync, statSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { ImageSet } from '../data/cifar.js';
import { join } from 'node:path';
import { dataDir } from '../data/default-dir.js';
import { decodeImage, DEFAULT_MAX_PIXELS, ImageTooLargeError } from '../data/image.js';
import { readDataset } from '../data/folder.js';
import { topClasses, type ClassScore } from '../deploy/classify.js';
import { floatGraph, int8Graph } from '../deploy/pipeline.js';
import { mcuReport, TARGETS, type Report } from '../deploy/report.js';
import { writeTflite } from '../deploy/tflite/write.js';
import { structuralInt8Graph } from '../explore/cost.js';
import { Study } from '../explore/store.js';
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
    if (!existsSync(join(study, 'trials', name))) throw new HttpError(404, missingTrialFolder(study, a, Number(b)));
    return fromFolder(roots.studies, childOf(childOf(study, 'trials', 'trials folder'), name, 'trial'));
  }
  throw new HttpError(400, `Expected a model id such as run:NAME, pretrained:NAME or trial:STUDY:ID but received ${JSON.stringify(id)}`);
}

/** Why a trial has no run folder, from its status in the study: not trained yet, rejected, or trained elsewhere (a copy of the study without its trial folders). */
function missingTrialFolder(studyDir: string, study: string, id: number): string {
  let t, space = 'SPACE';
  try {
    const s = Study.open(join(studyDir, 'study.sqlite'), true);
    try { t = s.trials().find((x) => x.id === id); space = (s.meta().space as { name?: string }).name ?? space; } finally { s.close(); }
  } catch {
    t = undefined; // an unreadable study: say what can be said without it
  }
  if (!t) return `trial ${id} of study ${study} has no run folder, and the study has no trial ${id}`;
  if (t.status === 'done') return `trial ${id} of study ${study} finished training, but its run folder is not here (this copy of the study holds no trial folders); train it again with cmv3 explore candidate ${space} "${t.label}" -o trial${id}.json, then cmv3 train --model trial${id}.json`;
  if (t.status === 'rejected') return `trial ${id} of study ${study} was rejected before training (${t.error ?? 'over a limit'}), so it has no model`;
  return `trial ${id} of study ${study} has no run folder: it has not started training (status ${t.status})`;
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

/**
 * The int8 .tflite of a model (what `cmv3 export --int8` writes), calibrated on 100 training images
 * of the run's own data, or for another model of CMV3_DATA / ./data/cifar-10-batches-bin.
 */
export async function int8Tflite(id: string, roots: Roots): Promise<Uint8Array> {
  const { checkpoint, runDir } = checkpointFor(id, roots);
  const data = dataDir(undefined, runDir ?? undefined);
  if (!existsSync(data)) throw new HttpError(404, `no training data at ${data} to calibrate the int8 model on; set CMV3_DATA (or start cmv3 serve where the data is)`);
  return cached(`tflite8:${stamp(checkpoint)}:${data}`, async () => {
    try {
      return writeTflite(int8Graph(await trained(checkpoint), { data, calibration: 100, observer: 'minmax' }));
    } catch (err) {
      throw err instanceof HttpError ? err : new HttpError(422, (err as Error).message);
    }
  });
}

/** Evaluations in progress by run name, for the page's progress line (GET .../confusion/progress). */
const evaluating = new Map<string, { done: number; total: number }>();

/** The last evaluation of each run: its test images and every prediction, for the confusion matrix's cells. */
const evaluated = new Map<string, { set: ImageSet; predicted: Uint8Array; checkpoint: string }>();

function lastEvaluation(name: string) {
  const e = evaluated.get(name);
  if (!e) throw new HttpError(409, `run ${name} has not been evaluated in this server yet; evaluate it first (GET /api/runs/${name}/confusion)`);
  return e;
}

/** The test images of one confusion-matrix cell (true class `truth`, predicted `pred`): the first `max` indices and the count. */
export function confusionCell(name: string, truth: number, pred: number, max = 60): { indices: number[]; count: number } {
  const { set, predicted } = lastEvaluation(name), indices: number[] = [];
  let count = 0;
  for (let i = 0; i < set.count; i++) {
    if (set.labels[i] !== truth || predicted[i] !== pred) continue;
    if (indices.length < max) indices.push(i);
    count++;
  }
  return { indices, count };
}

/** Test image `index` of a run's last evaluation as a PNG (its pixels as the model saw them, before normalisation). */
export function testImagePng(name: string, index: number): Uint8Array {
  const { set } = lastEvaluation(name);
  if (!(Number.isInteger(index) && index >= 0 && index < set.count)) throw new HttpError(400, `Expected an image index from 0 to ${set.count - 1} but received ${index}`);
  const png = new PNG({ width: set.size, height: set.size }), per = set.size * set.size * set.channels;
  for (let p = 0; p < set.size * set.size; p++) {
    for (let k = 0; k < 3; k++) png.data[p * 4 + k] = set.pixels[index * per + p * set.channels + (set.channels === 3 ? k : 0)];
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}

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
      const predicted = new Uint8Array(set.count);
      const e = await evaluateSetAsync(t.model, set, t.normalization, t.labels, 500, (done, total) => evaluating.set(name, { done, total }), predicted);
      evaluated.delete(name);
      if (evaluated.size >= 4) evaluated.delete(evaluated.keys().next().value!); // each holds its test images: keep a few
      evaluated.set(name, { set, predicted, checkpoint: stamp(checkpoint) });
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
