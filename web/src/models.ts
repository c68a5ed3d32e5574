// Models: pretrained weights and run checkpoints; for one, `cmv3 summary` and `cmv3 report` as
// tables with bars (heavy layers stand out) and flash / SRAM against the chosen target's limits.
import type { ModelEntry, ModelReport } from '../../src/serve/models.js';
import { barCell } from './charts.js';
import { api, clear, errorBox, h, int, kb } from './dom.js';

export async function modelsView(root: HTMLElement): Promise<void> {
  const models = await api<ModelEntry[]>('/api/models');
  clear(root, h('h2', {}, 'Models'), models.length ? h('table', { class: 'list', 'data-testid': 'models' },
    h('thead', {}, h('tr', {}, h('th', {}, 'model'), h('th', {}, 'from'), h('th', {}, 'description'), h('th', {}, ''))),
    h('tbody', {}, ...models.map((m) => h('tr', {},
      h('td', {}, h('a', { href: `#/models/${encodeURIComponent(m.id)}` }, m.name)), h('td', {}, m.kind), h('td', {}, m.description),
      h('td', {}, h('a', { href: `#/try/${encodeURIComponent(m.id)}` }, 'try it')))))) :
    h('p', {}, 'No models: no pretrained weights are installed and no run has a checkpoint yet.'));
}

function budget(label: string, used: number, limit: number, detail: string): HTMLElement {
  const share = used / limit;
  return h('div', { class: 'budget' }, h('span', { class: 'label' }, label),
    h('span', { class: `track${share > 1 ? ' over' : ''}` }, h('span', { class: 'fill', style: `width:${Math.min(100, 100 * share).toFixed(1)}%` })),
    h('span', {}, `${kb(used)} of ${kb(limit)} (${(100 * share).toFixed(1)}%) — ${detail}`));
}

/**
 * The network as a graph, Netron-style but compact: one box per block (stem, blockN, head, pool,
 * classifier) with its ops and output shapes, in order, joined by arrows; parameters per block.
 */
function graphView(layers: ModelReport['summary']['layers']): HTMLElement {
  const blocks: { name: string; rows: typeof layers }[] = [];
  for (const l of layers) {
    const name = l.name.split('.')[0];
    if (blocks.at(-1)?.name !== name) blocks.push({ name, rows: [] });
    blocks.at(-1)!.rows.push(l);
  }
  const parts: HTMLElement[] = [];
  blocks.forEach((b, i) => {
    if (i) parts.push(h('div', { class: 'arrow' }, '↓'));
    const params = b.rows.reduce((a, l) => a + l.params, 0), out = b.rows.at(-1)!.outShape;
    parts.push(h('div', { class: 'block', 'data-block': b.name },
      h('h4', {}, `${b.name}  →  (${out.join(', ')})  ${int(params)} params`),
      ...b.rows.map((l) => h('div', { class: 'op' }, `${l.kind.padEnd(14)} ${l.name.slice(b.name.length + 1) || l.name}  (${l.outShape.join(', ')})`))));
  });
  return h('div', { class: 'graph', 'data-testid': 'graph' }, ...parts);
}

