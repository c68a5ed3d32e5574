// Runs: the list, and one run with live curves (server-sent events), its config and its confusion matrix.
import type { Evaluation } from '../../src/train/evaluate.js';
import type { RunDetail, RunEntry } from '../../src/serve/runs.js';
import { lineChart } from './charts.js';
import { api, clear, errorBox, h, pct } from './dom.js';

export async function runsView(root: HTMLElement): Promise<void> {
  const runs = await api<RunEntry[]>('/api/runs');
  clear(root, h('h2', {}, 'Runs'), runs.length ? h('table', { class: 'list', 'data-testid': 'runs' },
    h('thead', {}, h('tr', {}, ...['run', 'model', 'width', 'epochs', 'best accuracy', 'last', 'status'].map((c) => h('th', {}, c)))),
    h('tbody', {}, ...runs.map((r) => h('tr', {},
      h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.name)}` }, r.name)),
      h('td', {}, r.model ?? '-'), h('td', {}, r.width ?? '-'), h('td', {}, r.epochs === undefined ? '-' : `${r.epochsDone}/${r.epochs}`),
      h('td', {}, pct(r.bestAcc), r.validation ? ' (val)' : ''), h('td', {}, pct(r.lastAcc)),
      h('td', { class: `status ${r.status}`, title: r.error ?? '' }, r.status === 'error' ? `error: ${r.error}` : r.status))))) :
    h('p', {}, 'No runs in this folder yet. Start one with ', h('code', {}, 'cmv3 train --model cmv3 --out runs/NAME'), '.'));
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
      lineChart('Accuracy', 'epoch', 'top-1', [{ name: 'train', color: '#1f77b4', points: pts((x) => x.trainAcc) }, { name: held, color: '#d62728', points: pts((x) => x.testAcc) }]));
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

async function showConfusion(el: HTMLElement, name: string): Promise<void> {
  const line = h('p', { 'data-testid': 'evaluating' }, 'Evaluating…');
  clear(el, line);
  const stop = pollEvaluation(line, name);
  try {
    const e = await api<Evaluation & { data: string }>(`/api/runs/${encodeURIComponent(name)}/confusion`).finally(stop);
    const max = Math.max(...e.confusion.map((row) => Math.max(...row)));
    clear(el, h('p', {}, `top-1 ${pct(e.top1)} on ${e.images} test images of ${e.data} (best checkpoint)`),
      h('table', { class: 'confusion', 'data-testid': 'confusion' },
        h('thead', {}, h('tr', {}, h('th', {}, 'true \\ predicted'), ...e.perClass.map((c) => h('th', {}, c.label)), h('th', {}, 'accuracy'))),
        h('tbody', {}, ...e.confusion.map((row, i) => h('tr', {}, h('th', {}, e.perClass[i].label),
          ...row.map((v, j) => h('td', { style: `background: rgba(${i === j ? '31,119,180' : '214,39,40'}, ${(v / (max || 1)).toFixed(3)})` }, v)),
          h('td', {}, pct(e.perClass[i].accuracy)))))));
  } catch (err) {
    clear(el, errorBox(err), h('button', { onclick: () => void showConfusion(el, name) }, 'Try again'));
  }
}
