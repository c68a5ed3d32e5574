// Runs: the list, and one run with live curves (server-sent events), its config and its confusion matrix.
import type { Evaluation } from '../../src/train/evaluate.js';
import type { RunDetail, RunEntry } from '../../src/serve/runs.js';
import { lineChart } from './charts.js';
import { api, clear, errorBox, h, pct } from './dom.js';
import { sortableTable, td } from './table.js';

export async function runsView(root: HTMLElement): Promise<void> {
  const runs = await api<RunEntry[]>('/api/runs');
  if (!runs.length) {
    clear(root, h('h2', {}, 'Runs'), h('p', {}, 'No runs in this folder yet. Start one with ', h('code', {}, 'cmv3 train --model cmv3 --out runs/NAME'), '.'));
    return;
  }
  const picked = new Set<string>();
  const compare = h('div', { 'data-testid': 'compare' });
  const pick = (r: RunEntry) => h('td', {}, h('input', { type: 'checkbox', 'aria-label': `compare ${r.name}`, disabled: r.status === 'error',
    onchange: (e) => { if ((e.target as HTMLInputElement).checked) picked.add(r.name); else picked.delete(r.name); void drawCompare(compare, [...picked]); } }));
  const table = sortableTable<RunEntry>([
    { name: 'compare', key: () => null, cell: pick },
    { name: 'run', key: (r) => r.name, cell: (r) => td(h('a', { href: `#/runs/${encodeURIComponent(r.name)}` }, r.name)) },
    { name: 'model', key: (r) => r.model, cell: (r) => td(r.model ?? '-') },
    { name: 'width', key: (r) => r.width, cell: (r) => td(r.width ?? '-') },
    { name: 'epochs', key: (r) => r.epochsDone, cell: (r) => td(r.epochs === undefined ? '-' : `${r.epochsDone}/${r.epochs}`) },
    { name: 'best accuracy', key: (r) => r.bestAcc, cell: (r) => td(pct(r.bestAcc), r.validation ? ' (val)' : '') },
    { name: 'last', key: (r) => r.lastAcc, cell: (r) => td(pct(r.lastAcc)) },
    { name: 'status', key: (r) => r.status, cell: (r) => h('td', { class: `status ${r.status}`, title: r.error ?? '' }, r.status === 'error' ? `error: ${r.error}` : r.status) },
  ], runs, { testid: 'runs', filter: (r) => `${r.name} ${r.model ?? ''} ${r.status}` });
  clear(root, h('h2', {}, 'Runs'), table, h('p', { class: 'note' }, 'Click a header to sort; tick runs to overlay their curves.'), compare);
}