export async function modelView(root: HTMLElement, id: string, targetName: string): Promise<void> {
  clear(root, h('h2', {}, 'Model ', h('code', {}, id)), h('p', {}, 'Lowering and quantizing…'));
  let r: ModelReport;
  try {
    r = await api<ModelReport>(`/api/models/report?id=${encodeURIComponent(id)}&target=${encodeURIComponent(targetName)}`);
  } catch (err) {
    clear(root, h('h2', {}, 'Model ', h('code', {}, id)), errorBox(err));
    return;
  }
  const sum = r.summary, rep = r.report, t = rep.target;
  const picker = h('select', { 'aria-label': 'target', onchange: (e) => { location.hash = `#/models/${encodeURIComponent(id)}/${(e.target as HTMLSelectElement).value}`; } },
    ...r.targets.map((x) => h('option', { value: x.name, selected: x.name === t.name }, x.name)));
  const maxP = Math.max(...sum.layers.map((l) => l.params)), maxM = Math.max(...sum.layers.map((l) => l.macs)), maxA = Math.max(...sum.layers.map((l) => l.activationElements));
  const layers = h('table', { class: 'layers', 'data-testid': 'layers' },
    h('thead', {}, h('tr', {}, ...['layer', 'kind', 'output', 'params', 'MACs', 'activations (int8 bytes)'].map((c) => h('th', {}, c)))),
    h('tbody', {}, ...sum.layers.map((l) => h('tr', {}, h('td', {}, l.name), h('td', {}, l.kind), h('td', {}, `(${l.outShape.join(', ')})`),
      barCell(l.params, maxP, int(l.params)), barCell(l.macs, maxM, int(l.macs), 'macs'), barCell(l.activationElements, maxA, int(l.activationElements), 'act')))));
  const mo = Math.max(...rep.ops.map((o) => o.macs)), mw = Math.max(...rep.ops.map((o) => o.weightBytes)), ma = Math.max(...rep.ops.map((o) => o.activationBytes)), mc = Math.max(...rep.ops.map((o) => o.cycles));
  const ms = (cycles: number) => (cycles / (t.mhz * 1e6)) * 1000;
  const ops = h('table', { class: 'layers', 'data-testid': 'ops' },
    h('thead', {}, h('tr', {}, ...['#', 'op', 'tensor', 'output', 'MACs', 'weights (bytes)', 'activations (bytes)', 'est. ms'].map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rep.ops.map((o) => h('tr', {}, h('td', {}, o.index), h('td', {}, o.op), h('td', { class: 'name' }, o.name), h('td', {}, `(${o.shape.join(', ')})`),
      barCell(o.macs, mo, int(o.macs), 'macs'), barCell(o.weightBytes, mw, int(o.weightBytes)), barCell(o.activationBytes, ma, int(o.activationBytes), 'act'), barCell(o.cycles, mc, ms(o.cycles).toFixed(2), 'time')))));
  clear(root, h('h2', {}, 'Model ', h('code', {}, id)),
    h('p', {}, `${sum.model}, width ${sum.width}, input (${sum.input.join(', ')}), ${sum.classes} classes: ${int(sum.params.total)} parameters, ${int(sum.macs)} MACs; `,
      `int8 .tflite ${kb(r.int8Bytes)}, float32 .tflite ${kb(r.float32Bytes)}. `, h('a', { href: `/api/models/tflite?id=${encodeURIComponent(id)}` }, 'download float32 .tflite'), ' · ',
      h('a', { href: `#/try/${encodeURIComponent(id)}` }, 'try it')),
    h('div', { class: 'target' }, h('label', {}, 'target ', picker), h('span', {}, ` ${t.description}`)),
    h('div', { 'data-testid': 'budgets' },
      budget('flash', rep.flash.totalBytes, t.flashBytes, `model ${kb(rep.flash.modelBytes)} + TFLite Micro code ~${kb(rep.flash.runtimeCodeBytes)} (estimate)`),
      budget('SRAM', rep.sram.totalBytes, t.sramBytes, `arena ${kb(rep.sram.arenaBytes)} (planned; peak at ${rep.sram.peakOp}) + runtime ~${kb(rep.sram.runtimeBytes)} (estimate)`)),
    h('p', {}, `Estimated latency ~${rep.latencyMs.toFixed(1)} ms per image on ${t.name}: an estimate from a cost model, not a measurement. `,
      'Sizes, arena and op costs come from the int8 graph quantized on synthetic images; real calibration changes ranges, not sizes.'),
    h('details', { open: true }, h('summary', {}, h('b', {}, 'Network graph'), ' (blocks and their ops, output shapes)'), graphView(sum.layers)),
    h('h3', {}, 'Layers (cmv3 summary)'), layers, h('h3', {}, `int8 ops (cmv3 report, ${t.name})`), ops,
    h('details', {}, h('summary', {}, 'cost model assumptions'), h('ul', {}, ...rep.assumptions.map((a) => h('li', {}, a)))));
}