/** The ticked runs' curves on shared axes, with a smoothing slider (exponential moving average). */
async function drawCompare(el: HTMLElement, names: string[]): Promise<void> {
  if (!names.length) { el.replaceChildren(); return; }
  const runs = await Promise.all(names.map((n) => api<RunDetail>(`/api/runs/${encodeURIComponent(n)}`).catch(() => null)));
  const ok = runs.map((r, i) => ({ r, name: names[i] })).filter((x): x is { r: RunDetail; name: string } => x.r !== null && x.r.status !== 'error');
  const charts = h('div', { class: 'charts' });
  const slider = h('input', { type: 'range', min: 0, max: 0.95, step: 0.05, value: 0, 'aria-label': 'smoothing', 'data-testid': 'smoothing', oninput: () => draw() });
  const draw = () => {
    const a = Number((slider as HTMLInputElement).value);
    const series = (f: (m: RunDetail['metrics'][number]) => number) => ok.map(({ r, name }, i) => ({ name, color: PALETTE[i % PALETTE.length], points: smooth(r.metrics.map((m) => [m.epoch, f(m)] as [number, number]), a) }));
    charts.replaceChildren(
      lineChart('Test (or validation) accuracy', 'epoch', 'top-1', series((m) => m.testAcc)),
      lineChart('Test (or validation) loss', 'epoch', 'cross-entropy', series((m) => m.testLoss)),
      lineChart('Training speed', 'epoch', 'images/s', series((m) => m.imagesPerSec)));
  };
  draw();
  el.replaceChildren(h('h3', {}, `Compare ${ok.length} run${ok.length === 1 ? '' : 's'}`), h('label', {}, 'smoothing ', slider), charts);
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

/** Exponential moving average with weight `a` on the past (0 = raw), as TensorBoard's slider. */
export function smooth(points: [number, number][], a: number): [number, number][] {
  let v = points[0]?.[1] ?? 0;
  return points.map(([x, y]) => { v = a * v + (1 - a) * y; return [x, v]; });
}

/** One run; returns a function that closes its event stream when the page moves on. */
export function runView(root: HTMLElement, name: string): () => void {
  const head = h('div'), curves = h('div', { class: 'charts', 'data-testid': 'curves' }), config = h('div'), confusion = h('div');
  clear(root, h('h2', {}, 'Run ', h('code', {}, name)), head, curves, h('h3', {}, 'Confusion matrix'), confusion, h('h3', {}, 'Config'), config);
  clear(confusion, h('button', { onclick: () => void showConfusion(confusion, name) }, 'Evaluate on the test images'));
  const events = new EventSource(`/api/runs/${encodeURIComponent(name)}/events`);
  events.addEventListener('run', (e) => draw(JSON.parse((e as MessageEvent<string>).data) as RunDetail));
  // A feed refused outright (no such run, a bad name) closes; the plain request says why.
  events.onerror = () => {
    if (events.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    api<RunDetail>(`/api/runs/${encodeURIComponent(name)}`).then((r) => { draw(r); head.append(errorBox(new Error('the live feed closed; reload to follow the run again'))); },
      (err) => clear(head, errorBox(err)));
  };
  function draw(r: RunDetail): void {
    if (r.status === 'error') { clear(head, errorBox(new Error(r.error))); return; }
    const m = r.metrics, last = m.at(-1);
    clear(head, h('p', { class: `status ${r.status}`, 'data-testid': 'run-status' },
      `${r.status}: epoch ${r.epochsDone} of ${r.epochs}`, last ? `, last ${r.validation ? 'validation' : 'test'} accuracy ${pct(last.testAcc)}, best ${pct(r.bestAcc)}, ${last.imagesPerSec.toFixed(0)} images/s` : ''));
    const pts = (f: (x: RunDetail['metrics'][number]) => number) => m.map((x) => [x.epoch, f(x)] as [number, number]);
    const held = r.validation ? 'validation' : 'test';
    clear(curves,
      lineChart('Loss', 'epoch', 'cross-entropy', [{ name: 'train', color: '#1f77b4', points: pts((x) => x.trainLoss) }, { name: held, color: '#d62728', points: pts((x) => x.testLoss) }]),
      lineChart('Accuracy', 'epoch', 'top-1', [{ name: 'train', color: '#1f77b4', points: pts((x) => x.trainAcc) }, { name: held, color: '#d62728', points: pts((x) => x.testAcc) }]),
      lineChart('Learning rate', 'epoch', 'lr (end of epoch)', [{ name: 'lr', color: '#2ca02c', points: pts((x) => x.lr) }]),
      lineChart('Training speed', 'epoch', 'images/s', [{ name: 'images/s', color: '#9467bd', points: pts((x) => x.imagesPerSec) }]));
    const c = r.config;
    if (c) {
      clear(config, h('table', { class: 'kv' }, ...Object.entries({
        model: `${c.spec.name} (width ${c.spec.width}, ${c.spec.inputSize}x${c.spec.inputSize} input, ${c.spec.classes} classes)`,
        recipe: `${c.recipe.name}: ${c.recipe.optimizer.kind} lr ${c.lr}, batch ${c.batchSize}, ${c.epochs} epochs, warm-up ${+Math.min(c.recipe.warmupEpochs, c.epochs / 5).toFixed(2)} epochs, label smoothing ${c.recipe.labelSmoothing}`,
        data: `${c.data}${c.limitTrain ? `, first ${c.limitTrain} training images` : ''}${c.limitTest ? `, ${c.limitTest} test images` : ''}${c.validation ? `, ${c.validation} held out for validation` : ''}`,
        seed: String(c.seed), init: c.init ?? 'fresh initialisation', created: c.createdAt,
      }).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))));
    }
  }
  return () => events.close();
}

/** Polls the server's progress of a run's evaluation into `line` until stopped: images done of all, and the time left. */
function pollEvaluation(line: HTMLElement, name: string): () => void {
  const t0 = performance.now();
  const timer = setInterval(() => {
    void api<{ done: number; total: number }>(`/api/runs/${encodeURIComponent(name)}/confusion/progress`).then((p) => {
      if (!p.total) return;
      const s = (performance.now() - t0) / 1000, eta = p.done > 0 ? (s / p.done) * (p.total - p.done) : NaN;
      line.textContent = `Evaluating… ${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} test images${Number.isFinite(eta) ? `, about ${Math.ceil(eta)} s left` : ''}`;
      line.dataset.done = String(p.done);
    }, () => {});
  }, 400);
  return () => clearInterval(timer);
}

/** The test images of one confusion-matrix cell, as the model saw them (first 60). */
async function showCell(el: HTMLElement, name: string, truth: number, pred: number, labels: string[]): Promise<void> {
  clear(el, h('p', {}, 'Loading…'));
  try {
    const c = await api<{ indices: number[]; count: number }>(`/api/runs/${encodeURIComponent(name)}/confusion/cell?true=${truth}&pred=${pred}`);
    clear(el, h('h4', {}, `${c.count} ${labels[truth]} image${c.count === 1 ? '' : 's'} predicted ${labels[pred]}${c.count > c.indices.length ? ` (the first ${c.indices.length})` : ''}`),
      h('div', { class: 'misclassified' }, ...c.indices.map((i) => h('img', { src: `/api/runs/${encodeURIComponent(name)}/test-image?index=${i}`, alt: `test image ${i}`, title: `test image ${i}` }))));
  } catch (err) {
    clear(el, errorBox(err));
  }
}

async function showConfusion(el: HTMLElement, name: string): Promise<void> {
  const line = h('p', { 'data-testid': 'evaluating' }, 'Evaluating…');
  clear(el, line);
  const stop = pollEvaluation(line, name);
  const cell = h('div', { 'data-testid': 'cell' });
  try {
    const e = await api<Evaluation & { data: string }>(`/api/runs/${encodeURIComponent(name)}/confusion`).finally(stop);
    const max = Math.max(...e.confusion.map((row) => Math.max(...row)));
    clear(el, h('p', {}, `top-1 ${pct(e.top1)} on ${e.images} test images of ${e.data} (best checkpoint)`),
      h('table', { class: 'confusion', 'data-testid': 'confusion' },
        h('thead', {}, h('tr', {}, h('th', {}, 'true \\ predicted'), ...e.perClass.map((c) => h('th', {}, c.label)), h('th', {}, 'accuracy'))),
        h('tbody', {}, ...e.confusion.map((row, i) => h('tr', {}, h('th', {}, e.perClass[i].label),
          ...row.map((v, j) => h('td', { style: `background: rgba(${i === j ? '31,119,180' : '214,39,40'}, ${(v / (max || 1)).toFixed(3)})`, class: v ? 'cell' : '',
            title: v ? `${v} ${e.perClass[i].label} images predicted ${e.perClass[j].label}: click to see them` : '', onclick: () => { if (v) void showCell(cell, name, i, j, e.perClass.map((c) => c.label)); } }, v)),
          h('td', {}, pct(e.perClass[i].accuracy)))))), cell);
  } catch (err) {
    clear(el, errorBox(err), h('button', { onclick: () => void showConfusion(el, name) }, 'Try again'));
  }
}
